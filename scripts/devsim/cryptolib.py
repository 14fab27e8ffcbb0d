"""Stand-in for ESP32 MicroPython's ``cryptolib`` with the board's exact semantics.

Only ECB (1) and CBC (2) exist, keys are 16 or 32 bytes, data must be a multiple of
16 bytes, and one object either encrypts or decrypts (PLATFORM.md §A1).
"""

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_MODE_ECB = 1
_MODE_CBC = 2


class aes:
    """AES block cipher object as ``cryptolib.aes(key, mode[, IV])``."""

    def __init__(self, key, mode, IV=None):
        key = bytes(key)
        if len(key) not in (16, 32):
            raise ValueError("key")
        if mode == _MODE_ECB:
            self._mode = modes.ECB()
        elif mode == _MODE_CBC:
            if IV is None or len(IV) != 16:
                raise ValueError("IV")
            self._mode = modes.CBC(bytes(IV))
        else:
            raise ValueError("mode")
        self._cipher = Cipher(algorithms.AES(key), self._mode)
        self._ctx = None
        self._direction = None

    def _run(self, direction, data, out):
        if len(data) % 16:
            raise ValueError("blksize % 16")
        if self._direction is None:
            self._direction = direction
            self._ctx = self._cipher.encryptor() if direction == "enc" else self._cipher.decryptor()
        elif self._direction != direction:
            raise ValueError("can't encrypt & decrypt")
        result = self._ctx.update(bytes(data))
        if out is None:
            return result
        if len(out) < len(data):
            raise ValueError("output too small")
        out[: len(result)] = result
        return out

    def encrypt(self, data, out=None):
        """Encrypt whole blocks; write into ``out`` when given."""
        return self._run("enc", data, out)

    def decrypt(self, data, out=None):
        """Decrypt whole blocks; write into ``out`` when given."""
        return self._run("dec", data, out)
