"""The cryptolib stand-ins (devsim under CPython, the runner's stub on MicroPython) act like the ESP32's.

Board semantics: PLATFORM.md §A1 (``extmod/modcryptolib.c``). Known answers: FIPS-197
appendix C and NIST SP 800-38A F.1.5 / F.2.5.
"""

import unittest
from binascii import unhexlify

import cryptolib

ECB = 1
CBC = 2

# FIPS-197 C.1 (AES-128) and C.3 (AES-256)
FIPS_PLAIN = unhexlify("00112233445566778899aabbccddeeff")
FIPS_KEY128 = unhexlify("000102030405060708090a0b0c0d0e0f")
FIPS_CIPHER128 = unhexlify("69c4e0d86a7b0430d8cdb78070b4c55a")
FIPS_KEY256 = unhexlify("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
FIPS_CIPHER256 = unhexlify("8ea2b7ca516745bfeafc49904b496089")

# NIST SP 800-38A: AES-256, four blocks
SP_KEY = unhexlify("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
SP_IV = unhexlify("000102030405060708090a0b0c0d0e0f")
SP_PLAIN = unhexlify(
    "6bc1bee22e409f96e93d7e117393172a"
    "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710"
)
SP_ECB = unhexlify(  # F.1.5
    "f3eed1bdb5d2a03c064b5a7e3db181f8"
    "591ccb10d410ed26dc5ba74a31362870"
    "b6ed21b99ca6f4f9f153e7b1beafed1d"
    "23304b7a39f9f3ff067d8d8f9e24ecc7"
)
SP_CBC = unhexlify(  # F.2.5
    "f58c4c04d6e5f1ba779eabfb5f7bfbd6"
    "9cfc4e967edb808d679f777bc6702c7d"
    "39f23369a9d9bacfa530e26304231461"
    "b2eb05e2c39be9fcda6c19078c6a9d1b"
)


class KnownAnswerTest(unittest.TestCase):
    def test_fips197_aes256(self):
        self.assertEqual(cryptolib.aes(FIPS_KEY256, ECB).encrypt(FIPS_PLAIN), FIPS_CIPHER256)
        self.assertEqual(cryptolib.aes(FIPS_KEY256, ECB).decrypt(FIPS_CIPHER256), FIPS_PLAIN)

    def test_fips197_aes128(self):
        self.assertEqual(cryptolib.aes(FIPS_KEY128, ECB).encrypt(FIPS_PLAIN), FIPS_CIPHER128)
        self.assertEqual(cryptolib.aes(FIPS_KEY128, ECB).decrypt(FIPS_CIPHER128), FIPS_PLAIN)

    def test_sp800_38a_ecb(self):
        self.assertEqual(cryptolib.aes(SP_KEY, ECB).encrypt(SP_PLAIN), SP_ECB)
        self.assertEqual(cryptolib.aes(SP_KEY, ECB).decrypt(SP_ECB), SP_PLAIN)

    def test_sp800_38a_cbc(self):
        self.assertEqual(cryptolib.aes(SP_KEY, CBC, SP_IV).encrypt(SP_PLAIN), SP_CBC)
        self.assertEqual(cryptolib.aes(SP_KEY, CBC, SP_IV).decrypt(SP_CBC), SP_PLAIN)

    def test_accepts_any_buffer(self):
        enc = cryptolib.aes(bytearray(FIPS_KEY256), ECB)
        self.assertEqual(enc.encrypt(bytearray(FIPS_PLAIN)), FIPS_CIPHER256)
        enc = cryptolib.aes(SP_KEY, ECB)
        self.assertEqual(enc.encrypt(memoryview(SP_PLAIN)[16:32]), SP_ECB[16:32])
        cbc = cryptolib.aes(memoryview(SP_KEY), CBC, bytearray(SP_IV))
        self.assertEqual(cbc.encrypt(SP_PLAIN), SP_CBC)


class StateTest(unittest.TestCase):
    def test_returns_new_bytes(self):
        result = cryptolib.aes(FIPS_KEY256, ECB).encrypt(bytearray(FIPS_PLAIN))
        self.assertIsInstance(result, bytes)

    def test_ecb_is_stateless(self):
        enc = cryptolib.aes(SP_KEY, ECB)
        for _ in range(3):
            self.assertEqual(enc.encrypt(SP_PLAIN[:16]), SP_ECB[:16])
        self.assertEqual(enc.encrypt(SP_PLAIN[16:48]), SP_ECB[16:48])

    def test_cbc_chains_across_encrypt_calls(self):
        enc = cryptolib.aes(SP_KEY, CBC, SP_IV)
        parts = enc.encrypt(SP_PLAIN[:16]) + enc.encrypt(SP_PLAIN[16:48]) + enc.encrypt(SP_PLAIN[48:])
        self.assertEqual(parts, SP_CBC)
        self.assertEqual(enc.encrypt(b""), b"")

    def test_cbc_chains_across_decrypt_calls(self):
        dec = cryptolib.aes(SP_KEY, CBC, SP_IV)
        self.assertEqual(dec.decrypt(SP_CBC[:32]), SP_PLAIN[:32])
        self.assertEqual(dec.decrypt(SP_CBC[32:48]), SP_PLAIN[32:48])
        self.assertEqual(dec.decrypt(SP_CBC[48:]), SP_PLAIN[48:])

    def test_key_and_iv_are_copied(self):
        key = bytearray(SP_KEY)
        iv = bytearray(SP_IV)
        enc = cryptolib.aes(key, CBC, iv)
        key[0] ^= 1
        iv[0] ^= 1
        self.assertEqual(enc.encrypt(SP_PLAIN), SP_CBC)

    def test_output_buffer_is_filled_and_returned(self):
        out = bytearray(64)
        self.assertIs(cryptolib.aes(SP_KEY, ECB).encrypt(SP_PLAIN, out), out)
        self.assertEqual(out, SP_ECB)
        out = bytearray(80)
        self.assertIs(cryptolib.aes(SP_KEY, CBC, SP_IV).decrypt(SP_CBC, out), out)
        self.assertEqual(out[:64], SP_PLAIN)
        self.assertEqual(out[64:], bytes(16))

    def test_output_buffer_in_place_and_memoryview(self):
        buf = bytearray(SP_PLAIN)
        cryptolib.aes(SP_KEY, CBC, SP_IV).encrypt(buf, buf)
        self.assertEqual(buf, SP_CBC)
        view = memoryview(buf)
        dec = cryptolib.aes(SP_KEY, CBC, SP_IV)
        head = view[:32]
        self.assertIs(dec.decrypt(head, head), head)
        dec.decrypt(view[32:], view[32:])
        self.assertEqual(buf, SP_PLAIN)

    def test_bad_length_does_not_fix_direction(self):
        obj = cryptolib.aes(FIPS_KEY256, ECB)
        with self.assertRaises(ValueError):
            obj.encrypt(bytes(15))
        self.assertEqual(obj.decrypt(FIPS_CIPHER256), FIPS_PLAIN)


class ErrorTest(unittest.TestCase):
    def assertValueError(self, text, func, *args):
        with self.assertRaises(ValueError) as ctx:
            func(*args)
        self.assertEqual(str(ctx.exception), text)

    def test_key_length(self):
        for size in (0, 8, 15, 17, 24, 31, 33, 64):
            self.assertValueError("key", cryptolib.aes, bytes(size), ECB)
            self.assertValueError("key", cryptolib.aes, bytes(size), CBC, SP_IV)

    def test_mode(self):
        for mode in (0, 3, 5, 6, 7, -1):  # 6 = CTR, compiled out on ESP32
            self.assertValueError("mode", cryptolib.aes, SP_KEY, mode)
            self.assertValueError("mode", cryptolib.aes, SP_KEY, mode, SP_IV)

    def test_iv(self):
        self.assertValueError("IV", cryptolib.aes, SP_KEY, CBC)
        self.assertValueError("IV", cryptolib.aes, SP_KEY, CBC, None)
        self.assertValueError("IV", cryptolib.aes, SP_KEY, CBC, bytes(15))
        self.assertValueError("IV", cryptolib.aes, SP_KEY, CBC, bytes(32))

    def test_block_size(self):
        for size in (1, 15, 17, 33):
            for mode, args in ((ECB, ()), (CBC, (SP_IV,))):
                self.assertValueError("blksize % 16", cryptolib.aes(SP_KEY, mode, *args).encrypt, bytes(size))
                self.assertValueError("blksize % 16", cryptolib.aes(SP_KEY, mode, *args).decrypt, bytes(size))

    def test_encrypt_then_decrypt(self):
        for mode, args in ((ECB, ()), (CBC, (SP_IV,))):
            obj = cryptolib.aes(SP_KEY, mode, *args)
            obj.encrypt(SP_PLAIN)
            self.assertValueError("can't encrypt & decrypt", obj.decrypt, SP_CBC)

    def test_decrypt_then_encrypt(self):
        for mode, args in ((ECB, ()), (CBC, (SP_IV,))):
            obj = cryptolib.aes(SP_KEY, mode, *args)
            obj.decrypt(SP_CBC)
            self.assertValueError("can't encrypt & decrypt", obj.encrypt, SP_PLAIN)

    def test_output_too_small(self):
        self.assertValueError("output too small", cryptolib.aes(SP_KEY, ECB).encrypt, SP_PLAIN, bytearray(48))


if __name__ == "__main__":
    unittest.main()
