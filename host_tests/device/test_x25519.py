"""Known-answer tests for X25519 (RFC 7748) and the sec1 key agreement vectors."""

import hashlib
import unittest

from devtest import load_vectors, unhex
from wifiprov.x25519 import public_key, x25519

P = (1 << 255) - 19


class Rfc7748Test(unittest.TestCase):
    def test_section_5_2_vector_1(self):
        self.assertEqual(
            x25519(
                unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
            ),
            unhex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        )

    def test_section_5_2_vector_2_masks_top_bit_of_u(self):
        self.assertEqual(
            x25519(
                unhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                unhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
            ),
            unhex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
        )

    def test_section_5_2_one_iteration(self):
        nine = b"\x09" + bytes(31)
        self.assertEqual(x25519(nine, nine), unhex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"))

    def test_section_6_1_diffie_hellman(self):
        alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        alice_public = public_key(alice)
        bob_public = public_key(bob)
        self.assertEqual(alice_public, unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        self.assertEqual(bob_public, unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        self.assertEqual(x25519(alice, bob_public), shared)
        self.assertEqual(x25519(bob, alice_public), shared)

    def test_non_canonical_u_is_reduced(self):
        scalar = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        self.assertEqual(x25519(scalar, (P + 9).to_bytes(32, "little")), public_key(scalar))
        self.assertEqual(x25519(scalar, (9 | (1 << 255)).to_bytes(32, "little")), public_key(scalar))

    def test_low_order_points_raise(self):
        scalar = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        for u in (0, 1, P - 1, P, P + 1):
            with self.assertRaises(ValueError):
                x25519(scalar, u.to_bytes(32, "little"))

    def test_wrong_lengths_raise(self):
        with self.assertRaises(ValueError):
            x25519(bytes(31), bytes(32))
        with self.assertRaises(ValueError):
            x25519(bytes(32), bytes(33))


class Sec1KeyAgreementTest(unittest.TestCase):
    """Keys, shared secret and session key of every sec1 vector (PROTOCOL.md §6)."""

    def cases(self):
        vectors = load_vectors("sec1.json")
        return vectors["cases"] + vectors["negative_cases"]

    def test_public_keys(self):
        for case in self.cases():
            for side in ("client", "device"):
                private = unhex(case[side + "_private_key_hex"])
                self.assertEqual(public_key(private), unhex(case[side + "_public_key_hex"]), case["name"] + " " + side)

    def test_shared_secret_both_ways(self):
        for case in self.cases():
            expected = unhex(case["x25519_shared_secret_hex"])
            device = x25519(unhex(case["device_private_key_hex"]), unhex(case["client_public_key_hex"]))
            client = x25519(unhex(case["client_private_key_hex"]), unhex(case["device_public_key_hex"]))
            self.assertEqual(device, expected, case["name"])
            self.assertEqual(client, expected, case["name"])

    def test_session_key(self):
        for case in self.cases():
            shared = unhex(case["x25519_shared_secret_hex"])
            pop = case["pop"]
            if pop is None:
                key = shared
            else:
                digest = hashlib.sha256(unhex(pop["bytes_hex"])).digest()
                self.assertEqual(digest, unhex(case["sha256_pop_hex"]), case["name"])
                key = bytes(x ^ y for x, y in zip(shared, digest))
            self.assertEqual(key, unhex(case["session_key_hex"]), case["name"])
