"""SoftAP transport rules without sockets (CPython and MicroPython): request head parsing, body
length, and the cookie / same-socket session rules of PROTOCOL.md §8.1."""

import unittest

from devtest import FixedRandom
from wifiprov import rand, softap


class FakeProtocomm:
    def __init__(self):
        self.session_id = None
        self.opened = []

    def open_session(self, session_id):
        self.session_id = session_id
        self.opened.append(session_id)

    def has_endpoint(self, name):
        return name in ("proto-ver", "prov-session")


class Conn:
    """Stands for a connection; only its identity matters to the session rules."""


class HeadParsing(unittest.TestCase):
    def test_esp_prov_request(self):
        head = (
            b"POST /prov-session HTTP/1.1\r\nHost: 192.168.4.1\r\nAccept-Encoding: identity\r\n"
            b"Content-Length: 5\r\nContent-type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\n"
            b"Cookie: session=7\r\n\r\n"
        )
        self.assertEqual(softap._head_end(head + b"body!"), len(head))
        method, name, headers = softap._parse_head(head)
        self.assertEqual((method, name), (b"POST", "prov-session"))
        self.assertEqual(headers[b"cookie"], b"session=7")
        self.assertEqual(softap._content_length(headers), 5)

    def test_head_end_needs_a_blank_line_and_accepts_bare_lf(self):
        self.assertEqual(softap._head_end(b"POST / HTTP/1.1\r\nA: b\r\n"), -1)
        self.assertEqual(softap._head_end(b"POST / HTTP/1.1\nA: b\n\nxyz"), len(b"POST / HTTP/1.1\nA: b\n\n"))

    def test_header_names_fold_to_lower_case_and_the_first_one_wins(self):
        _, _, headers = softap._parse_head(b"POST /x HTTP/1.0\r\nCOOKIE: a\r\ncookie: b\r\nX-Y:  z \r\n\r\n")
        self.assertEqual(headers[b"cookie"], b"a")
        self.assertEqual(headers[b"x-y"], b"z")

    def test_query_string_is_dropped(self):
        self.assertEqual(softap._parse_head(b"POST /proto-ver?x=1 HTTP/1.1\r\n\r\n")[1], "proto-ver")

    def test_malformed_heads_are_rejected_with_400(self):
        for head in (
            b"POST /x\r\n\r\n",
            b"POST x HTTP/1.1\r\n\r\n",
            b"POST /x HTTP/2\r\n\r\n",
            b"POST /x HTTP/1.1\r\nno colon here\r\n\r\n",
            b"POST /x HTTP/1.1\r\n folded: value\r\n\r\n",
            b"POST /\xff\xfe HTTP/1.1\r\n\r\n",
        ):
            with self.assertRaises(softap._Reject) as caught:
                softap._parse_head(head)
            self.assertEqual(caught.exception.status, 400)

    def test_control_and_non_ascii_bytes_in_the_target_are_rejected_with_400(self):
        # The C reference's strict parser: such a target is a 400 before any handler or log line.
        attack = b"/x\x1b[2K\rI\x1b[C(4711)\x1b[Capp:\x1b[CProvisioning\x1b[Csuccessful\x0b\r\x1b]0;pwned\x07"
        for target in [attack, b"/proto-ver\x7f", b"/caf\xc3\xa9"] + [b"/a" + bytes((b,)) for b in range(0x21)]:
            if b" " in target:  # a space splits the request line: rejected as a bad request line
                continue
            head = b"POST " + target + b" HTTP/1.1\r\n\r\n"
            with self.assertRaises(softap._Reject) as caught:
                softap._parse_head(head)
            self.assertEqual(caught.exception.status, 400)

    def test_content_length(self):
        self.assertEqual(softap._content_length({}), 0)
        self.assertEqual(softap._content_length({b"content-length": b"4096"}), 4096)
        for bad in (b"", b"-1", b"1e3", b" 5x", b"9999999999"):
            with self.assertRaises(softap._Reject):
                softap._content_length({b"content-length": bad})


class SessionRules(unittest.TestCase):
    def setUp(self):
        self.pc = FakeProtocomm()
        self.transport = softap.HttpTransport(self.pc)

    def tearDown(self):
        rand.set_source(None)

    def _ids(self, *ids):
        rand.set_source(FixedRandom(*[i.to_bytes(4, "big") for i in ids]))

    def test_first_request_opens_a_session_with_a_random_32_bit_id(self):
        self._ids(0xFFFFFFFE)
        a = Conn()
        self.assertEqual(self.transport._session(a, None), (0xFFFFFFFE, True))
        self.assertEqual(self.pc.opened, [0xFFFFFFFE])

    def test_same_socket_without_cookie_continues(self):
        self._ids(11)
        a = Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(a, None), (11, False))
        self.assertEqual(self.pc.opened, [11])

    def test_exact_cookie_continues_on_any_socket_and_retires_the_socket_rule(self):
        self._ids(11, 12)
        a, b = Conn(), Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(b, b"session=11"), (11, False))
        self.assertEqual(self.transport._session(a, None), (12, True))

    def test_other_socket_stale_or_inexact_cookie_opens_a_new_session(self):
        self._ids(11, 12, 13, 14, 15)
        a, b = Conn(), Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(b, None), (12, True))
        self.assertEqual(self.transport._session(b, b"session=11"), (13, True))
        self.assertEqual(self.transport._session(b, b"session=013"), (14, True))
        self.assertEqual(self.transport._session(b, b"Session=14"), (15, True))

    def test_cookie_over_20_characters_counts_as_absent(self):
        self._ids(11)
        a = Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(a, b"session=11; lang=en-GB"), (11, False))

    def test_cookie_of_exactly_20_characters_mismatches(self):
        self._ids(11, 12)
        a = Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(a, b"session=11;aaaaaaaaa"), (12, True))

    def test_a_new_id_never_repeats_the_current_one(self):
        self._ids(11, 11, 11, 12)
        a, b = Conn(), Conn()
        self.transport._session(a, None)
        self.assertEqual(self.transport._session(b, None), (12, True))

    def test_a_session_closed_by_protocomm_is_not_continued(self):
        self._ids(11, 12)
        a = Conn()
        self.transport._session(a, None)
        self.pc.session_id = None  # e.g. provisioning stopped and closed it
        self.assertEqual(self.transport._session(a, None), (12, True))
