"""Proves the test environment: randomness, the cryptolib stand-in, const and int/bytes work."""

import os
import sys
import unittest

from micropython import const

_FOLDED = const(0x1234)
PUBLIC = const(7)


class RuntimeSmokeTest(unittest.TestCase):
    def test_urandom_gives_fresh_bytes(self):
        a = os.urandom(8)
        b = os.urandom(8)
        self.assertIsInstance(a, bytes)
        self.assertEqual(len(a), 8)
        self.assertEqual(len(b), 8)
        self.assertTrue(a != b)  # 2**-64 chance of a false failure
        self.assertEqual(os.urandom(0), b"")

    def test_cryptolib_imports(self):
        import cryptolib

        obj = cryptolib.aes(bytes(16), 1)
        self.assertEqual(len(obj.encrypt(bytes(16))), 16)

    def test_const(self):
        self.assertEqual(_FOLDED, 0x1234)
        self.assertEqual(PUBLIC, 7)
        self.assertEqual(const(5) + 1, 6)

    def test_int_bytes_round_trip(self):
        for value, size in ((0, 1), (1, 1), (255, 1), (0x0102, 2), (2**64 - 1, 8), (3**200, 40)):
            raw = value.to_bytes(size, "big")
            self.assertEqual(len(raw), size)
            self.assertEqual(int.from_bytes(raw, "big"), value)
        self.assertEqual((0x0102).to_bytes(2, "big"), b"\x01\x02")
        self.assertEqual(int.from_bytes(b"\x00\x00\xff", "big"), 255)

    def test_implementation(self):
        self.assertIn(sys.implementation.name, ("micropython", "cpython"))
        if sys.implementation.name == "micropython":
            self.assertIn(".frozen", sys.path)  # frozen unittest etc. stay importable


if __name__ == "__main__":
    unittest.main()
