"""Security 0 handshake bytes, plaintext request endpoints, and the proto-ver document."""

import unittest

from devtest import load_vectors, unhex
from wifiprov import version_info
from wifiprov.protocomm import Protocomm
from wifiprov.security0 import Security0


class Sec0(unittest.TestCase):
    def setUp(self):
        self.pc = Protocomm(Security0())
        self.pc.set_security_endpoint("prov-session")
        self.pc.set_version_endpoint("proto-ver", version_info.render(0))
        self.pc.add_endpoint("echo", lambda sid, plain: b"<" + plain + b">")

    def test_handshake_bytes(self):
        self.pc.open_session(1)
        self.assertEqual(self.pc.handle(1, "prov-session", unhex("5203a20100")), unhex("52050801aa0100"))

    def test_requests_work_without_a_handshake_or_session(self):
        self.assertEqual(self.pc.handle(None, "echo", b"abc"), b"<abc>")

    def test_wrong_sec_ver_and_garbage_fail(self):
        self.pc.open_session(1)
        self.assertIsNone(self.pc.handle(1, "prov-session", unhex("10015a00")))
        self.assertIsNone(self.pc.handle(1, "prov-session", b"\x0a"))
        self.assertEqual(self.pc.handle(1, "prov-session", unhex("5203a20100")), unhex("52050801aa0100"))

    def test_proto_ver_ignores_the_request(self):
        for probe in (b"none", b"no_sec", b"ESP", b"\x00" * 100):
            self.assertEqual(self.pc.handle(3, "proto-ver", probe), version_info.render(0))


class VersionDocument(unittest.TestCase):
    def test_examples_byte_exact(self):
        examples = load_vectors("wifi_flow.json")["proto_ver_examples"]
        self.assertEqual(version_info.render(0), examples["sec0"].encode())
        self.assertEqual(version_info.render(1, True), examples["sec1_with_pop"].encode())
        self.assertEqual(version_info.render(1, False), examples["sec1_without_pop"].encode())
        self.assertEqual(version_info.render(2), examples["sec2"].encode())
        app = (("my_app", "1.0.2", ("cloud", "local_ctrl")),)
        self.assertEqual(version_info.render(1, True, app), examples["sec1_with_app_info"].encode())

    def test_default_sec1_document_is_95_bytes(self):
        self.assertEqual(len(version_info.render(1)), 95)

    def test_strings_are_escaped_like_cjson(self):
        text = version_info.render(1, True, (('a"b\\c\n\x01', "", ()),)).decode()
        self.assertTrue(text.startswith('{\n\t"a\\"b\\\\c\\n\\u0001":\t{\n\t\t"ver":\t"",\n\t\t"cap":\t[]\n\t},'))


if __name__ == "__main__":
    unittest.main()
