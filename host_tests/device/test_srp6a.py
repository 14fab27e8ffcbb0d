"""SRP-6a server math: vectors/sec2.json byte for byte, the tolerated client quirks, refusals."""

import unittest

from devtest import FixedRandom, load_vectors, unhex
from wifiprov import rand, srp6a
from wifiprov.sha512 import sha512

VECTORS = load_vectors("sec2.json")
GROUP = VECTORS["group"]
N = int(GROUP["N_hex"], 16)
EXAMPLE = VECTORS["cases"][0]
# Device b values found by search (host_tests/test_srp6a_client_math.py re-checks them)
# for EXAMPLE's credentials and A: with B_M0 the expected M starts with a zero byte,
# with B_K0 K does (so Android hashes a 63-byte K into M).
B_M0 = unhex("c6b2dc41cea0957734a75f2c8790976b9a5a23c8aedd857646c8fcca30286c48")
B_K0 = unhex("038c4e62fa8423516232172cd36fd985a04f75fec196cf48b6f4837a37e4d09e")

_VERIFIERS = {}


def H(*parts):
    h = sha512()
    for part in parts:
        h.update(part)
    return h.digest()


def pad(x):
    return x.to_bytes(384, "big")


def minimal(x):
    return x.to_bytes(384, "big").lstrip(b"\x00")


def verifier_for(case):
    """Verifiers are cached: their precomputation is the slow part."""
    key = (case["salt_hex"], case["verifier_hex"])
    if key not in _VERIFIERS:
        _VERIFIERS[key] = srp6a.Verifier(unhex(case["salt_hex"]), unhex(case["verifier_hex"]))
    return _VERIFIERS[key]


def prepared(case, b_bytes=None):
    server = srp6a.Server(verifier_for(case))
    rand.set_source(FixedRandom(b_bytes or unhex(case["b_hex"])))
    try:
        server.prepare()
    finally:
        rand.set_source(None)
    return server


def reference(case, b_bytes):
    """Textbook device-side values with plain pow(), independent of srp6a's evaluation."""
    salt = unhex(case["salt_hex"])
    v = int(case["verifier_hex"], 16)
    a_sent = unhex(case["A_hex"])
    b = int.from_bytes(b_bytes, "big")
    B = (int(GROUP["k_hex"], 16) * v + pow(5, b, N)) % N
    u = int.from_bytes(H(pad(int.from_bytes(a_sent, "big")), pad(B)), "big")
    S = pow(int.from_bytes(a_sent, "big") * pow(v, u, N) % N, b, N)
    K = H(minimal(S))
    hng = bytes(x ^ y for x, y in zip(H(pad(N)), H(pad(5))))
    prefix = hng + H(unhex(case["username_bytes_hex"])) + salt + a_sent + minimal(B)
    return K, prefix


class Constants(unittest.TestCase):
    def test_group_and_hash_constants_recomputed(self):
        self.assertEqual(srp6a.N, N)
        self.assertEqual(srp6a.G, GROUP["g"])
        self.assertEqual(srp6a.MULTIPLIER, int.from_bytes(H(pad(N), pad(5)), "big"))
        self.assertEqual(srp6a.MULTIPLIER, int(GROUP["k_hex"], 16))
        self.assertEqual(srp6a.HN_XOR_HG, bytes(x ^ y for x, y in zip(H(pad(N)), H(pad(5)))))

    def test_pad_and_minimal(self):
        self.assertEqual(srp6a.pad(5), bytes(383) + b"\x05")
        self.assertEqual(srp6a.pad(N), unhex(GROUP["N_hex"]))
        self.assertEqual(srp6a.minimal(0x1000), b"\x10\x00")
        self.assertEqual(srp6a.minimal(N), unhex(GROUP["N_hex"]))
        self.assertEqual(srp6a.minimal(N >> 8), unhex(GROUP["N_hex"])[:383])
        self.assertEqual(srp6a.minimal(0), b"")

    def test_srp_error_is_a_value_error(self):
        self.assertTrue(issubclass(srp6a.SrpError, ValueError))

    def test_window_recoding_rebuilds_the_exponent(self):
        samples = [bytes(32), b"\x00" * 31 + b"\x01", b"\xff" * 32, b"\x80" + bytes(31), H(b"x")[:32], H(b"y")[32:]]
        for width in (1, 2, 3, 4, 5, 6):
            for exponent in samples:
                events = [-1] * (256 // width + 2)
                count = srp6a._recode(exponent, width, 2, events, 1)
                self.assertEqual(events[0], -1)  # written from the given index on
                self.assertTrue(count <= 256 // width + 2, (width, count))
                total = 0
                for event in events[1:count]:
                    self.assertEqual((event >> 5) & 3, 2)
                    self.assertTrue(event & 31 < 1 << (width - 1))
                    total += (2 * (event & 31) + 1) << (event >> 7)
                self.assertEqual(total, int.from_bytes(exponent, "big"))


class Vectors(unittest.TestCase):
    def test_every_successful_case_byte_for_byte(self):
        self.assertEqual(len(VECTORS["cases"]), 8)
        for case in VECTORS["cases"]:
            name = case["name"]
            a_sent = unhex(case["A_hex"])
            self.assertEqual(len(a_sent), case["A_length_as_sent"], name)
            server = prepared(case)
            self.assertEqual(server.B_bytes, unhex(case["B_hex"]), name + ": B")
            self.assertEqual(len(server.B_bytes), case["B_length_as_sent"], name + ": B length")
            u = server._scramble(a_sent)
            self.assertEqual(u, int(case["u_hex"], 16), name + ": u")
            S = minimal(server._premaster(int.from_bytes(a_sent, "big"), u))
            self.assertEqual(S, unhex(case["S_hex"]), name + ": S")
            self.assertEqual(len(S), case["S_length_hashed"], name + ": S length")

            server.process_cmd0(unhex(case["username_bytes_hex"]), a_sent)
            self.assertEqual(server._key, unhex(case["K_hex"]), name + ": K")
            self.assertEqual(server._proof, unhex(case["M_hex"]), name + ": M")
            h_amk = server.verify_proof(unhex(case["M_hex"]))
            self.assertEqual(h_amk, unhex(case["H_AMK_hex"]), name + ": H_AMK")
            self.assertEqual(server.session_key(), unhex(case["aes_gcm_key_hex"]), name + ": AES key")

    def test_every_table_width_gives_the_same_premaster_secret(self):
        case = EXAMPLE
        a_sent = unhex(case["A_hex"])
        for width in (1, 2, 3, 4, 5, 6):
            verifier = srp6a.Verifier(unhex(case["salt_hex"]), unhex(case["verifier_hex"]), width)
            self.assertEqual([len(t) for t in verifier.tables], [1 << (width - 1)] * 3)
            server = srp6a.Server(verifier)
            rand.set_source(FixedRandom(unhex(case["b_hex"])))
            try:
                server.prepare()
            finally:
                rand.set_source(None)
            u = server._scramble(a_sent)
            self.assertEqual(minimal(server._premaster(int.from_bytes(a_sent, "big"), u)), unhex(case["S_hex"]),
                             "width %d" % width)
        for width in (0, 7):
            with self.assertRaises(ValueError):
                srp6a.Verifier(unhex(case["salt_hex"]), unhex(case["verifier_hex"]), width)

    def test_lenient_short_a_is_padded_only_inside_u(self):
        case = VECTORS["cases"][7]
        self.assertEqual(case["name"], "A_has_leading_zero_lenient_device")
        self.assertEqual(case["A_length_as_sent"], 383)
        server = prepared(case)
        server.process_cmd0(b"wifiprov", unhex(case["A_hex"]))
        self.assertEqual(server.verify_proof(unhex(case["M_hex"])), unhex(case["H_AMK_hex"]))

    def test_refused_proofs_of_the_negative_cases(self):
        for case in VECTORS["negative_cases"]:
            if case["name"] in ("wrong_password", "non_ascii_username"):
                server = prepared(case)
                self.assertEqual(server.B_bytes, unhex(case["B_hex"]), case["name"])
                server.process_cmd0(unhex(case["username_bytes_hex"]), unhex(case["A_hex"]))
                with self.assertRaises(srp6a.SrpError):
                    server.verify_proof(unhex(case["M_hex"]))
                with self.assertRaises(srp6a.SrpError):
                    server.session_key()

    def test_salt_with_leading_zero_is_kept_so_esp_prov_proof_fails(self):
        case = VECTORS["negative_cases"][1]
        self.assertEqual(case["name"], "stored_salt_with_leading_zero_byte")
        verifier = srp6a.Verifier(unhex(case["salt_hex"]), unhex(case["verifier_hex"]))
        self.assertEqual(verifier.salt, unhex(case["salt_hex"]))
        server = prepared(case)
        server.process_cmd0(unhex(case["username_bytes_hex"]), unhex(case["A_hex"]))
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(unhex(case["M_hex"]))


class ClientQuirks(unittest.TestCase):
    def test_proof_in_minimal_form_accepted(self):
        K, prefix = reference(EXAMPLE, B_M0)
        M = H(prefix, K)
        self.assertEqual(M[0], 0)
        server = prepared(EXAMPLE, B_M0)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        self.assertEqual(server.verify_proof(M[1:]), H(unhex(EXAMPLE["A_hex"]), M, K))
        self.assertEqual(server.session_key(), K[:32])

    def test_android_minimal_k_accepted_and_used(self):
        K, prefix = reference(EXAMPLE, B_K0)
        self.assertEqual(K[0], 0)
        short_k = K[1:]
        android_m = H(prefix, short_k)
        server = prepared(EXAMPLE, B_K0)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        self.assertEqual(server.verify_proof(android_m), H(unhex(EXAMPLE["A_hex"]), android_m, short_k))
        self.assertEqual(server.session_key(), short_k[:32])
        # esp_prov and iOS keep the full K; the same server accepts that proof too.
        full_m = H(prefix, K)
        self.assertEqual(server.verify_proof(full_m), H(unhex(EXAMPLE["A_hex"]), full_m, K))
        self.assertEqual(server.session_key(), K[:32])


class Failures(unittest.TestCase):
    def test_wrong_proof_then_right_proof_in_the_same_exchange(self):
        server = prepared(EXAMPLE)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        wrong = bytearray(unhex(EXAMPLE["M_hex"]))
        wrong[63] ^= 1
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(bytes(wrong))
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(unhex(EXAMPLE["M_hex"])[1:])
        self.assertEqual(server.verify_proof(unhex(EXAMPLE["M_hex"])), unhex(EXAMPLE["H_AMK_hex"]))

    def test_proof_length_refused(self):
        server = prepared(EXAMPLE)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        for proof in (b"", unhex(EXAMPLE["M_hex"]) + b"\x00", b"\x00" + unhex(EXAMPLE["M_hex"])):
            with self.assertRaises(srp6a.SrpError):
                server.verify_proof(proof)

    def test_bad_client_pubkey_refused_and_b_kept(self):
        server = prepared(EXAMPLE)
        for a in (b"", bytes(384), b"\x00", pad(N), unhex(EXAMPLE["A_hex"]) + b"\x01", b"\x01" + pad(N)):
            with self.assertRaises(srp6a.SrpError):
                server.process_cmd0(b"wifiprov", a)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        self.assertEqual(server.verify_proof(unhex(EXAMPLE["M_hex"])), unhex(EXAMPLE["H_AMK_hex"]))

    def test_username_length_bounds(self):
        server = prepared(EXAMPLE)
        for username in (b"", b"u" * 256):
            with self.assertRaises(srp6a.SrpError):
                server.process_cmd0(username, unhex(EXAMPLE["A_hex"]))
        server.process_cmd0(b"u" * 255, unhex(EXAMPLE["A_hex"]))
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(unhex(EXAMPLE["M_hex"]))

    def test_cached_username_state_follows_the_username(self):
        verifier = verifier_for(EXAMPLE)
        for username in (b"admin", b"wifiprov", b"admin", b"wifiprov"):
            server = prepared(EXAMPLE)
            server.process_cmd0(username, unhex(EXAMPLE["A_hex"]))
            if username == b"wifiprov":
                self.assertEqual(server.verify_proof(unhex(EXAMPLE["M_hex"])), unhex(EXAMPLE["H_AMK_hex"]))
            else:
                with self.assertRaises(srp6a.SrpError):
                    server.verify_proof(unhex(EXAMPLE["M_hex"]))
        self.assertIs(verifier, verifier_for(EXAMPLE))

    def test_out_of_order_calls_refused(self):
        server = srp6a.Server(verifier_for(EXAMPLE))
        with self.assertRaises(srp6a.SrpError):
            server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(unhex(EXAMPLE["M_hex"]))
        server = prepared(EXAMPLE)
        server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        with self.assertRaises(srp6a.SrpError):
            server.process_cmd0(b"wifiprov", unhex(EXAMPLE["A_hex"]))
        # A new b forgets the previous exchange.
        rand.set_source(FixedRandom(unhex(EXAMPLE["b_hex"])))
        try:
            server.prepare()
        finally:
            rand.set_source(None)
        with self.assertRaises(srp6a.SrpError):
            server.verify_proof(unhex(EXAMPLE["M_hex"]))

    def test_bad_stored_credentials_refused(self):
        salt = unhex(EXAMPLE["salt_hex"])
        for bad_salt, verifier in (
            (b"", unhex(EXAMPLE["verifier_hex"])),
            (salt, b""),
            (salt, bytes(384)),
            (salt, pad(N)),
            (salt, b"\x00" + unhex(EXAMPLE["verifier_hex"])),
        ):
            with self.assertRaises(ValueError):
                srp6a.Verifier(bad_salt, verifier)

    def test_random_b_round_trip(self):
        # Fresh os.urandom b: the chained evaluation must agree with plain pow().
        verifier = verifier_for(EXAMPLE)
        server = srp6a.Server(verifier)
        server.prepare()
        a_sent = unhex(EXAMPLE["A_hex"])
        u = server._scramble(a_sent)
        v = int(EXAMPLE["verifier_hex"], 16)
        want = pow(int.from_bytes(a_sent, "big") * pow(v, u, N) % N, server._b, N)
        self.assertEqual(server._premaster(int.from_bytes(a_sent, "big"), u), want)


if __name__ == "__main__":
    unittest.main()
