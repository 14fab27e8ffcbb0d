"""Security 2 credentials made on the board: a salt and the SRP verifier for a username and password.

Derived exactly as esp_prov does, so its ``--sec2_username``/``--sec2_pwd`` (and the phone apps)
log in. Loaded only when the board derives a pair (dev mode, or a random per-device password).
"""

from micropython import const

from wifiprov import srp6a
from wifiprov.rand import random_bytes
from wifiprov.sha512 import sha512

_SALT_LEN = const(16)


def verifier(username, password, salt):
    """The SRP verifier esp_prov derives for ``username``/``password`` (str) and ``salt`` (bytes).

    x = H(salt ‖ H(I ‖ ":" ‖ P)) with the leading zero bytes of the inner hash dropped,
    as esp_prov does (PROTOCOL.md §7.2); the verifier is ``g^x mod N``, minimal bytes.
    """
    inner = sha512((username + ":" + password).encode()).digest().lstrip(b"\x00")
    x = int.from_bytes(sha512(salt + inner).digest(), "big")
    return srp6a.minimal(pow(srp6a.G, x, srp6a.N))


def new_pair(username, password):
    """A fresh random salt (never starting with 0x00) and its verifier: ``(salt, verifier)``."""
    salt = random_bytes(_SALT_LEN)
    while salt[0] == 0:  # esp_prov cannot log in with a salt starting with 0x00
        salt = random_bytes(_SALT_LEN)
    return salt, verifier(username, password, salt)
