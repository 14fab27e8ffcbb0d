"""The board's settings: one JSON file merged over the defaults, every key and type checked."""

import json

from micropython import const

DEFAULT_PATH = "/wifiprov.json"

_SSID_MAX = const(32)  # a SoftAP SSID
_BLE_NAME_MAX = const(29)  # a Complete Local Name alone fills the 31-byte scan response
_NAME_SUFFIX = const(6)  # the default name: service_prefix + 3 MAC bytes in hex
_URL_MAX = const(128)  # an Improv redirect URL: with the address in it, one notification at iOS's MTU

# Settings whose default is always safe: on a board a bad value is reported and the default
# used, so provisioning still starts. A bad security setting (PoP, SRP pair, SoftAP key,
# attempt limits, ...) stops instead: falling back would quietly weaken the board.
_FALLBACK = ("transport", "service_name", "service_prefix", "http_port", "wifi_conn_attempts", "scan_max_entries",
             "auto_stop", "auto_stop_delay_ms", "reset_on_failure", "app_info", "show_qr", "ble_service_uuid",
             "keep_ble", "sec2_table_width", "improv_redirect_url")


class SettingError(ValueError):
    """A bad setting; ``key`` names it (None when no single key is to blame)."""

    def __init__(self, key, text):
        super().__init__(text)
        self.key = key

# The example app's PoP, and its dev-mode SRP pair for "wifiprov" / "abcd1234" (PROTOCOL.md §7.4):
# public, so a board using them says so at every start.
EXAMPLE_POP = "abcd1234"
RANDOM_SECRET = "random"  # "pop" / "sec2_password": this board's own, made on first use (wifiprov.device_secret)
EXAMPLE_SEC2_SALT = "036ee0c7bcb9eda84c9eac97d93decf4"
EXAMPLE_SEC2_VERIFIER = (
    "7c7c85476508946dd636af37d7e8914378cffd616c59d2f83908127238de9e24"
    "a470261cdfa903c2b270e7b13224da111d9718dc607208cc9ac90c4827e2ae89"
    "aa1625b804d21a9b3a8f37f6e43a712ee127866eadce28ff5446601fb99687dc"
    "5740a7d46cc97754dc1682f0ed356ac470ad3d90b5819470d7bc65b2d518e02e"
    "c3a5f968dd647bb8b73c9cfc00d8717eb79a7cb1b7c2c318342932433e0099e9"
    "8294e3d82ab09629b7df0e5f08334076529132009f972c896c391ec828054417"
    "3f68028a9f4461d1f5a17e5a70d2c72381cb3868e42c20bc40577617bd08b896"
    "bc26eb32466935058c1570d91be9becca938a667f0ad5013197264bf52c234e2"
    "1b11797472bd345bb1e2fd6673fe716474d04ebc51241940870e9240e621e72d"
    "4e37762f2ee268c789e8321342068484534ab30c1b4c8d1c519719abae77ffdb"
    "ecf0109534336bcb3e840fb9d85fb8a0b855533e70f718f5ce7b4ebf27cecea8"
    "b3be40c5c532293e71649ede8cf675a1e6f653c831a878de5040f762de36b2ba"
)

_STR = "a string"
_OPT_STR = "a string or null"
_INT = "an integer"
_OPT_INT = "an integer or null"
_BOOL = "true or false"

# key: (default, kind)
_SCHEMA = {
    "transport": (None, _STR),
    "security": (1, _INT),
    "pop": (EXAMPLE_POP, _OPT_STR),
    "sec2_username": ("wifiprov", _STR),
    "sec2_password": (None, _OPT_STR),
    "sec2_salt": (EXAMPLE_SEC2_SALT, _OPT_STR),
    "sec2_verifier": (EXAMPLE_SEC2_VERIFIER, _OPT_STR),
    # Window tables of the SRP verifier, built at start: 3 x 2**(width-1) numbers of 384 bytes
    # (width 4: ~11.5 KB). Each step up doubles that heap and makes the handshake a little faster.
    "sec2_table_width": (4, _INT),
    "service_name": (None, _OPT_STR),
    "service_prefix": ("PROV_", _STR),
    "softap_password": (None, _OPT_STR),
    "http_port": (80, _INT),
    "wifi_conn_attempts": (5, _INT),
    "scan_max_entries": (16, _INT),
    "auto_stop": (True, _BOOL),
    "auto_stop_delay_ms": (1000, _INT),
    "reset_on_failure": (True, _BOOL),
    "app_info": ([], "a list"),
    "show_qr": (False, _BOOL),
    "ble_service_uuid": ("021a9004-0382-4aea-bff4-6b3f1c5adfb4", _STR),
    "keep_ble": (False, _BOOL),
    "ble_force_encryption": (False, _BOOL),
    # Failed sessions (wrong PoP / SRP password): this many are free, each further one refuses
    # handshakes for auth_backoff_ms, doubling up to auth_backoff_max_ms (0 = no back-off), and
    # failure number auth_max_failures (0 = never) closes provisioning until a reboot or a press
    # of the button on unlock_button_pin (a GPIO pulled low when pressed; null = none).
    "auth_free_failures": (3, _INT),
    "auth_backoff_ms": (2000, _INT),
    "auth_backoff_max_ms": (60000, _INT),
    "auth_max_failures": (10, _INT),
    "unlock_button_pin": (None, _OPT_INT),
    # Handshakes started (SessionCmd0: key exchange, SRP) but never finished: this many in a row
    # are free, then one more per handshake_refill_ms; a finished one gives its share back.
    "handshake_burst": (3, _INT),
    "handshake_refill_ms": (30000, _INT),
    # Improv Wi-Fi front doors (no cryptography: off unless set). improv_ble: its GATT service
    # beside the provisioning one (transport "ble") or alone on BLE; improv_serial: on the USB
    # console; improv_redirect_url: sent after success, "{ip}" replaced by the board's address.
    "improv_ble": (False, _BOOL),
    "improv_serial": (False, _BOOL),
    "improv_redirect_url": (None, _OPT_STR),
}

_RANGES = {
    "security": (0, 2),
    "sec2_table_width": (1, 6),
    "http_port": (1, 65535),
    "wifi_conn_attempts": (0, 255),
    "scan_max_entries": (1, 255),
    "auto_stop_delay_ms": (100, 600000),
    "auth_free_failures": (0, 255),
    "auth_backoff_ms": (0, 600000),
    "auth_backoff_max_ms": (0, 3600000),
    "auth_max_failures": (0, 255),
    "unlock_button_pin": (0, 48),
    "handshake_burst": (0, 255),
    "handshake_refill_ms": (100, 3600000),
}


def defaults():
    """A fresh dict of every setting at its default (``transport`` still undecided: None)."""
    out = {}
    for key, (value, _) in _SCHEMA.items():
        out[key] = list(value) if isinstance(value, list) else value
    return out


def _type_ok(value, kind):
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _OPT_INT:
        return value is None or isinstance(value, int) and not isinstance(value, bool)
    if kind == _STR:
        return isinstance(value, str)
    if kind == _OPT_STR:
        return value is None or isinstance(value, str)
    return isinstance(value, list)


def _hex_ok(text):
    if len(text) % 2:
        return False
    for ch in text:
        if ch not in "0123456789abcdefABCDEF":
            return False
    return True


def _uuid_ok(text):
    if len(text) != 36:
        return False
    for i, ch in enumerate(text):
        if i in (8, 13, 18, 23):
            if ch != "-":
                return False
        elif ch not in "0123456789abcdefABCDEF":
            return False
    return True


def _check_app_info(entries):
    for entry in entries:
        if not isinstance(entry, dict) or sorted(entry.keys()) != ["cap", "label", "ver"]:
            raise SettingError("app_info", 'app_info entries must be {"label": ..., "ver": ..., "cap": [...]}')
        if not isinstance(entry["label"], str) or not isinstance(entry["ver"], str):
            raise SettingError("app_info", "app_info label and ver must be strings")
        if not isinstance(entry["cap"], list) or not all(isinstance(c, str) for c in entry["cap"]):
            raise SettingError("app_info", "app_info cap must be a list of strings")
        if entry["label"] == "prov":
            raise SettingError("app_info", 'app_info label "prov" is taken')


def validate(settings, given=None):
    """Check a complete settings dict; ``given`` is what the user set (a dict), for the SRP conflicts."""
    given = given or {}
    for key, value in settings.items():
        if key not in _SCHEMA:
            raise SettingError(None, "unknown setting: " + key)
        kind = _SCHEMA[key][1]
        if key == "transport" and value is None:
            continue
        if not _type_ok(value, kind):
            raise SettingError(key, "%s must be %s" % (key, kind))
        if key in _RANGES and value is not None:
            low, high = _RANGES[key]
            if not low <= value <= high:
                raise SettingError(key, "%s must be %d..%d" % (key, low, high))
    if settings["transport"] not in (None, "ble", "softap", "none"):
        raise SettingError("transport", 'transport must be "ble", "softap" or "none"')
    if settings["transport"] == "none" and not (settings["improv_ble"] or settings["improv_serial"]):
        raise SettingError("transport", 'transport "none" needs improv_ble or improv_serial')
    url = settings["improv_redirect_url"]
    if url is not None and not 0 < len(url.encode()) <= _URL_MAX:
        raise SettingError("improv_redirect_url", "improv_redirect_url must be 1..%d bytes" % _URL_MAX)
    password = settings["softap_password"]
    if password is not None and not 8 <= len(password) <= 64:
        raise SettingError("softap_password", "softap_password must be 8..64 characters (or null for an open AP)")
    name = settings["service_name"]
    if name is not None and not 1 <= len(name.encode()) <= _SSID_MAX:
        raise SettingError("service_name", "service_name must be 1..%d bytes" % _SSID_MAX)
    if name is None and len(settings["service_prefix"].encode()) > _SSID_MAX - _NAME_SUFFIX:
        raise SettingError("service_prefix", "service_prefix must be at most %d bytes" % (_SSID_MAX - _NAME_SUFFIX))
    if not _uuid_ok(settings["ble_service_uuid"]):
        raise SettingError("ble_service_uuid", "ble_service_uuid must look like 021a9004-0382-4aea-bff4-6b3f1c5adfb4")
    _check_app_info(settings["app_info"])
    if (given.get("sec2_salt") is None) != (given.get("sec2_verifier") is None):
        raise SettingError("sec2_salt", "set sec2_salt and sec2_verifier together")
    if given.get("sec2_password") is not None and given.get("sec2_salt") is not None:
        raise SettingError("sec2_password", "set either sec2_password (dev mode) or sec2_salt/sec2_verifier, not both")
    for key in ("sec2_salt", "sec2_verifier"):
        value = settings[key]
        if value is not None and (not value or not _hex_ok(value)):
            raise SettingError(key, key + " must be hex")
    if settings["security"] == 2 and settings["sec2_salt"] is None and settings["sec2_password"] is None:
        raise SettingError("security", "security 2 needs sec2_salt/sec2_verifier or sec2_password")
    if settings["sec2_salt"] is not None and settings["sec2_salt"][:2] == "00":
        raise SettingError("sec2_salt", "sec2_salt must not start with a zero byte (esp_prov cannot log in)")


def public_secret(settings):
    """The setting to change when ``settings`` use one of the example's public secrets, else None."""
    if settings["transport"] == "none":  # no Espressif client, so no secret in use
        return None
    level = settings["security"]
    if level == 1 and settings["pop"] == EXAMPLE_POP:
        return "pop"
    if level == 2 and (settings["sec2_password"] == EXAMPLE_POP or settings["sec2_salt"] == EXAMPLE_SEC2_SALT):
        return "sec2_password"
    return None


def _default_transport(log):
    try:
        import bluetooth  # noqa: F401

        transport, why = "ble", "the board has Bluetooth"
    except ImportError:
        transport, why = "softap", "no bluetooth module on this board"
    if log is not None:
        log("transport: %s (default: %s)" % (transport, why))
    return transport


def merge(given, log=None):
    """The settings for ``given`` (a dict of the user's values) merged over the defaults.

    A ``sec2_password`` given without ``sec2_salt``/``sec2_verifier`` clears both, so the
    device derives a pair from the password at start (dev mode). Without ``transport`` the
    default is BLE where the ``bluetooth`` module exists, else SoftAP; ``log(text)`` gets a
    line saying which and why. Raises ``SettingError`` naming the first unknown key, wrong
    type or bad value.
    """
    settings = defaults()
    for key, value in given.items():
        if key not in _SCHEMA:
            raise SettingError(None, "unknown setting: " + key)
        settings[key] = value
    if given.get("sec2_password") is not None and given.get("sec2_salt") is None:
        settings["sec2_salt"] = None
        settings["sec2_verifier"] = None
    validate(settings, given)
    if settings["transport"] is None:
        settings["transport"] = _default_transport(log)
    if settings["transport"] == "ble" or settings["improv_ble"]:
        _check_ble_name(settings)
    return settings


def _check_ble_name(settings):
    name = settings["service_name"]
    if name is not None and len(name.encode()) > _BLE_NAME_MAX:
        raise SettingError("service_name", "service_name must be at most %d bytes over BLE (the advertised name), "
                           "not %d" % (_BLE_NAME_MAX, len(name.encode())))
    if name is None and len(settings["service_prefix"].encode()) > _BLE_NAME_MAX - _NAME_SUFFIX:
        raise SettingError("service_prefix", "service_prefix must be at most %d bytes over BLE (the advertised name)"
                           % (_BLE_NAME_MAX - _NAME_SUFFIX))


def load(path=DEFAULT_PATH, log=None, error=None):
    """The settings in the JSON object at ``path`` (a missing file means all defaults); see ``merge``.

    Unlike ``merge`` it keeps the board provisioning: a bad value of a setting whose default
    is safe (the name, the port, timings, ...) is reported to ``error(text)`` (default ``log``)
    and replaced by the default. Anything else still raises ``ValueError``.
    """
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = "{}"
    try:
        given = json.loads(text)
    except ValueError:
        raise ValueError(path + " is not valid JSON")
    if not isinstance(given, dict):
        raise ValueError(path + " must hold a JSON object")
    if not text.rstrip().endswith("}"):  # v1.23's json.loads("{") gives {}: a cut-off file
        raise ValueError(path + " is not valid JSON")
    error = error or log
    while True:
        try:
            return merge(given, log)
        except SettingError as exc:
            if exc.key not in _FALLBACK or exc.key not in given:
                raise
            if error is not None:
                error("%s: %s; using the default" % (path, exc))
            del given[exc.key]
