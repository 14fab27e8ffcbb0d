"""wifiprov: ESP-IDF compatible Wi-Fi provisioning for MicroPython.

``await wifiprov.provision()`` is the whole service: it joins the stored network, or provisions
one first, and returns with every wifiprov module released, so the application gets the heap
back (as ESP-IDF's ``wifi_prov_mgr_deinit()`` frees everything).
"""

__version__ = "0.1.0"


async def provision(path=None, endpoints=(), on_event=None):
    """Join the stored network (returns False) or provision one first (returns True); None when the
    settings at ``path`` (default ``/wifiprov.json``) are bad, after an error line.

    ``endpoints``: ``(name, handler)`` pairs served beside the built-in endpoints, in that order
    (BLE characteristics follow it), ``handler(session_id, data) -> bytes``; ``on_event(event,
    data)`` hears the manager's events (``wifiprov.manager.EVENT_*``). Returns once provisioning
    has ended and everything it loaded has been released.
    """
    import gc

    try:
        # One stage at a time, so their modules are never in the heap together: the settings
        # parser, then the stored credentials, then (only if needed) the provisioning service.
        from wifiprov import settings

        values = settings.load(path)
        settings = None
        release("settings")
        if values is None:
            return None
        from wifiprov import service

        return await service.run(values, endpoints, on_event)
    finally:
        service = None
        release()
        gc.collect()


def release(*names):
    """Forget the named wifiprov modules (``"config"``), or without names every one but this package.

    A released module's heap comes back once nothing else refers to it; importing it again
    loads it afresh.
    """
    import sys

    prefix = __name__ + "."
    if names:
        keys = [prefix + name for name in names]
    else:
        keys = [key for key in sys.modules if key.startswith(prefix)]
    package = globals()
    for key in keys:
        sys.modules.pop(key, None)
        package.pop(key[len(prefix):], None)
