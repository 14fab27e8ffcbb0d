"""Stand-in for the ESP32's ``cryptolib`` on the WebAssembly MicroPython (host tests only).

Semantics follow ``extmod/modcryptolib.c`` on ESP32 (PLATFORM.md §A1): ECB (1) and CBC (2)
only, 16- or 32-byte keys, positional arguments only (keywords raise ``TypeError``), data a
multiple of 16 bytes, one object either encrypts or decrypts, CBC chains its IV across calls.
The AES rounds run in Node's ``crypto`` through the ``_hostaes`` JS module registered by
``host_tests/mp_runner/run.mjs``; data crosses as hex strings (Python bytes reach JS only as
proxies).
"""

from binascii import hexlify, unhexlify

import _hostaes

_MODE_ECB = 1
_MODE_CBC = 2


class aes:
    """AES object as ``cryptolib.aes(key, mode[, IV])`` (the board rejects keyword arguments)."""

    def __init__(self, key, mode, *iv):
        if len(iv) > 1:
            raise TypeError("function expected at most 3 arguments")
        if not isinstance(mode, (int, bool)):  # MicroPython's bool is no int subclass
            raise TypeError("can't convert to int")
        # The board checks mode, then key, then IV, in this order.
        if mode != _MODE_ECB and mode != _MODE_CBC:
            raise ValueError("mode")
        key = bytes(key)
        if len(key) != 16 and len(key) != 32:
            raise ValueError("key")
        iv = iv[0] if iv else None
        if iv is not None:
            iv = bytes(iv)
            if len(iv) != 16:
                raise ValueError("IV")
            iv = hexlify(iv).decode()
        elif mode == _MODE_CBC:
            raise ValueError("IV")
        self._key = hexlify(key).decode()
        self._mode = mode
        self._iv = iv
        self._encrypting = None

    def _process(self, data, out, encrypting):
        if len(out) > 1:
            raise TypeError("function expected at most 3 arguments")
        n = len(data)
        if n % 16:
            raise ValueError("blksize % 16")
        if out:
            out = out[0]
            if out is None or isinstance(out, (bytes, str)):
                raise TypeError("object with buffer protocol required")
            if len(out) < n:
                raise ValueError("output too small")
        else:
            out = None
        if self._encrypting is None:
            self._encrypting = encrypting
        elif self._encrypting != encrypting:
            raise ValueError("can't encrypt & decrypt")
        if n == 0:
            result = b""
        else:
            data_hex = hexlify(data).decode()
            if self._mode == _MODE_ECB:
                result_hex = _hostaes.ecb(self._key, data_hex, encrypting)
            else:
                result_hex = _hostaes.cbc(self._key, self._iv, data_hex, encrypting)
                # The next IV is the last ciphertext block: output when encrypting, input when decrypting.
                self._iv = (result_hex if encrypting else data_hex)[-32:]
            result = unhexlify(result_hex)
        if out is None:
            return result
        out[:n] = result
        return out

    def encrypt(self, data, *out):
        """``encrypt(data[, out])``: encrypt whole 16-byte blocks; with ``out`` fill and return it."""
        return self._process(data, out, True)

    def decrypt(self, data, *out):
        """``decrypt(data[, out])``: decrypt whole 16-byte blocks; with ``out`` fill and return it."""
        return self._process(data, out, False)
