"""SRP-6a client of security 2, byte-compatible with esp_prov (PROTOCOL.md §7.1–§7.4).

Group: RFC 5054 3072-bit prime, g = 5, hash SHA-512. Numbers go on the wire in minimal
big-endian form; only ``u`` and ``k`` hash 384-byte padded values. esp_prov's quirk is
reproduced on purpose: in ``x = H(salt ‖ H(I ‖ ":" ‖ P))`` both the salt and the inner hash
lose their leading zero bytes, and so does the salt inside ``M``.
"""

import hashlib
import hmac

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
N_LEN = 384
HASH_LEN = 64


class SrpError(Exception):
    """The device's SRP values are unusable (B ≡ 0 mod N, u = 0) or its proof is wrong."""


def H(*parts):
    """SHA-512 over the concatenated byte strings."""
    digest = hashlib.sha512()
    for part in parts:
        digest.update(part)
    return digest.digest()


def to_bytes(number):
    """Minimal big-endian bytes of a non-negative integer (esp_prov's long_to_bytes)."""
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def from_bytes(data):
    """Big-endian bytes to integer."""
    return int.from_bytes(data, "big")


def pad(number):
    """Big-endian bytes left-padded to the 384-byte group size."""
    return number.to_bytes(N_LEN, "big")


def strip(data):
    """Drop leading zero bytes, as esp_prov's bytes → int → bytes round trip does."""
    return to_bytes(from_bytes(data))


K_MULTIPLIER = from_bytes(H(pad(N), pad(G)))
HN_XOR_HG = bytes(a ^ b for a, b in zip(H(pad(N)), H(pad(G))))


def identity_hash(username, password):
    """The inner hash ``H(I ‖ ":" ‖ P)`` (bytes in, 64 bytes out)."""
    return H(username, b":", password)


def compute_x(salt, username, password):
    """esp_prov's private key ``x``: leading zeros stripped from the salt and the inner hash."""
    return from_bytes(H(strip(salt), strip(identity_hash(username, password))))


def compute_x_textbook(salt, username, password):
    """RFC 5054 ``x`` without stripping (what the phone apps compute)."""
    return from_bytes(H(salt, identity_hash(username, password)))


def compute_verifier(x):
    """``v = g^x mod N`` as an integer."""
    return pow(G, x, N)


class SrpClient:
    """One SRP-6a login: make ``A``, answer the device's (salt, B) with ``M``, check ``H_AMK``.

    ``random_bytes(32)`` supplies the ephemeral secret; like esp_prov the top bit of ``a``
    is forced. ``A_bytes`` is minimal, so about 1 in 256 logins sends 383 bytes.
    """

    def __init__(self, username, password, random_bytes):
        self.username = bytes(username)
        self.password = bytes(password)
        self.a = from_bytes(random_bytes(32)) | (1 << 255)
        self.A = pow(G, self.a, N)
        self.A_bytes = to_bytes(self.A)
        self.K = None
        self.M = None
        self._expected_proof = None

    def process_challenge(self, salt, B_bytes):
        """Return the client proof ``M`` (64 bytes) for the device's salt and public key."""
        B = from_bytes(B_bytes)
        if B % N == 0:
            raise SrpError("device public key B is 0 mod N")
        u = from_bytes(H(pad(self.A), pad(B)))
        if u == 0:
            raise SrpError("scrambling parameter u is 0")
        x = compute_x(salt, self.username, self.password)
        v = compute_verifier(x)
        S = pow(B - K_MULTIPLIER * v, self.a + u * x, N)
        self.K = H(to_bytes(S))
        self.M = H(HN_XOR_HG, H(self.username), strip(salt), self.A_bytes, to_bytes(B), self.K)
        self._expected_proof = H(self.A_bytes, self.M, self.K)
        return self.M

    def verify_device_proof(self, device_proof):
        """Raise :class:`SrpError` unless ``device_proof`` equals ``H(A ‖ M ‖ K)``."""
        if self._expected_proof is None or not hmac.compare_digest(bytes(device_proof), self._expected_proof):
            raise SrpError("device proof H_AMK does not match: the device does not hold this verifier")
