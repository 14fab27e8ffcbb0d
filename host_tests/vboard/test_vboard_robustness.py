"""Virtual board under abuse: bad HTTP, idle sockets and a second client mid-session; afterwards a
normal provisioning must still succeed and the console must not leak secrets."""

import os
import socket
import time

import pytest

from vboard_harness import HOME_PASSPHRASE, HOME_SSID, VirtualBoard, assert_no_secrets
from wifiprov_host import security as host_security
from wifiprov_host.transport import RequestFailed

POP = "abcd1234"


@pytest.fixture
def board(tmp_path):
    b = VirtualBoard(tmp_path, "--sec", "1", "--pop", POP)
    b.expect(r"^https://espressif\.github\.io/esp-jumpstart/qrcode\.html\?data=")
    yield b
    b.power_off()


def _raw(board, data, wait=5.0):
    """Send ``data`` on a fresh socket; return everything the board sends before it closes."""
    with socket.create_connection(("127.0.0.1", board.port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    return received
                received += chunk
        except socket.timeout:
            return received + b"<still open>"


def _post(path, body):
    return b"POST %s HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Length: %d\r\n\r\n" % (path, len(body)) + body


def test_bad_requests_idle_sockets_and_a_second_client_then_provisioning_succeeds(board):
    assert _raw(board, _post(b"/proto-ver", b"")) == b""  # empty body: closed, no response
    assert _raw(board, _post(b"/proto-ver", b"x" * 4097)) == b""  # too long: closed, no response
    assert _raw(board, _post(b"/prov-session", os.urandom(64))) == b""  # garbage protobuf
    assert _raw(board, os.urandom(3000)).startswith((b"HTTP/1.1 400", b"HTTP/1.1 431"))
    assert _raw(board, _post(b"/nowhere", b"x")).startswith(b"HTTP/1.1 404 Not Found")
    assert _raw(board, b"GET /prov-config HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405 Method Not Allowed")

    first = board.client()
    first.establish_session(host_security.Security1(POP.encode()))
    second = board.client()  # another phone probes mid-session
    assert second.probe("ESP").sec_ver == 1
    with pytest.raises(RequestFailed):
        first.scan()

    idle = [socket.create_connection(("127.0.0.1", board.port), timeout=5) for _ in range(50)]
    try:
        started = time.monotonic()
        client = board.client()
        client.establish_session(host_security.Security1(POP.encode()))
        assert {ap.ssid.decode() for ap in client.scan()} >= {HOME_SSID}
        assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
        assert client.apply_config() == "Success"
        assert client.wait_connected(poll_interval=0.3, timeout=30).state == "connected"
        assert time.monotonic() - started < 20
    finally:
        for sock in idle:
            sock.close()
    board.expect(r"app: Provisioning successful")
    board.expect(r"app: Hello World!")
    assert_no_secrets(board, [HOME_PASSPHRASE], pop=POP)


def test_wrong_pop_is_logged_and_the_right_one_still_works(board):
    client = board.client()
    with pytest.raises(Exception):
        client.establish_session(host_security.Security1(b"not-the-pop"))
    board.expect(r"E \(\d+\) app: Received incorrect username and/or PoP for establishing secure session!")
    client.establish_session(host_security.Security1(POP.encode()))
    board.expect(r"app: Secured session established!")
    assert_no_secrets(board, ["not-the-pop"], pop=POP)
