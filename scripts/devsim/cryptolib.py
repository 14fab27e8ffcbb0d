"""Stand-in for ESP32 MicroPython's ``cryptolib`` with the board's exact semantics.

Only ECB (1) and CBC (2) exist, keys are 16 or 32 bytes, data must be a multiple of
16 bytes, one object either encrypts or decrypts, and arguments are positional only
(PLATFORM.md §A1, ``extmod/modcryptolib.c``).
"""

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_MODE_ECB = 1
_MODE_CBC = 2


class aes:
    """AES block cipher object as ``cryptolib.aes(key, mode[, IV])``."""

    def __init__(self, key, mode, *iv):
        if mode not in (_MODE_ECB, _MODE_CBC):
            raise ValueError("mode")
        key = bytes(key)
        if len(key) not in (16, 32):
            raise ValueError("key")
        if len(iv) > 1:
            raise TypeError("too many arguments")
        iv = iv[0] if iv else None
        if iv is not None and len(iv) != 16:
            raise ValueError("IV")
        if mode == _MODE_CBC:
            if iv is None:
                raise ValueError("IV")
            self._mode = modes.CBC(bytes(iv))
        else:
            self._mode = modes.ECB()
        self._cipher = Cipher(algorithms.AES(key), self._mode)
        self._ctx = None
        self._direction = None

    def _run(self, direction, data, out):
        if len(out) > 1:
            raise TypeError("too many arguments")
        if len(data) % 16:
            raise ValueError("blksize % 16")
        if out and len(out[0]) < len(data):
            raise ValueError("output too small")
        if self._direction is None:
            self._direction = direction
            self._ctx = self._cipher.encryptor() if direction == "enc" else self._cipher.decryptor()
        elif self._direction != direction:
            raise ValueError("can't encrypt & decrypt")
        result = self._ctx.update(bytes(data))
        if not out:
            return result
        out[0][: len(result)] = result
        return out[0]

    def encrypt(self, data, *out):
        """Encrypt whole blocks; write into the optional output buffer."""
        return self._run("enc", data, out)

    def decrypt(self, data, *out):
        """Decrypt whole blocks; write into the optional output buffer."""
        return self._run("dec", data, out)
