"""Console lines (CPython and MicroPython): the one escaping rule for client- and radio-supplied text."""

import unittest

from wifiprov.log import printable


class Printable(unittest.TestCase):
    def test_plain_text_and_letters_stay(self):
        self.assertEqual(printable(b"MyHomeWiFiAP"), "MyHomeWiFiAP")
        self.assertEqual(printable("Caf\u00e9 \u65e5\u672c"), "Caf\u00e9 \u65e5\u672c")
        self.assertEqual(printable(bytearray(b"a b")), "a b")
        self.assertEqual(printable(memoryview(b"xyz")), "xyz")

    def test_c0_controls_and_del_are_escaped(self):
        self.assertEqual(printable(b"a\x00b\x07c\x0bd\x1be\rf\ng\x7f"), "a\\x00b\\x07c\\x0bd\\x1be\\x0df\\x0ag\\x7f")

    def test_c1_controls_are_escaped(self):
        # U+009B is an 8-bit CSI, U+0085 a line break on some terminals.
        self.assertEqual(printable("a\u009b2Jb\u0085c\u0080\u009f"), "a\\x9b2Jb\\x85c\\x80\\x9f")
        self.assertEqual(printable("\u00a0"), "\u00a0")

    def test_separators_and_bidi_controls_are_escaped(self):
        text = "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
        expected = "".join("\\u%04x" % ord(ch) for ch in text)
        self.assertEqual(printable(text), expected)
        self.assertEqual(printable("\u2027\u202f\u2065\u206a"), "\u2027\u202f\u2065\u206a")

    def test_backslash_is_doubled_so_escapes_are_unambiguous(self):
        self.assertEqual(printable(b"\\x1b"), "\\\\x1b")
        self.assertNotEqual(printable(b"\\x1b"), printable(b"\x1b"))

    def test_bytes_that_are_not_utf8_are_shown_byte_by_byte(self):
        self.assertEqual(printable(b"ok\xff\xe9\xc2\x9b\x1b"), "ok\\xff\\xe9\\xc2\\x9b\\x1b")

    def test_the_reviewed_attack_stays_on_one_line(self):
        target = b"x\x1b[2K\rI\x1b[C(4711)\x1b[Capp:\x1b[CProvisioning\x1b[Csuccessful\x0b\r\x1b]0;pwned\x07"
        line = printable(target)
        for ch in line:
            self.assertTrue(0x20 <= ord(ch) < 0x7F, repr(line))
        self.assertEqual(line[:14], "x\\x1b[2K\\x0dI\\")


if __name__ == "__main__":
    unittest.main()
