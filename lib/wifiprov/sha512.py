"""SHA-512 (FIPS 180-4) with a hashlib-style interface that allocates nothing per block on MicroPython."""

from array import array
from binascii import unhexlify
from struct import pack, unpack

from micropython import const

# 64-bit words are kept as four 16-bit limbs, most significant first: every intermediate
# value stays below 2**30, a small int even on a 32-bit port, so the rounds never allocate.
_M = const(0xFFFF)

# Round constants K[0..79], four limbs each.
_K = array("H", unpack(">320H", unhexlify(
    "428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc"
    "3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118"
    "d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e2"
    "72be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694"
    "e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c65"
    "2de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5"
    "983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4"
    "c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e70"
    "27b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df"
    "650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353b"
    "a2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30"
    "d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b8"
    "19a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8"
    "391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3"
    "748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec"
    "90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532b"
    "ca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed178"
    "06f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b"
    "28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c"
    "4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817"
)))

# A hash object's buffer: 64 limbs of scratch (the block function's message schedule), then
# the state H0..H7 in limbs 64-95.
_INITIAL = array("H", bytes(128)) + array("H", unpack(">32H", unhexlify(
    "6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1"
    "510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179"
)))


def _compress(state, k, data, blocks):
    """Absorb ``blocks`` 128-byte blocks from the start of ``data`` into the buffer ``state``."""
    # Shifts bind tighter than ^ and &: "x >> 14 ^ y << 2" is "(x >> 14) ^ (y << 2)".
    # A sum is carried between limbs only where a word must be exact: the new a and e,
    # the schedule word and the final state; T1 keeps its limbs apart until then.
    # A rotation takes each output limb from a pair of neighbouring input limbs, joined
    # into one int, shifted right so that it fits in 30 bits.
    p = 0
    for _ in range(blocks):
        a0 = state[64]
        a1 = state[65]
        a2 = state[66]
        a3 = state[67]
        b0 = state[68]
        b1 = state[69]
        b2 = state[70]
        b3 = state[71]
        c0 = state[72]
        c1 = state[73]
        c2 = state[74]
        c3 = state[75]
        d0 = state[76]
        d1 = state[77]
        d2 = state[78]
        d3 = state[79]
        e0 = state[80]
        e1 = state[81]
        e2 = state[82]
        e3 = state[83]
        f0 = state[84]
        f1 = state[85]
        f2 = state[86]
        f3 = state[87]
        g0 = state[88]
        g1 = state[89]
        g2 = state[90]
        g3 = state[91]
        h0 = state[92]
        h1 = state[93]
        h2 = state[94]
        h3 = state[95]
        for r in range(0, 320, 4):  # r = 4 * round: K[round] is k[r:r + 4]
            j = r & 63  # W[round] lives in state[j:j + 4], a window of the last 16 words
            if r < 64:
                w0 = data[p] << 8 | data[p + 1]
                w1 = data[p + 2] << 8 | data[p + 3]
                w2 = data[p + 4] << 8 | data[p + 5]
                w3 = data[p + 6] << 8 | data[p + 7]
                p += 8
            else:
                # W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]. The sigmas of the
                # top limb stay unmasked: w0 stays below 2**30, and its final mask drops the rest.
                i = (j + 56) & 63
                x0 = state[i]
                x1 = state[i + 1]
                x2 = state[i + 2]
                x3 = state[i + 3]
                p0 = x3 << 13 | x0 >> 3
                p1 = x0 << 13 | x1 >> 3
                p2 = x1 << 13 | x2 >> 3
                p3 = x2 << 13 | x3 >> 3
                i = (j + 36) & 63
                w0 = state[j] + state[i] + (p3 ^ p1 >> 10 ^ x0 >> 6)
                w1 = state[j + 1] + state[i + 1] + ((p0 ^ p2 >> 10 ^ p1 >> 3) & _M)
                w2 = state[j + 2] + state[i + 2] + ((p1 ^ p3 >> 10 ^ p2 >> 3) & _M)
                w3 = state[j + 3] + state[i + 3] + ((p2 ^ p0 >> 10 ^ p3 >> 3) & _M)
                i = (j + 4) & 63
                x0 = state[i]
                x1 = state[i + 1]
                x2 = state[i + 2]
                x3 = state[i + 3]
                p0 = (x3 & 0xFF) << 16 | x0
                p1 = (x0 & 0xFF) << 16 | x1
                p2 = (x1 & 0xFF) << 16 | x2
                p3 = (x2 & 0xFF) << 16 | x3
                w3 += (p3 >> 1 ^ p3 >> 8 ^ p3 >> 7) & _M
                w2 += ((p2 >> 1 ^ p2 >> 8 ^ p2 >> 7) & _M) + (w3 >> 16)
                w1 += ((p1 >> 1 ^ p1 >> 8 ^ p1 >> 7) & _M) + (w2 >> 16)
                w0 = (w0 + (p0 >> 1 ^ p0 >> 8 ^ x0 >> 7) + (w1 >> 16)) & _M
                w1 &= _M
                w2 &= _M
                w3 &= _M
            state[j] = w0
            state[j + 1] = w1
            state[j + 2] = w2
            state[j + 3] = w3
            # T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]
            p0 = e3 << 14 | e0 >> 2
            p1 = e0 << 14 | e1 >> 2
            p2 = e1 << 14 | e2 >> 2
            p3 = e2 << 14 | e3 >> 2
            t0 = h0 + k[r] + w0 + ((p0 >> 12 ^ p3 ^ p2 >> 7) & _M) + (g0 ^ (e0 & (f0 ^ g0)))
            t1 = h1 + k[r + 1] + w1 + ((p1 >> 12 ^ p0 ^ p3 >> 7) & _M) + (g1 ^ (e1 & (f1 ^ g1)))
            t2 = h2 + k[r + 2] + w2 + ((p2 >> 12 ^ p1 ^ p0 >> 7) & _M) + (g2 ^ (e2 & (f2 ^ g2)))
            t3 = h3 + k[r + 3] + w3 + ((p3 >> 12 ^ p2 ^ p1 >> 7) & _M) + (g3 ^ (e3 & (f3 ^ g3)))
            h0 = g0
            h1 = g1
            h2 = g2
            h3 = g3
            g0 = f0
            g1 = f1
            g2 = f2
            g3 = f3
            f0 = e0
            f1 = e1
            f2 = e2
            f3 = e3
            # e = d + T1
            e3 = d3 + t3
            e2 = d2 + t2 + (e3 >> 16)
            e1 = d1 + t1 + (e2 >> 16)
            e0 = (d0 + t0 + (e1 >> 16)) & _M
            e1 &= _M
            e2 &= _M
            e3 &= _M
            # T1 + T2, T2 = Sigma0(a) + Maj(a, b, c)
            p0 = a3 << 14 | a0 >> 2
            p1 = a0 << 14 | a1 >> 2
            p2 = a1 << 14 | a2 >> 2
            p3 = a2 << 14 | a3 >> 2
            t0 += ((p3 >> 10 ^ p2 ^ p2 >> 5) & _M) + (b0 ^ ((a0 ^ b0) & (b0 ^ c0)))
            t1 += ((p0 >> 10 ^ p3 ^ p3 >> 5) & _M) + (b1 ^ ((a1 ^ b1) & (b1 ^ c1)))
            t2 += ((p1 >> 10 ^ p0 ^ p0 >> 5) & _M) + (b2 ^ ((a2 ^ b2) & (b2 ^ c2)))
            t3 += ((p2 >> 10 ^ p1 ^ p1 >> 5) & _M) + (b3 ^ ((a3 ^ b3) & (b3 ^ c3)))
            d0 = c0
            d1 = c1
            d2 = c2
            d3 = c3
            c0 = b0
            c1 = b1
            c2 = b2
            c3 = b3
            b0 = a0
            b1 = a1
            b2 = a2
            b3 = a3
            a3 = t3 & _M
            t2 += t3 >> 16
            a2 = t2 & _M
            t1 += t2 >> 16
            a1 = t1 & _M
            a0 = (t0 + (t1 >> 16)) & _M
        # H += a..h; the scratch is free now, so the words go there to be added in a loop.
        state[0] = a0
        state[1] = a1
        state[2] = a2
        state[3] = a3
        state[4] = b0
        state[5] = b1
        state[6] = b2
        state[7] = b3
        state[8] = c0
        state[9] = c1
        state[10] = c2
        state[11] = c3
        state[12] = d0
        state[13] = d1
        state[14] = d2
        state[15] = d3
        state[16] = e0
        state[17] = e1
        state[18] = e2
        state[19] = e3
        state[20] = f0
        state[21] = f1
        state[22] = f2
        state[23] = f3
        state[24] = g0
        state[25] = g1
        state[26] = g2
        state[27] = g3
        state[28] = h0
        state[29] = h1
        state[30] = h2
        state[31] = h3
        for i in range(64, 96, 4):
            t3 = state[i + 3] + state[i - 61]
            state[i + 3] = t3 & _M
            t2 = state[i + 2] + state[i - 62] + (t3 >> 16)
            state[i + 2] = t2 & _M
            t1 = state[i + 1] + state[i - 63] + (t2 >> 16)
            state[i + 1] = t1 & _M
            state[i] = (state[i] + state[i - 64] + (t1 >> 16)) & _M


class sha512:
    """SHA-512 hash object: ``update``, ``digest`` (64 bytes) and ``copy``."""

    digest_size = 64
    block_size = 128

    def __init__(self, data=b""):
        self._state = array("H", _INITIAL)
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
            _compress(self._state, _K, buf, 1)
        blocks = (n - pos) >> 7
        if blocks:
            _compress(self._state, _K, view[pos:], blocks)
            pos += blocks << 7
        used = n - pos
        buf[:used] = view[pos:]
        self._used = used

    def digest(self):
        """Return the digest of everything absorbed so far; the object stays usable."""
        state = array("H", self._state)
        used = self._used
        end = 128 if used < 112 else 256
        tail = bytearray(end)
        tail[:used] = memoryview(self._buf)[:used]
        tail[used] = 0x80
        tail[end - 16:] = (self._length * 8).to_bytes(16, "big")
        _compress(state, _K, tail, end >> 7)
        return pack(">32H", *state[64:])

    def copy(self):
        """Return an independent hash object in the same state (e.g. a cached prefix)."""
        other = sha512()
        other._state[:] = self._state
        other._buf[:] = self._buf
        other._used = self._used
        other._length = self._length
        return other


# The viper block function replaces the pure one where the port compiles it and it hashes
# "abc" right; ``native`` says which one runs. Importing it fails with SyntaxError without
# a native emitter (WebAssembly, ESP32-C3 before v1.24), AttributeError on CPython,
# MemoryError if the machine code does not fit. The unused function is freed.
_pure = _compress
try:
    from wifiprov.sha512_viper import compress as _compress

    native = sha512(b"abc").digest() == unhexlify(
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    )
except Exception:
    native = False
if not native:
    _compress = _pure
del _pure
