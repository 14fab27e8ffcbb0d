"""SRP-6a server math of security 2: RFC 5054 3072-bit group, g = 5, H = SHA-512 (PROTOCOL.md §7.2).

``S = (A·v^u)^b`` is evaluated as ``A^b · v^(u·b)`` along one chain of at most 255
squarings. ``b`` is drawn and split into sliding windows ahead of time (``prepare``);
the verifier keeps odd powers of ``v``, ``v^(2^256)`` and ``v^(2^512)``, so the
768-bit exponent ``u·b`` costs multiplications only. Nothing here is constant time
except the proof comparison.
"""

from binascii import unhexlify

from micropython import const

from wifiprov.consttime import equal
from wifiprov.rand import random_bytes
from wifiprov.sha512 import sha512

_LEN = const(384)  # bytes of N: PAD() length, longest accepted A and verifier
_HASH_LEN = const(64)
_USERNAME_MAX = const(255)
_B_LEN = const(32)  # bytes of b, and of each of the three 256-bit chunks of u·b
_B_BITS = const(256)
_A_WIDTH = const(4)  # windows of b for A^b: 8 odd powers of A (3 KB) made per handshake
# Verifier tables: 3 bases x 2**(width-1) odd powers x ~400 bytes (width 5: 19.2 KB). Each
# step down halves the tables and costs more multiplications per handshake (Verifier's width).
TABLE_WIDTH = const(5)
# An event is one table multiplication: bit position << 7 | table << 5 | (odd digit >> 1).
_POS_SHIFT = const(7)
_TABLE_SHIFT = const(5)
_INDEX_MASK = const(31)

N = int(
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
    "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
    "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
    "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
    "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff",
    16,
)
G = 5
# k = H(N ‖ PAD(g))
MULTIPLIER = int(
    "a9c2e2559bf0ebb53f0cbbf62282906bede7f2182f00678211fbd5bde5b28503"
    "3a4993503b87397f9be5ec02080fedbc0835587ad039060879b8621e8c3659e0",
    16,
)
# H(N) xor H(PAD(g)), the first 64 bytes hashed into M
HN_XOR_HG = unhexlify(
    "dad76ed5365ed7bf6bbc1bfa050981458392bbd35a50335d03db3c7535b261d1"
    "c902f2ffb8647125bd28ce966c066d5be9b939216c6078b65889299c61624694"
)


class SrpError(ValueError):
    """A handshake value the device must refuse (bad parameter or proof mismatch)."""


def pad(x):
    """PAD(x): ``x`` (0 <= x < 2**3072) as 384 big-endian bytes."""
    return x.to_bytes(_LEN, "big")


def minimal(x):
    """bytes(x): ``x`` (0 <= x < 2**3072) big-endian without leading zero bytes."""
    return x.to_bytes(_LEN, "big").lstrip(b"\x00")


def _compact(x):
    # A remainder keeps the digit buffer of its 6144-bit dividend; a copy through
    # bytes needs half the memory, which matters for long-lived table entries.
    return int.from_bytes(x.to_bytes(_LEN, "big"), "big")


def _odd_powers(x, count):
    """[x, x^3, x^5, ...] mod N with ``count`` entries, each stored compactly."""
    powers = [_compact(x)]
    if count > 1:
        square = x * x % N
        for _ in range(count - 1):
            x = x * square % N
            powers.append(_compact(x))
    return powers


def _recode(exponent, width, table, events, count):
    """Write the right-to-left sliding-window digits of a 32-byte big-endian exponent into ``events``
    from index ``count`` on; returns the new count (``events`` is preallocated: no list growth)."""
    mask = (1 << width) - 1
    tag = table << _TABLE_SHIFT
    bits = 0
    held = 0
    pos = 0
    i = len(exponent) - 1
    while True:
        if held < width and i >= 0:
            bits |= exponent[i] << held
            held += 8
            i -= 1
            continue
        if not bits:
            if i < 0:
                return count
            pos += held
            held = 0
        elif bits & 1:
            events[count] = pos << _POS_SHIFT | tag | (bits & mask) >> 1
            count += 1
            bits >>= width
            held -= width
            pos += width
        else:
            bits >>= 1
            held -= 1
            pos += 1


def _chain(tables, events, count):
    """Product over the first ``count`` events of table entry ** 2**position, mod N (sorts ``events``)."""
    for i in range(count, len(events)):
        events[i] = -1  # sorted last, where the loop stops
    events.sort(reverse=True)
    acc = None
    last = 0
    for event in events:
        if event < 0:
            break
        pos = event >> _POS_SHIFT
        entry = tables[(event >> _TABLE_SHIFT) & 3][event & _INDEX_MASK]
        if acc is None:
            acc = entry
        else:
            if pos != last:
                # pow() runs the squarings in C.
                acc = pow(acc, 1 << (last - pos), N)
            acc = acc * entry % N
        last = pos
    if last:
        acc = pow(acc, 1 << last, N)
    return acc


class Verifier:
    """A stored (salt, verifier) pair with everything that depends only on it precomputed.

    ``width`` (1..6) sizes the window tables of ``v``: 3 x 2**(width-1) numbers of 384 bytes.
    """

    def __init__(self, salt, verifier, width=TABLE_WIDTH):
        # A salt starting with 0x00 is kept: iOS logs in with it, while esp_prov and
        # Android drop that byte and fail (PROTOCOL.md §7.4); the host tool never makes one.
        if not salt:
            raise ValueError("salt must be non-empty")
        if len(verifier) > _LEN:
            raise ValueError("verifier longer than 384 bytes")
        v = int.from_bytes(verifier, "big")
        if not 0 < v < N:
            raise ValueError("verifier out of range")
        self.salt = bytes(salt)
        self.kv = MULTIPLIER * v % N
        if not 1 <= width <= 6:
            raise ValueError("table width must be 1..6")
        self.width = width
        self.tables = []
        for j in range(3):
            self.tables.append(_odd_powers(v, 1 << (width - 1)))
            if j < 2:
                v = pow(v, 1 << 256, N)
        self._username = None
        self._user_state = None

    def user_state(self, username):
        """SHA-512 state after ``H(N) xor H(PAD(g)) ‖ H(I)`` (one block), cached for the last username."""
        if username != self._username:
            state = sha512(HN_XOR_HG)
            state.update(sha512(username).digest())
            self._username = bytes(username)
            self._user_state = state
        return self._user_state.copy()


class Server:
    """One device-side SRP-6a exchange: ``prepare``, ``process_cmd0``, ``verify_proof``."""

    def __init__(self, verifier):
        self.verifier = verifier
        self.B_bytes = None
        self._B = None
        self._b = None
        self._b_events = None
        self._a_powers = 0
        self._forget_exchange()

    def _forget_exchange(self):
        self._a_bytes = None
        self._h_a = None
        self._m_state = None
        self._key = None
        self._proof = None
        self._session_key = None

    def prepare(self):
        """Draw ``b`` and compute ``B = k·v + g^b`` and the recoding of ``b``, before Cmd0."""
        self._forget_exchange()
        b = int.from_bytes(random_bytes(_B_LEN), "big")
        if not b:
            raise SrpError("random source gave b = 0")
        B = (self.verifier.kv + pow(G, b, N)) % N
        self._B = B
        self.B_bytes = minimal(B)
        self._b = b
        # One list for every window of the handshake, made now rather than grown mid-handshake
        # (a growing list needs ever larger contiguous blocks of a fragmented heap).
        width = self.verifier.width
        events = [-1] * (_B_BITS // _A_WIDTH + 1 + 3 * (_B_BITS // width + 1))
        count = _recode(b.to_bytes(_B_LEN, "big"), _A_WIDTH, 0, events, 0)
        self._a_powers = max(events[i] & _INDEX_MASK for i in range(count)) + 1
        self._b_events = events

    def process_cmd0(self, username, client_pubkey):
        """Check I (1..255 bytes) and A (1..384 bytes, as received), then compute u, S, K and the
        expected client proof M. On SrpError ``b`` stays prepared; on success it is used up."""
        if self._b is None:
            raise SrpError("not prepared")
        if not 0 < len(username) <= _USERNAME_MAX:
            raise SrpError("username length")
        a_len = len(client_pubkey)
        if not 0 < a_len <= _LEN:
            raise SrpError("client_pubkey length")
        a = int.from_bytes(client_pubkey, "big") % N
        if not a:
            raise SrpError("A mod N == 0")
        u = self._scramble(client_pubkey)
        if not u:
            raise SrpError("u == 0")
        s = self._premaster(a, u)
        self._b = self._b_events = None  # B has been used; the next Cmd0 needs prepare()
        key = sha512(minimal(s)).digest()

        verifier = self.verifier
        h = verifier.user_state(username)
        h.update(verifier.salt)
        h.update(client_pubkey)
        h.update(self.B_bytes)
        # Android hashes K without its leading zero bytes; keep the state for that retry.
        self._m_state = h.copy() if key[0] == 0 else None
        h.update(key)
        self._proof = h.digest()
        self._key = key
        self._a_bytes = client_pubkey

    def _scramble(self, client_pubkey):
        """u = H(PAD(A) ‖ PAD(B)) as an integer; keeps the state after a full-length A for H_AMK."""
        a_len = len(client_pubkey)
        if a_len == _LEN:
            h = sha512(client_pubkey)
            self._h_a = h.copy()
        else:
            h = sha512(bytes(_LEN - a_len))
            h.update(client_pubkey)
            self._h_a = None
        h.update(pad(self._B))
        return int.from_bytes(h.digest(), "big")

    def _premaster(self, a, u):
        """S = A^b · v^(u·b) mod N for ``a`` = A mod N."""
        e = (u * self._b).to_bytes(3 * _B_LEN, "big")
        events = self._b_events
        width = self.verifier.width
        count = _recode(self._b.to_bytes(_B_LEN, "big"), _A_WIDTH, 0, events, 0)  # _chain sorted the last ones
        count = _recode(e[2 * _B_LEN :], width, 1, events, count)
        count = _recode(e[_B_LEN : 2 * _B_LEN], width, 2, events, count)
        count = _recode(e[:_B_LEN], width, 3, events, count)
        tables = self.verifier.tables
        return _chain([_odd_powers(a, self._a_powers), tables[0], tables[1], tables[2]], events, count)

    def verify_proof(self, client_proof):
        """Compare the client's M in constant time and return ``H_AMK``; may be retried after a failure."""
        if self._proof is None:
            raise SrpError("no Cmd0 processed")
        n = len(client_proof)
        if not 0 < n <= _HASH_LEN:
            raise SrpError("client_proof length")
        if n < _HASH_LEN:
            # Android sends M in minimal form when it starts with a zero byte.
            client_proof = bytes(_HASH_LEN - n) + client_proof
        key = self._key
        proof = self._proof
        if not equal(client_proof, proof):
            if self._m_state is None:
                raise SrpError("client proof mismatch")
            key = key.lstrip(b"\x00")
            h = self._m_state.copy()
            h.update(key)
            proof = h.digest()
            if not equal(client_proof, proof):
                raise SrpError("client proof mismatch")
        h = self._h_a.copy() if self._h_a is not None else sha512(self._a_bytes)
        h.update(proof)
        h.update(key)
        self._session_key = key[:32]
        return h.digest()

    def session_key(self):
        """The AES-256-GCM key: the first 32 bytes of the K the client used."""
        if self._session_key is None:
            raise SrpError("proof not verified")
        return self._session_key
