"""AES-256-GCM (NIST SP 800-38D, no associated data) on the board's ECB block cipher."""

from wifiprov.aes_block import ecb_encryptor
from wifiprov.aes_ctr import encrypt_counters, xor
from wifiprov.consttime import equal

_MASK32 = 0xFFFFFFFF
_MASK128 = (1 << 128) - 1
_R = 0xE1 << 120


class TagMismatch(ValueError):
    """The authentication tag did not verify, or the data is shorter than a tag."""


def _nibble_table(powers):
    # Entry n is the product of H with the nibble n whose bits 3..0 stand for powers[0..3],
    # shifted up 128 bits so that _mul_h can shift the accumulator right without losing bits.
    table = [0] * 16
    for n in range(1, 16):
        value = 0
        for k in range(4):
            if n & (8 >> k):
                value ^= powers[k]
        table[n] = value << 128
    return table


class AesGcm:
    """AES-256-GCM with 16-byte tags appended to the ciphertext; one object per key."""

    def __init__(self, key):
        self._ecb = ecb_encryptor(key)
        h = int.from_bytes(self._ecb.encrypt(bytes(16)), "big")
        # GCM stores the coefficient of x^i in bit 127 - i, so multiplying by x is a
        # right shift. powers[k] = H * x^k for the eight bit positions of a byte.
        powers = []
        for _ in range(8):
            powers.append(h)
            h = (h >> 1) ^ (_R if h & 1 else 0)
        self._high = _nibble_table(powers[0:4])
        self._low = _nibble_table(powers[4:8])
        self._buf = bytearray(16 * 8)

    def _mul_h(self, y):
        """Return ``y`` times H in GF(2^128) (GCM bit order, 128-bit integers)."""
        high = self._high
        low = self._low
        # Horner over the bytes of y from the last one (highest powers of x) to the first,
        # eight bits per step, keeping the overflow past x^127 in the low 128 bits.
        acc = 0
        for byte in y.to_bytes(16, "little"):
            acc = (acc >> 8) ^ high[byte >> 4] ^ low[byte & 15]
        # The overflow is x^128 * L with deg L <= 119; x^128 = 1 + x + x^2 + x^7 mod the
        # GCM polynomial, and L * x^7 still fits in 128 bits, so one step reduces it.
        over = acc & _MASK128
        return (acc >> 128) ^ over ^ (over >> 1) ^ (over >> 2) ^ (over >> 7)

    def _ghash(self, data):
        """Return GHASH of ``data`` zero-padded to whole blocks, followed by its length block."""
        view = memoryview(data)
        n = len(view)
        y = 0
        for pos in range(0, n - 15, 16):
            y = self._mul_h(y ^ int.from_bytes(view[pos:pos + 16], "big"))
        tail = n & 15
        if tail:
            y = self._mul_h(y ^ (int.from_bytes(view[n - tail:], "big") << (128 - 8 * tail)))
        return self._mul_h(y ^ (8 * n))

    def _keystream(self, nonce, n):
        """Return a view of E(J0) followed by the keystream for ``n`` bytes."""
        size = len(nonce)
        if size == 12:
            j0 = (int.from_bytes(nonce, "big") << 32) | 1
        elif size:
            j0 = self._ghash(nonce)
        else:
            raise ValueError("empty GCM nonce")
        count = 1 + ((n + 15) >> 4)
        buf = self._buf
        if len(buf) < 16 * count:
            buf = self._buf = bytearray(16 * count)
        encrypt_counters(self._ecb, buf, 0, j0, count, _MASK32)
        return memoryview(buf)

    def _tag(self, stream, ciphertext):
        """Return the 16-byte tag: GHASH of the ciphertext masked with E(J0)."""
        return (self._ghash(ciphertext) ^ int.from_bytes(stream[:16], "big")).to_bytes(16, "big")

    def encrypt(self, nonce, plaintext):
        """Return ciphertext followed by the 16-byte tag.

        A 12-byte nonce gives J0 = nonce || 00000001; any other length (sec2 patch 0 uses
        16 bytes) is hashed into J0 with GHASH.
        """
        n = len(plaintext)
        stream = self._keystream(nonce, n)
        ciphertext = xor(plaintext, stream[16:16 + n], n)
        return ciphertext + self._tag(stream, ciphertext)

    def decrypt(self, nonce, data):
        """Return the plaintext of ciphertext-plus-tag ``data``; raise ``TagMismatch`` if it does not verify."""
        n = len(data) - 16
        if n < 0:
            raise TagMismatch("data shorter than the tag")
        view = memoryview(data)
        stream = self._keystream(nonce, n)
        if not equal(self._tag(stream, view[:n]), view[n:]):
            raise TagMismatch("GCM tag mismatch")
        return xor(view[:n], stream[16:16 + n], n)
