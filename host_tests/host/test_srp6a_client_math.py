"""SRP-6a device math against an independent textbook client built on hashlib (CPython only)."""

import hashlib
import os
import unittest

from test_srp6a import B_K0, B_M0, EXAMPLE, GROUP
from wifiprov import rand, srp6a

N = int(GROUP["N_hex"], 16)
k = int(GROUP["k_hex"], 16)


def H(*parts):
    return hashlib.sha512(b"".join(parts)).digest()


def pad(x):
    return x.to_bytes(384, "big")


def minimal(x):
    return x.to_bytes(384, "big").lstrip(b"\x00")


def as_int(data):
    return int.from_bytes(data, "big")


class Client:
    """What a phone or esp_prov computes (PROTOCOL.md §7.2), with the Android K/M quirks optional."""

    def __init__(self, username, password, salt):
        self.username = username
        self.x = as_int(H(salt, H(username + b":" + password)))
        self.salt = salt
        self.a = as_int(os.urandom(32))
        self.A = minimal(pow(5, self.a, N))

    def verifier(self):
        return minimal(pow(5, self.x, N))

    def proof(self, B_bytes, android=False):
        B = as_int(B_bytes)
        u = as_int(H(pad(as_int(self.A)), pad(B)))
        S = pow((B - k * pow(5, self.x, N)) % N, self.a + u * self.x, N)
        K = H(minimal(S))
        if android:
            K = K.lstrip(b"\x00")
        hng = bytes(p ^ q for p, q in zip(H(pad(N)), H(pad(5))))
        M = H(hng, H(self.username), self.salt, self.A, B_bytes, K)
        self.expected_h_amk = H(self.A, M, K)
        self.key = K[:32]
        return M.lstrip(b"\x00") if android else M


class ClientMath(unittest.TestCase):
    def test_constants_against_hashlib(self):
        self.assertEqual(srp6a.MULTIPLIER, as_int(H(pad(N), pad(5))))
        self.assertEqual(srp6a.HN_XOR_HG, bytes(p ^ q for p, q in zip(H(pad(N)), H(pad(5)))))

    def test_random_sessions_with_textbook_and_android_clients(self):
        for trial in range(12):
            salt = os.urandom(16)
            if salt[0] == 0:
                continue
            username = b"user%d" % trial
            client = Client(username, os.urandom(8), salt)
            verifier = srp6a.Verifier(salt, client.verifier())
            for android in (False, True):
                server = srp6a.Server(verifier)
                server.prepare()
                server.process_cmd0(username, client.A)
                proof = client.proof(server.B_bytes, android)
                self.assertEqual(server.verify_proof(proof), client.expected_h_amk, "trial %d" % trial)
                self.assertEqual(server.session_key(), client.key)

    def test_searched_device_randoms(self):
        # Found by trying b = H("wifiprov srp6a test b %d")[:32] for i = 0, 1, ... with
        # EXAMPLE's credentials and A: the first i giving M[0] == 0, the first giving K[0] == 0.
        self.assertEqual(H(b"wifiprov srp6a test b 82")[:32], B_M0)
        self.assertEqual(H(b"wifiprov srp6a test b 253")[:32], B_K0)
        v = as_int(bytes.fromhex(EXAMPLE["verifier_hex"]))
        A = bytes.fromhex(EXAMPLE["A_hex"])
        hng = bytes(p ^ q for p, q in zip(H(pad(N)), H(pad(5))))
        prefix = hng + H(b"wifiprov") + bytes.fromhex(EXAMPLE["salt_hex"]) + A
        firsts = []
        for b_bytes in (B_M0, B_K0):
            b = as_int(b_bytes)
            B = (k * v + pow(5, b, N)) % N
            u = as_int(H(A, pad(B)))
            K = H(minimal(pow(as_int(A) * pow(v, u, N) % N, b, N)))
            firsts.append((H(prefix, minimal(B), K)[0], K[0]))
        self.assertEqual(firsts[0][0], 0)
        self.assertEqual(firsts[1][1], 0)

    def test_device_b_comes_from_the_random_source(self):
        rand.set_source(lambda n: b"\x01" * n)
        try:
            server = srp6a.Server(srp6a.Verifier(b"\x01", b"\x02"))
            server.prepare()
        finally:
            rand.set_source(None)
        B = (k * 2 + pow(5, as_int(b"\x01" * 32), N)) % N
        self.assertEqual(server.B_bytes, minimal(B))


if __name__ == "__main__":
    unittest.main()
