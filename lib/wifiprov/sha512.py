"""SHA-512 (FIPS 180-4) in pure Python with a hashlib-style interface, tuned for MicroPython."""

from struct import pack, unpack_from

# Round constants, one row of 16 per pass of the unrolled round loop.
_K = (
    (
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
        0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
        0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    ),
    (
        0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
        0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
        0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    ),
    (
        0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
        0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
        0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
        0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    ),
    (
        0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    ),
    (
        0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
        0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
        0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
    ),
)

_IV = (
    0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
)


def _compress(state, data, offset):
    # Every 64-bit operation allocates on MicroPython, so the rounds use as few as possible:
    # * x * C lays two copies of x side by side, making each rotation one right shift;
    #   bits above 63 are left in the sums and cleared by the one mask per new word.
    # * maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)); a ^ b is the next round's b ^ c (x / y).
    # * 16 rounds are unrolled with rotating names, and the message schedule lives in
    #   sixteen locals that are advanced in place between passes.
    M = 0xFFFFFFFFFFFFFFFF
    C = 0x10000000000000001
    w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15 = unpack_from(">16Q", data, offset)
    a, b, c, d, e, f, g, h = state
    y = b ^ c
    for i in range(5):
        k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15 = _K[i]
        z = e * C
        t = h + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (g ^ (e & (f ^ g))) + k0 + w0
        d = (d + t) & M
        z = a * C
        x = a ^ b
        h = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (b ^ (x & y))) & M
        z = d * C
        t = g + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (f ^ (d & (e ^ f))) + k1 + w1
        c = (c + t) & M
        z = h * C
        y = h ^ a
        g = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (a ^ (y & x))) & M
        z = c * C
        t = f + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (e ^ (c & (d ^ e))) + k2 + w2
        b = (b + t) & M
        z = g * C
        x = g ^ h
        f = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (h ^ (x & y))) & M
        z = b * C
        t = e + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (d ^ (b & (c ^ d))) + k3 + w3
        a = (a + t) & M
        z = f * C
        y = f ^ g
        e = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (g ^ (y & x))) & M
        z = a * C
        t = d + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (c ^ (a & (b ^ c))) + k4 + w4
        h = (h + t) & M
        z = e * C
        x = e ^ f
        d = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (f ^ (x & y))) & M
        z = h * C
        t = c + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (b ^ (h & (a ^ b))) + k5 + w5
        g = (g + t) & M
        z = d * C
        y = d ^ e
        c = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (e ^ (y & x))) & M
        z = g * C
        t = b + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (a ^ (g & (h ^ a))) + k6 + w6
        f = (f + t) & M
        z = c * C
        x = c ^ d
        b = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (d ^ (x & y))) & M
        z = f * C
        t = a + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (h ^ (f & (g ^ h))) + k7 + w7
        e = (e + t) & M
        z = b * C
        y = b ^ c
        a = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (c ^ (y & x))) & M
        z = e * C
        t = h + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (g ^ (e & (f ^ g))) + k8 + w8
        d = (d + t) & M
        z = a * C
        x = a ^ b
        h = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (b ^ (x & y))) & M
        z = d * C
        t = g + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (f ^ (d & (e ^ f))) + k9 + w9
        c = (c + t) & M
        z = h * C
        y = h ^ a
        g = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (a ^ (y & x))) & M
        z = c * C
        t = f + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (e ^ (c & (d ^ e))) + k10 + w10
        b = (b + t) & M
        z = g * C
        x = g ^ h
        f = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (h ^ (x & y))) & M
        z = b * C
        t = e + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (d ^ (b & (c ^ d))) + k11 + w11
        a = (a + t) & M
        z = f * C
        y = f ^ g
        e = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (g ^ (y & x))) & M
        z = a * C
        t = d + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (c ^ (a & (b ^ c))) + k12 + w12
        h = (h + t) & M
        z = e * C
        x = e ^ f
        d = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (f ^ (x & y))) & M
        z = h * C
        t = c + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (b ^ (h & (a ^ b))) + k13 + w13
        g = (g + t) & M
        z = d * C
        y = d ^ e
        c = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (e ^ (y & x))) & M
        z = g * C
        t = b + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (a ^ (g & (h ^ a))) + k14 + w14
        f = (f + t) & M
        z = c * C
        x = c ^ d
        b = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (d ^ (x & y))) & M
        z = f * C
        t = a + ((z >> 14) ^ (z >> 18) ^ (z >> 41)) + (h ^ (f & (g ^ h))) + k15 + w15
        e = (e + t) & M
        z = b * C
        y = b ^ c
        a = (t + ((z >> 28) ^ (z >> 34) ^ (z >> 39)) + (c ^ (y & x))) & M
        if i == 4:
            break
        z = w1 * C
        u = w14 * C
        w0 = (w0 + ((z >> 1) ^ (z >> 8) ^ (w1 >> 7)) + w9 + ((u >> 19) ^ (u >> 61) ^ (w14 >> 6))) & M
        z = w2 * C
        u = w15 * C
        w1 = (w1 + ((z >> 1) ^ (z >> 8) ^ (w2 >> 7)) + w10 + ((u >> 19) ^ (u >> 61) ^ (w15 >> 6))) & M
        z = w3 * C
        u = w0 * C
        w2 = (w2 + ((z >> 1) ^ (z >> 8) ^ (w3 >> 7)) + w11 + ((u >> 19) ^ (u >> 61) ^ (w0 >> 6))) & M
        z = w4 * C
        u = w1 * C
        w3 = (w3 + ((z >> 1) ^ (z >> 8) ^ (w4 >> 7)) + w12 + ((u >> 19) ^ (u >> 61) ^ (w1 >> 6))) & M
        z = w5 * C
        u = w2 * C
        w4 = (w4 + ((z >> 1) ^ (z >> 8) ^ (w5 >> 7)) + w13 + ((u >> 19) ^ (u >> 61) ^ (w2 >> 6))) & M
        z = w6 * C
        u = w3 * C
        w5 = (w5 + ((z >> 1) ^ (z >> 8) ^ (w6 >> 7)) + w14 + ((u >> 19) ^ (u >> 61) ^ (w3 >> 6))) & M
        z = w7 * C
        u = w4 * C
        w6 = (w6 + ((z >> 1) ^ (z >> 8) ^ (w7 >> 7)) + w15 + ((u >> 19) ^ (u >> 61) ^ (w4 >> 6))) & M
        z = w8 * C
        u = w5 * C
        w7 = (w7 + ((z >> 1) ^ (z >> 8) ^ (w8 >> 7)) + w0 + ((u >> 19) ^ (u >> 61) ^ (w5 >> 6))) & M
        z = w9 * C
        u = w6 * C
        w8 = (w8 + ((z >> 1) ^ (z >> 8) ^ (w9 >> 7)) + w1 + ((u >> 19) ^ (u >> 61) ^ (w6 >> 6))) & M
        z = w10 * C
        u = w7 * C
        w9 = (w9 + ((z >> 1) ^ (z >> 8) ^ (w10 >> 7)) + w2 + ((u >> 19) ^ (u >> 61) ^ (w7 >> 6))) & M
        z = w11 * C
        u = w8 * C
        w10 = (w10 + ((z >> 1) ^ (z >> 8) ^ (w11 >> 7)) + w3 + ((u >> 19) ^ (u >> 61) ^ (w8 >> 6))) & M
        z = w12 * C
        u = w9 * C
        w11 = (w11 + ((z >> 1) ^ (z >> 8) ^ (w12 >> 7)) + w4 + ((u >> 19) ^ (u >> 61) ^ (w9 >> 6))) & M
        z = w13 * C
        u = w10 * C
        w12 = (w12 + ((z >> 1) ^ (z >> 8) ^ (w13 >> 7)) + w5 + ((u >> 19) ^ (u >> 61) ^ (w10 >> 6))) & M
        z = w14 * C
        u = w11 * C
        w13 = (w13 + ((z >> 1) ^ (z >> 8) ^ (w14 >> 7)) + w6 + ((u >> 19) ^ (u >> 61) ^ (w11 >> 6))) & M
        z = w15 * C
        u = w12 * C
        w14 = (w14 + ((z >> 1) ^ (z >> 8) ^ (w15 >> 7)) + w7 + ((u >> 19) ^ (u >> 61) ^ (w12 >> 6))) & M
        z = w0 * C
        u = w13 * C
        w15 = (w15 + ((z >> 1) ^ (z >> 8) ^ (w0 >> 7)) + w8 + ((u >> 19) ^ (u >> 61) ^ (w13 >> 6))) & M
    state[0] = (state[0] + a) & M
    state[1] = (state[1] + b) & M
    state[2] = (state[2] + c) & M
    state[3] = (state[3] + d) & M
    state[4] = (state[4] + e) & M
    state[5] = (state[5] + f) & M
    state[6] = (state[6] + g) & M
    state[7] = (state[7] + h) & M


class sha512:
    """SHA-512 hash object: ``update``, ``digest`` (64 bytes) and ``copy``."""

    digest_size = 64
    block_size = 128

    def __init__(self, data=b""):
        self._state = list(_IV)
        self._buf = bytearray(128)
        self._used = 0
        self._length = 0
        if data:
            self.update(data)

    def update(self, data):
        """Absorb ``data`` (any bytes-like object)."""
        view = memoryview(data)
        n = len(view)
        self._length += n
        state = self._state
        buf = self._buf
        used = self._used
        pos = 0
        if used:
            pos = min(128 - used, n)
            buf[used:used + pos] = view[:pos]
            used += pos
            if used < 128:
                self._used = used
                return
            _compress(state, buf, 0)
        while n - pos >= 128:
            _compress(state, data, pos)
            pos += 128
        used = n - pos
        buf[:used] = view[pos:]
        self._used = used

    def digest(self):
        """Return the digest of everything absorbed so far; the object stays usable."""
        state = list(self._state)
        used = self._used
        end = 128 if used < 112 else 256
        tail = bytearray(end)
        tail[:used] = memoryview(self._buf)[:used]
        tail[used] = 0x80
        tail[end - 16:] = (self._length * 8).to_bytes(16, "big")
        _compress(state, tail, 0)
        if end == 256:
            _compress(state, tail, 128)
        return pack(">8Q", *state)

    def copy(self):
        """Return an independent hash object in the same state (e.g. a cached prefix)."""
        other = sha512()
        other._state = list(self._state)
        other._buf[:] = self._buf
        other._used = self._used
        other._length = self._length
        return other
