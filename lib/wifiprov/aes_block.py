"""Adapter for the board's AES block cipher (``cryptolib``: ECB encrypt only is used)."""

import cryptolib

_MODE_ECB = 1


def ecb_encryptor(key):
    """Return an object whose ``encrypt(blocks, out)`` AES-encrypts whole 16-byte blocks."""
    return cryptolib.aes(bytes(key), _MODE_ECB)
