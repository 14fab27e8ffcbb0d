"""Tests for the constant-time comparison used for tags and proofs."""

import unittest

from wifiprov.consttime import equal


class EqualTest(unittest.TestCase):
    def test_equal_values(self):
        self.assertTrue(equal(b"", b""))
        self.assertTrue(equal(b"\x00", b"\x00"))
        self.assertTrue(equal(bytes(range(64)), bytes(range(64))))

    def test_any_differing_byte(self):
        reference = bytes(range(64))
        for pos in (0, 1, 31, 63):
            for flip in (0x01, 0x80, 0xFF):
                other = bytearray(reference)
                other[pos] ^= flip
                self.assertFalse(equal(reference, other), "byte %d ^ %d" % (pos, flip))

    def test_different_lengths(self):
        self.assertFalse(equal(b"abc", b"ab"))
        self.assertFalse(equal(b"", b"\x00"))
        self.assertFalse(equal(bytes(16), bytes(17)))

    def test_mixed_buffer_types(self):
        data = bytes(range(16))
        self.assertTrue(equal(data, bytearray(data)))
        self.assertTrue(equal(memoryview(data), data))
        self.assertFalse(equal(memoryview(data)[1:], data[:15]))

    def test_returns_bool(self):
        self.assertIs(equal(b"a", b"a"), True)
        self.assertIs(equal(b"a", b"b"), False)
        self.assertIs(equal(b"a", b"ab"), False)
