"""The board's settings as the service starts with them: /wifiprov.json parsed and checked, per-device
secrets filled in, the example's public secrets announced; the modules that did it are released."""

from wifiprov import release
from wifiprov.log import Logger

log = Logger("app")


def load(path=None):
    """The board's settings from ``path`` (default ``/wifiprov.json``) with per-device secrets filled
    in, or None after an error line; the parser and the secret maker are released before
    provisioning needs the heap."""
    from wifiprov import config

    try:
        settings = config.load(path or config.DEFAULT_PATH, log.info, log.error)
    except ValueError as exc:  # a bad security setting: no provisioning with weaker settings than asked
        log.error("%s: provisioning not started" % (exc,))
        return None
    public = config.public_secret(settings)
    if public is not None:
        log.warn('security %d with the example\'s public secret: anyone who has read the example can provision '
                 'this board; set "%s" in /wifiprov.json ("random" makes one per device)' % (settings["security"], public))
    if config.RANDOM_SECRET in (settings["pop"], settings["sec2_password"]):
        import esp32

        from wifiprov import device_secret

        device_secret.resolve(settings, esp32, log.info)
        device_secret = None
        release("device_secret", "srp_verifier")
    config = None
    release("config")
    return settings
