"""AES-256 counter mode built on the board's ECB block cipher (sec1 stream, GCM's CTR part)."""

from wifiprov.aes_block import ecb_encryptor

_MASK128 = (1 << 128) - 1


def encrypt_counters(ecb, buf, start, counter, count, mask):
    """Fill ``buf[start:start + 16 * count]`` with AES of ``count`` successive counter blocks.

    ``counter`` is the first block as a 128-bit integer; only the bits in ``mask`` count
    up (and wrap), the others stay fixed. All blocks go through one ECB call.
    """
    fixed = counter ^ (counter & mask)
    low = counter & mask
    end = start + 16 * count
    for pos in range(start, end, 16):
        buf[pos:pos + 16] = (fixed | low).to_bytes(16, "big")
        low = (low + 1) & mask
    blocks = memoryview(buf)[start:end]
    ecb.encrypt(blocks, blocks)


def xor(data, keystream, n):
    """Return the ``n``-byte XOR of two bytes-like objects of length ``n``."""
    if not n:
        return b""
    return (int.from_bytes(data, "big") ^ int.from_bytes(keystream, "big")).to_bytes(n, "big")


class AesCtr:
    """AES-256-CTR stream whose 16-byte counter block counts as one 128-bit big-endian integer.

    The keystream is consumed byte by byte across ``crypt`` calls, so messages need not
    be block aligned. Encryption and decryption are the same operation.
    """

    def __init__(self, key, counter_block):
        if len(counter_block) != 16:
            raise ValueError("counter block must be 16 bytes")
        self._ecb = ecb_encryptor(key)
        self._counter = int.from_bytes(counter_block, "big")
        # Bytes 0-15 hold the keystream left over from the previous call, right-aligned,
        # so it joins the fresh blocks that follow without a copy.
        self._buf = bytearray(16 + 64)
        self._rest = b""

    def crypt(self, data):
        """Encrypt or decrypt ``data`` with the next ``len(data)`` keystream bytes."""
        n = len(data)
        rest = self._rest
        have = len(rest)
        if n <= have:
            self._rest = rest[n:]
            return xor(data, rest[:n], n)
        count = (n - have + 15) >> 4
        end = 16 + 16 * count
        buf = self._buf
        if len(buf) < end:
            buf = self._buf = bytearray(end)
        begin = 16 - have
        buf[begin:16] = rest
        encrypt_counters(self._ecb, buf, 16, self._counter, count, _MASK128)
        self._counter = (self._counter + count) & _MASK128
        view = memoryview(buf)
        self._rest = bytes(view[begin + n:end])
        return xor(data, view[begin:begin + n], n)
