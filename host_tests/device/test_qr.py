"""wifiprov.qr on CPython and MicroPython: whole symbols pinned module for module (values taken
from the segno package, see host_tests/test_qr_reference.py) and the terminal drawing."""

import unittest

from wifiprov import qr

SEC1_PAYLOAD = b'{"ver":"v1","name":"PROV_261FCC","pop":"abcd1234","transport":"softap"}'
# Version 4, level L, mask 6: one hex number per row, leftmost module = most significant bit.
SEC1_ROWS = (
    "1fd38c97f", "104c82141", "174594a5d", "1741cd05d", "174a5a95d", "10458cb41", "1fd55557f", "0016f1300",
    "1b4e1e841", "0f19a2736", "07f6e428b", "139f1c09e", "14db67869", "0228f00a6", "0ddb2e520", "0716732e4",
    "1ae9b5273", "13136a67b", "0e767b6e9", "0698b5286", "0a425d7a2", "1eaee7c94", "11e3b5f29", "10b15e567",
    "1e47377f2", "001bfd31c", "1fc172550", "104d75716", "1756b47f3", "17546f30c", "1746b6fb5", "1051d43d7",
    "1fd9683f0",
)
# "a": version 1, level M (boosted from L), mask 5.
A_ROWS = (
    "1fcb7f", "105641", "175a5d", "17565d", "17495d", "104641", "1fd57f", "001800", "1056ce", "1303b9", "05cd60",
    "0ab3ea", "1a7bff", "001905", "1fce9e", "104447", "174e9c", "174be8", "174bbb", "1047e8", "1fd526",
)


def _rows(code):
    out = []
    for y in range(code.size):
        value = 0
        for x in range(code.size):
            value = value * 2 + (1 if code.dark(x, y) else 0)
        out.append("%0*x" % ((code.size + 3) // 4, value))
    return tuple(out)


class PinnedSymbols(unittest.TestCase):
    def test_provisioning_payload(self):
        code = qr.encode(SEC1_PAYLOAD.decode())
        self.assertEqual((code.version, code.ecc, code.mask, code.size), (4, 1, 6, 33))
        self.assertEqual(_rows(code), SEC1_ROWS)

    def test_one_byte_is_boosted_to_level_m(self):
        code = qr.encode(b"a")
        self.assertEqual((code.version, code.ecc, code.mask), (1, 0, 5))
        self.assertEqual(_rows(code), A_ROWS)

    def test_capacity_ends_at_version_10(self):
        self.assertEqual(qr.encode(b"x" * 271).version, 10)
        with self.assertRaises(ValueError):
            qr.encode(b"x" * 272)


class Drawing(unittest.TestCase):
    def test_half_blocks_with_border(self):
        code = qr.encode(b"a")
        lines = list(qr.lines(code))
        self.assertEqual(len(lines), 13)
        self.assertEqual(lines[0], " " * 25)
        self.assertEqual(lines[1][:10], "  \u2588\u2580\u2580\u2580\u2580\u2580\u2588 ")
        for line in lines:
            self.assertEqual(len(line), 25)
