"""Per-device provisioning secrets: a random PoP or SRP password made on first use and kept in NVS.

``"pop": "random"`` (security 1) or ``"sec2_password": "random"`` (security 2) in /wifiprov.json
asks for one. It survives credential erases and re-provisioning; ``forget()`` makes the next
boot draw a new one. For security 2 the board derives the salt and verifier once, when it draws
the password (or the username changes), and keeps them beside it. Clients get the secret from
the QR payload, the only place it is shown.
"""

from binascii import hexlify

from micropython import const

from wifiprov.config import RANDOM_SECRET
from wifiprov.rand import random_bytes
from wifiprov.store import read_blob, seal, unseal

_NAMESPACE = "wifiprov"  # shared with the credential store (different keys)
_POP_KEY = "pop"
_SEC2_KEY = "sec2"
_MAGIC = b"WS\x01"
_RECORD_MAX = const(1024)  # username (<= 255) + password + salt + verifier (<= 384) + framing
# 32 symbols (5 bits each) without look-alikes (0/o, 1/l): 16 of them are 80 bits.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_SECRET_LEN = const(16)


def encode_record(fields):
    """The NVS blob for a list of byte strings (each up to 65535 bytes), with a check value."""
    body = bytearray(_MAGIC)
    for field in fields:
        body += len(field).to_bytes(2, "big") + field
    return seal(bytes(body))


def decode_record(data):
    """The list of byte strings in an NVS blob, or ``None`` if it is not a whole, intact record."""
    body = unseal(data, _MAGIC, len(_MAGIC))
    if body is None:
        return None
    fields = []
    pos = len(_MAGIC)
    while pos < len(body):
        if pos + 2 > len(body):
            return None
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        if end > len(body):
            return None
        fields.append(body[pos + 2 : end])
        pos = end
    return fields


def new_secret():
    """A fresh secret: 16 characters from an alphabet without look-alikes (80 bits)."""
    return "".join(_ALPHABET[byte & 31] for byte in random_bytes(_SECRET_LEN))


def _load(nvs, key):
    blob = read_blob(nvs, key, bytearray(_RECORD_MAX))
    return None if blob is None else decode_record(blob)


def _save(nvs, key, fields):
    nvs.set_blob(key, encode_record(fields))
    nvs.commit()


def resolve(settings, esp32_module, log=None):
    """Put this board's own secret where ``settings`` (a ``config`` dict) asks for a random one.

    Only the configured security level's secret is made or read. Security 2 also gets the
    stored salt and verifier (hex) and keeps the password for the QR payload. ``log(text)``
    hears when a secret or verifier is made, never the secret itself.
    """
    level = settings["security"]
    if level == 1 and settings["pop"] == RANDOM_SECRET:
        nvs = esp32_module.NVS(_NAMESPACE)
        fields = _load(nvs, _POP_KEY)
        if fields is None:
            fields = [new_secret().encode()]
            _save(nvs, _POP_KEY, fields)
            _say(log, "made a per-device PoP (kept in NVS; it is in the QR payload)")
        settings["pop"] = fields[0].decode()
    elif level == 2 and settings["sec2_password"] == RANDOM_SECRET:
        nvs = esp32_module.NVS(_NAMESPACE)
        username = settings["sec2_username"].encode()
        fields = _load(nvs, _SEC2_KEY)
        if fields is None or len(fields) != 4 or fields[1] != username:
            from wifiprov import srp_verifier

            password = fields[0] if fields else new_secret().encode()
            _say(log, "deriving the SRP verifier of the per-device password for %s (once)"
                 % ("a new username" if fields else "a new password"))
            salt, verifier = srp_verifier.new_pair(settings["sec2_username"], password.decode())
            fields = [password, username, salt, verifier]
            _save(nvs, _SEC2_KEY, fields)
        settings["sec2_password"] = fields[0].decode()
        settings["sec2_salt"] = hexlify(fields[2]).decode()
        settings["sec2_verifier"] = hexlify(fields[3]).decode()
    return settings


def forget(esp32_module):
    """Erase the per-device secrets; the next start with ``"random"`` makes new ones."""
    nvs = esp32_module.NVS(_NAMESPACE)
    for key in (_POP_KEY, _SEC2_KEY):
        try:
            nvs.erase_key(key)
        except OSError:  # not there
            continue
        nvs.commit()


def _say(log, text):
    if log is not None:
        log(text)
