"""Known-answer tests for AES-256-GCM (NIST/McGrew-Viega cases and the sec2 vectors)."""

import unittest

from devtest import load_vectors, unhex
from wifiprov.aes_gcm import AesGcm, TagMismatch

KEY_15 = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
PLAINTEXT_15 = unhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)


class NistGcmTest(unittest.TestCase):
    def test_case_13_empty(self):
        gcm = AesGcm(bytes(32))
        self.assertEqual(gcm.encrypt(bytes(12), b""), unhex("530f8afbc74536b9a963b4f1c4cb738b"))
        self.assertEqual(gcm.decrypt(bytes(12), unhex("530f8afbc74536b9a963b4f1c4cb738b")), b"")

    def test_case_14_one_block(self):
        sealed = unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")
        gcm = AesGcm(bytes(32))
        self.assertEqual(gcm.encrypt(bytes(12), bytes(16)), sealed)
        self.assertEqual(gcm.decrypt(bytes(12), sealed), bytes(16))

    def test_case_15_four_blocks(self):
        sealed = unhex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
            "b094dac5d93471bdec1a502270e3cc6c"
        )
        gcm = AesGcm(KEY_15)
        nonce = unhex("cafebabefacedbaddecaf888")
        self.assertEqual(gcm.encrypt(nonce, PLAINTEXT_15), sealed)
        self.assertEqual(gcm.decrypt(nonce, sealed), PLAINTEXT_15)

    def test_16_byte_iv_partial_block(self):
        # Expected value from the `cryptography` package (GCM with a 128-bit IV).
        sealed = unhex(
            "3dabe8c2c442b078986cd191bd84ec31ee311189a8ad97ab7964cb95f3b90dc1"
            "3164021ff694951f66f88dbfc72d41e3469c881a08e02d29b37cfeb3"
            "e20a1fe9bfd278eb7cfb01cbe2bcd5fb"
        )
        gcm = AesGcm(KEY_15)
        nonce = unhex("cafebabefacedbaddecaf888feedface")
        self.assertEqual(gcm.encrypt(nonce, PLAINTEXT_15[:60]), sealed)
        self.assertEqual(gcm.decrypt(nonce, sealed), PLAINTEXT_15[:60])

    def test_counter_wraps_in_low_32_bits(self):
        # This IV was solved for (under KEY_15) so that GHASH gives
        # J0 = 0123456789abcdef01234567fffffffe: the data counters run ffffffff,
        # 00000000, 00000001, 00000002 without carrying into the upper 96 bits.
        # Expected value from the `cryptography` package.
        sealed = unhex(
            "0c6902a253fc44760af4b46262e98bd2e9f84f67ffd8d226900b3ca68f9bab88"
            "294b2a969bb7f8c11b7489c0f41b4c6d01341d66fb3e595d09e3cc5cba4d3e60"
            "d31bdd042d4461460507a4dc3fbd9485"
        )
        gcm = AesGcm(KEY_15)
        nonce = unhex("3029ec6551a7220072db27e663d3568e")
        self.assertEqual(gcm.encrypt(nonce, PLAINTEXT_15), sealed)
        self.assertEqual(gcm.decrypt(nonce, sealed), PLAINTEXT_15)

    def test_16_byte_zero_iv_empty(self):
        self.assertEqual(AesGcm(bytes(32)).encrypt(bytes(16), b""), unhex("8312357a2111ea33b1b67eb2fe05fe86"))

    def test_empty_nonce_raises(self):
        with self.assertRaises(ValueError):
            AesGcm(bytes(32)).encrypt(b"", b"x")


class TagCheckTest(unittest.TestCase):
    def setUp(self):
        self.gcm = AesGcm(KEY_15)
        self.nonce = unhex("cafebabefacedbaddecaf888")
        self.sealed = self.gcm.encrypt(self.nonce, PLAINTEXT_15)

    def test_tag_mismatch_is_a_value_error(self):
        self.assertTrue(issubclass(TagMismatch, ValueError))

    def test_flipped_bits_are_rejected(self):
        for pos in (0, 31, len(PLAINTEXT_15) - 1, len(PLAINTEXT_15), len(self.sealed) - 1):
            tampered = bytearray(self.sealed)
            tampered[pos] ^= 0x01
            with self.assertRaises(TagMismatch):
                self.gcm.decrypt(self.nonce, bytes(tampered))

    def test_wrong_nonce_is_rejected(self):
        with self.assertRaises(TagMismatch):
            self.gcm.decrypt(unhex("cafebabefacedbaddecaf889"), self.sealed)

    def test_truncated_data_is_rejected(self):
        for size in (0, 1, 15):
            with self.assertRaises(TagMismatch):
                self.gcm.decrypt(self.nonce, self.sealed[:size])
        with self.assertRaises(TagMismatch):
            self.gcm.decrypt(self.nonce, self.sealed[:-1])

    def test_memoryview_input(self):
        self.assertEqual(self.gcm.decrypt(self.nonce, memoryview(self.sealed)), PLAINTEXT_15)
        self.assertEqual(self.gcm.encrypt(self.nonce, memoryview(PLAINTEXT_15)), self.sealed)


class Sec2MessagesTest(unittest.TestCase):
    """Application messages of the sec2 vectors, patch 1 (12-byte nonces) and patch 0 (16-byte IV)."""

    def test_app_messages(self):
        seen = set()
        for case in load_vectors("sec2.json")["cases"]:
            messages = case.get("app_messages", [])
            if not messages:
                continue
            gcm = AesGcm(unhex(case["aes_gcm_key_hex"]))
            for message in messages:
                nonce = unhex(message["nonce_hex"])
                seen.add(len(nonce))
                plaintext = unhex(message["plaintext_hex"])
                sealed = unhex(message["ciphertext_hex"])
                self.assertEqual(sealed[-16:], unhex(message["tag_hex"]), case["name"])
                self.assertEqual(gcm.encrypt(nonce, plaintext), sealed, case["name"])
                self.assertEqual(gcm.decrypt(nonce, sealed), plaintext, case["name"])
        self.assertEqual(sorted(seen), [12, 16])

    def test_patch1_counter_must_match(self):
        case = load_vectors("sec2.json")["cases"][0]
        gcm = AesGcm(unhex(case["aes_gcm_key_hex"]))
        first, second = case["app_messages"][0], case["app_messages"][1]
        with self.assertRaises(TagMismatch):
            gcm.decrypt(unhex(second["nonce_hex"]), unhex(first["ciphertext_hex"]))
