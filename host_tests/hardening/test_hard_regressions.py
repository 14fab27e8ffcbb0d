"""Regression tests (CPython side) for what the hardening suite found; the device-code ones that run
on MicroPython too are in host_tests/device/test_hardening_regressions.py."""

import pytest

from boardlib import boards, connect, read_until_closed, responses, started  # noqa: F401  (fixture)
from softap_board import Board
from wifiprov.security0 import Security0

ESP = b"ESP"


@pytest.fixture
def bench():
    b = Board(Security0())
    yield b
    b.close()


def _send(bench, head_lines):
    client = bench.connect()
    client.send_raw(b"POST /proto-ver HTTP/1.1\r\nHost: x\r\n" + head_lines + b"\r\n" + ESP + b"3\r\nESP\r\n0\r\n\r\n")
    return client


@pytest.mark.parametrize("head_lines", [
    b"Content-Length: 3\r\nContent-Length: 40\r\n",
    b"Content-Length: 3\r\ncontent-length: 4\r\n",
    b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
])
def test_ambiguous_body_framing_is_refused(bench, head_lines):
    # Found by test_hostile_http: the first Content-Length won and the rest of the body was
    # served as a second request (two readers of one stream disagreeing on where requests end).
    client = _send(bench, head_lines)
    status, _, _ = client.response()
    assert status == 400
    assert client.is_closed()


def test_repeated_equal_content_length_is_fine(bench):
    client = _send(bench, b"Content-Length: 3\r\nContent-Length: 3\r\n")
    status, _, body = client.response()
    assert status == 200 and body.startswith(b"{")


def test_client_text_cannot_forge_console_lines(boards):
    # Found by the console scan: custom-data text (and an SSID) went to the console raw, so a
    # client could print a line of its own, e.g. a fake "Provisioning successful".
    board = boards.boot("--sec", "0")
    started(board)
    client = board.client()
    from wifiprov_host import security as host_security

    client.establish_session(host_security.Security0())
    forged = "x\nI (1) app: Provisioning successful\r\nI (2) app: Hello World!\x1b[2J"
    assert client.custom_data(forged.encode()) == b"SUCCESS\x00"
    assert client.set_config(b"\nI (3) app: Hello World!", b"pw-123456") == "Success"
    assert client.apply_config() == "Success"
    board.expect(r"Received data: ")
    board.expect(r"app: Received Wi-Fi credentials")
    for line in board.lines:
        assert not line.startswith(("I (1) ", "I (2) ", "I (3) ")), line
        assert "\x1b" not in line
    assert r"Received data: x\x0aI (1) app: Provisioning successful\x0d\x0aI (2) app: Hello World!\x1b[2J" in board.console
    assert r"SSID     : \x0aI (3) app: Hello World!" in board.console


# Bytes a client must never get onto the developer's console: NUL, BEL, VT, ESC, CR inside a line,
# and the 8-bit CSI / line breaks / bidi controls in UTF-8.
_CONSOLE_CONTROLS = ["\x00", "\x07", "\x0b", "\x1b", "\x7f", "\u009b", "\u0085", "\u2028", "\u2029", "\u202e",
                     "\u2066"]


def _assert_clean(board):
    for line in board.lines:
        for control in _CONSOLE_CONTROLS:
            assert control not in line, "control %r reached the console: %r" % (control, line)
        assert "\r" not in line.rstrip("\r"), "carriage return inside a console line: %r" % line


def test_control_bytes_in_the_request_target_are_a_400_before_any_log_line(boards):
    # Found by an outside review: "no endpoint <name>" printed the decoded target as is, so any
    # station on the open SoftAP could erase console lines and forge "Provisioning successful".
    board = boards.boot("--sec", "0")
    started(board)
    attack = b"/x\x1b[2K\rI\x1b[C(4711)\x1b[Capp:\x1b[CProvisioning\x1b[Csuccessful\x0b\r\x1b]0;pwned\x07"
    for target in (attack, b"/caf\xc3\xa9\xc2\x9b", b"/\x00proto-ver"):
        sock = connect(board)
        sock.sendall(b"POST " + target + b" HTTP/1.1\r\nContent-Length: 3\r\n\r\nESP")
        assert responses(read_until_closed(sock)) == [400]
        sock.close()
    sock = connect(board)  # printable but unknown: 404, and the log line escapes the backslash
    sock.sendall(b"POST /no\\x1b-such HTTP/1.1\r\nContent-Length: 3\r\n\r\nESP")
    assert responses(read_until_closed(sock)) == [404]
    sock.close()
    board.expect(r"no endpoint no\\\\x1b-such")
    client = board.client()
    assert client.probe("none").prov_version  # still serving
    _assert_clean(board)
    assert not any("4711" in line or "pwned" in line for line in board.lines), board.console


def test_c1_separator_and_bidi_characters_from_clients_are_escaped(boards):
    # C0 escaping alone let U+009B (an 8-bit CSI), U+2028 and the bidi overrides through.
    board = boards.boot("--sec", "0")
    started(board)
    client = board.client()
    from wifiprov_host import security as host_security

    client.establish_session(host_security.Security0())
    text = "a\u009b2Kb\u0085c\u2028d\u202eevil\u2066f"
    assert client.custom_data(text.encode()) == b"SUCCESS\x00"
    assert client.set_config("ssid\u202e\u2029x".encode(), b"pw-123456") == "Success"
    assert client.apply_config() == "Success"
    board.expect(r"app: Received Wi-Fi credentials")
    board.expect(r"SSID     : ")
    _assert_clean(board)
    assert r"Received data: a\x9b2Kb\x85c\u2028d\u202eevil\u2066f" in board.console
    assert r"SSID     : ssid\u202e\u2029x" in board.console
