"""Known-answer tests for the AES-256-CTR stream (NIST SP 800-38A and the sec1 vectors)."""

import hashlib
import unittest

from devtest import load_vectors, unhex
from wifiprov.aes_block import ecb_encryptor
from wifiprov.aes_ctr import AesCtr, encrypt_counters

NIST_KEY = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
NIST_COUNTER = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PLAINTEXT = unhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
NIST_CIPHERTEXT = unhex(
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"
)


def trailing_field(message_hex, tag):
    """The 32-byte value at the end of a SessionCmd1/SessionResp1 (field ``tag``, length 0x20)."""
    data = unhex(message_hex)
    if data[-34:-32] != bytes((tag, 0x20)):
        raise AssertionError("unexpected message layout")
    return data[-32:]


class NistCtrTest(unittest.TestCase):
    def test_f55_encrypt(self):
        self.assertEqual(AesCtr(NIST_KEY, NIST_COUNTER).crypt(NIST_PLAINTEXT), NIST_CIPHERTEXT)

    def test_f56_decrypt(self):
        self.assertEqual(AesCtr(NIST_KEY, NIST_COUNTER).crypt(NIST_CIPHERTEXT), NIST_PLAINTEXT)

    def test_keystream_is_consumed_across_calls(self):
        for sizes in ((1, 15, 16, 17, 0, 15), (3, 3, 3, 55), (64,), (0, 64), (33, 31), (16, 16, 16, 16)):
            stream = AesCtr(NIST_KEY, NIST_COUNTER)
            out = b""
            pos = 0
            for size in sizes:
                out += stream.crypt(NIST_PLAINTEXT[pos:pos + size])
                pos += size
            self.assertEqual(out, NIST_CIPHERTEXT[:pos], repr(sizes))

    def test_empty_input(self):
        stream = AesCtr(NIST_KEY, NIST_COUNTER)
        self.assertEqual(stream.crypt(b""), b"")
        self.assertEqual(stream.crypt(NIST_PLAINTEXT), NIST_CIPHERTEXT)

    def test_accepts_bytearray_and_memoryview(self):
        stream = AesCtr(NIST_KEY, NIST_COUNTER)
        first = stream.crypt(bytearray(NIST_PLAINTEXT[:20]))
        second = stream.crypt(memoryview(NIST_PLAINTEXT)[20:])
        self.assertEqual(first + second, NIST_CIPHERTEXT)

    def test_counter_wraps_modulo_2_128(self):
        keystream = AesCtr(NIST_KEY, b"\xff" * 16).crypt(bytes(40))
        self.assertEqual(keystream, unhex("3b3c2921c85a24de9ac606ce6d1d60cce568f68194cf76d6174d4cc04310a85491151e5d0b7a1f1b"))

    def test_counter_carries_across_bytes(self):
        start = b"\x00" * 7 + b"\x01" + b"\xff" * 8
        keystream = AesCtr(NIST_KEY, start).crypt(bytes(48))
        ecb = ecb_encryptor(NIST_KEY)
        blocks = start + b"\x00" * 7 + b"\x02" + b"\x00" * 8 + b"\x00" * 7 + b"\x02" + b"\x00" * 7 + b"\x01"
        self.assertEqual(keystream, ecb.encrypt(blocks))

    def test_counter_blocks_with_32_bit_wrap(self):
        # The GCM flavour: only the low 32 bits count, the rest stays fixed.
        prefix = unhex("0102030405060708090a0b0c")
        counter = int.from_bytes(prefix + b"\xff\xff\xff\xfe", "big")
        buf = bytearray(16 + 48)
        encrypt_counters(ecb_encryptor(NIST_KEY), buf, 16, counter, 3, 0xFFFFFFFF)
        expected = ecb_encryptor(NIST_KEY).encrypt(
            prefix + b"\xff\xff\xff\xfe" + prefix + b"\xff\xff\xff\xff" + prefix + b"\x00\x00\x00\x00"
        )
        self.assertEqual(bytes(buf[16:]), expected)
        self.assertEqual(bytes(buf[:16]), bytes(16))

    def test_wrong_counter_length_raises(self):
        with self.assertRaises(ValueError):
            AesCtr(NIST_KEY, bytes(12))


class Sec1StreamTest(unittest.TestCase):
    """One keystream for the verify data and every later message (PROTOCOL.md §6)."""

    def test_handshake_and_application_messages(self):
        for case in load_vectors("sec1.json")["cases"]:
            name = case["name"]
            stream = AesCtr(unhex(case["session_key_hex"]), unhex(case["device_random_hex"]))
            handshake = case["handshake"]
            client_verify = trailing_field(handshake[2]["hex"], 0x12)
            device_verify = trailing_field(handshake[3]["hex"], 0x1A)
            self.assertEqual(stream.crypt(client_verify), unhex(case["device_public_key_hex"]), name)
            self.assertEqual(stream.crypt(unhex(case["client_public_key_hex"])), device_verify, name)
            offset = 64
            for message in case["app_messages"]:
                self.assertEqual(message["keystream_offset"], offset, name)
                plaintext = unhex(message["plaintext_hex"])
                ciphertext = unhex(message["ciphertext_hex"])
                if message["direction"] == "client->device":
                    self.assertEqual(stream.crypt(ciphertext), plaintext, name)
                else:
                    self.assertEqual(stream.crypt(plaintext), ciphertext, name)
                offset += len(plaintext)

    def test_wrong_pop_fails_verification(self):
        case = load_vectors("sec1.json")["negative_cases"][0]
        client_verify = trailing_field(case["handshake"][2]["hex"], 0x12)
        device_public = unhex(case["device_public_key_hex"])
        device_key = unhex(case["session_key_hex"])
        stream = AesCtr(device_key, unhex(case["device_random_hex"]))
        self.assertFalse(stream.crypt(client_verify) == device_public)
        # The client's key (its own PoP) does decrypt it, so the mismatch is the PoP.
        shared = unhex(case["x25519_shared_secret_hex"])
        client_pop_hash = hashlib.sha256(unhex(case["client_pop_bytes_hex"])).digest()
        client_key = bytes(x ^ y for x, y in zip(shared, client_pop_hash))
        stream = AesCtr(client_key, unhex(case["device_random_hex"]))
        self.assertEqual(stream.crypt(client_verify), device_public)
