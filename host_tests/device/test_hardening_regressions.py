"""Regression tests for what the hardening suite (host_tests/hardening) found in the device code;
each names the hostile input that exposed it."""

import unittest

from wifiprov import pbcodec, pbmessages
from wifiprov.pbcodec import CodecError


class Codec(unittest.TestCase):
    def test_repeated_values_are_capped(self):
        # A 4 KB body of 2048 empty scan entries held ~40 KB of heap on MicroPython v1.27.
        entries = pbcodec.decode(pbmessages.RespScanResult, b"\x0a\x00" * 255)["entries"]
        self.assertEqual(len(entries), 255)
        with self.assertRaises(CodecError):
            pbcodec.decode(pbmessages.RespScanResult, b"\x0a\x00" * 256)
        with self.assertRaises(CodecError):
            pbcodec.decode(pbmessages.WiFiScanPayload, b"\x7a\x80\x20" + b"\x0a\x00" * 2048)


if __name__ == "__main__":
    unittest.main()
