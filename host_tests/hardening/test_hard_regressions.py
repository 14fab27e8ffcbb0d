"""Regression tests (CPython side) for what the hardening suite found; the device-code ones that run
on MicroPython too are in host_tests/device/test_hardening_regressions.py."""

import pytest

from boardlib import boards, started  # noqa: F401  (fixture)
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
