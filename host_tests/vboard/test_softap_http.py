"""SoftAP transport, HTTP framing and robustness (PROTOCOL.md §8.1), against a real Protocomm.

Every test talks to the server over loopback sockets; every wait is bounded.
"""

import os
import socket
import time

import pytest

from softap_board import Board
from wifiprov import version_info
from wifiprov.security0 import Security0

SEC0_HANDSHAKE = bytes.fromhex("5203a20100")


@pytest.fixture
def board():
    b = Board(Security0())
    yield b
    b.close()


def test_keep_alive_serves_many_requests_on_one_socket(board):
    client = board.connect()
    for i in range(20):
        status, headers, body = client.request(b"/echo", b"n=%d" % i)
        assert status == 200
        assert body == b"echo:n=%d" % i
        assert headers[b"content-type"] == b"text/html"
        assert headers[b"content-length"] == b"%d" % len(body)
    assert board.connection_count() == 1
    client.close()


def test_response_bytes_are_exactly_the_reference_format(board):
    client = board.connect()
    client.post(b"/proto-ver", b"none")
    raw = b""
    want_body = version_info.render(0, True)
    while not raw.endswith(want_body):
        chunk = client.sock.recv(4096)
        assert chunk, "closed early: %r" % raw
        raw += chunk
    session = board.protocomm.session_id
    assert raw == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nSet-Cookie: session=%d\r\n\r\n"
        % (len(want_body), session)
        + want_body
    )
    client.close()


def test_set_cookie_only_on_the_response_that_created_the_session(board):
    client = board.connect()
    _, first, _ = client.request(b"/proto-ver", b"none")
    cookie = first[b"set-cookie"]
    assert cookie == b"session=%d" % board.protocomm.session_id
    _, second, _ = client.request(b"/prov-session", SEC0_HANDSHAKE, cookie=cookie)
    assert b"set-cookie" not in second
    _, third, _ = client.request(b"/echo", b"x")  # no cookie, same socket... but a cookie was used: new session
    assert b"set-cookie" in third
    client.close()


def test_unknown_path_gets_404_then_close(board):
    client = board.connect()
    status, headers, body = client.request(b"/no-such-endpoint", b"x")
    assert (status, body) == (404, b"This URI does not exist")
    assert client.is_closed()


def test_wrong_method_on_known_path_gets_405_then_close(board):
    client = board.connect()
    client.send_raw(b"GET /proto-ver HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = client.response()
    assert (status, body) == (405, b"Request method for this URI is not handled by server")
    assert client.is_closed()


def test_query_string_is_not_part_of_the_endpoint_name(board):
    client = board.connect()
    status, _, body = client.request(b"/echo?x=1", b"q")
    assert (status, body) == (200, b"echo:q")


@pytest.mark.parametrize("size", [0, 4097])
def test_body_outside_1_to_4096_closes_without_response(board, size):
    client = board.connect()
    client.post(b"/echo", b"z" * size)
    assert client.response() is None
    other = board.connect()
    assert other.request(b"/echo", b"ok")[2] == b"echo:ok"


@pytest.mark.parametrize("size", [1, 4096])
def test_body_of_1_and_4096_bytes_is_served(board, size):
    client = board.connect()
    body = os.urandom(size)
    assert client.request(b"/echo", body)[2] == b"echo:" + body


def test_missing_content_length_is_an_empty_body(board):
    client = board.connect()
    client.send_raw(b"POST /echo HTTP/1.1\r\nHost: x\r\n\r\n")
    assert client.response() is None


def test_bad_content_length_gets_400(board):
    client = board.connect()
    client.send_raw(b"POST /echo HTTP/1.1\r\nContent-Length: -5\r\n\r\nabc")
    assert client.response()[0] == 400
    assert client.is_closed()


def test_handler_failure_closes_without_any_response(board):
    client = board.connect()
    client.post(b"/fail", b"data")
    assert client.response() is None
    again = board.connect()
    assert again.request(b"/echo", b"still here")[2] == b"echo:still here"


def test_garbage_gets_400_and_the_server_keeps_serving(board):
    junks = (os.urandom(600) + b"\r\n\r\n", b"\x00\x01\x02 / HTTP/9.9\r\n\r\n", b"HELLO\r\n\r\n", b"POST /echo\r\n\r\n")
    for junk in junks:
        client = board.connect()
        client.send_raw(junk)
        answer = client.response()
        assert answer is None or answer[0] == 400
        client.close()
    client = board.connect()
    assert client.request(b"/echo", b"fine")[2] == b"echo:fine"


def test_oversized_head_gets_431(board):
    client = board.connect()
    client.send_raw(b"POST /echo HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 2000 + b"\r\n\r\n")
    assert client.response()[0] == 431
    assert client.is_closed()


def test_header_names_are_case_insensitive_and_lf_only_lines_work(board):
    client = board.connect()
    client.send_raw(b"POST /echo HTTP/1.1\nCONTENT-LENGTH: 2\nhost: x\n\nhi")
    assert client.response()[2] == b"echo:hi"


def test_pipelined_requests_are_answered_in_order(board):
    client = board.connect()
    client.send_raw(
        b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nA"
        b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nB"
        b"\r\nPOST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nC"
    )
    assert [client.response()[2] for _ in range(3)] == [b"echo:A", b"echo:B", b"echo:C"]


def test_lru_connection_is_evicted_beyond_max_connections(board):
    clients = [board.connect() for _ in range(4)]
    for i, c in enumerate(clients):
        assert c.request(b"/echo", b"%d" % i)[0] == 200
    assert clients[0].request(b"/echo", b"again")[0] == 200  # client 1 is now the least recently used
    newcomer = board.connect()
    assert newcomer.request(b"/echo", b"new")[0] == 200
    assert clients[1].is_closed()
    for c in (clients[0], clients[2], clients[3]):
        assert c.request(b"/echo", b"alive")[2] == b"echo:alive"
    assert board.connection_count() == 4


def test_fifty_idle_connections_do_not_block_a_normal_client(board):
    idle = [board.connect() for _ in range(50)]
    client = board.connect()
    started = time.monotonic()
    for i in range(5):
        assert client.request(b"/echo", b"%d" % i)[2] == b"echo:%d" % i
    assert time.monotonic() - started < 2.0
    closed = sum(1 for c in idle if c.is_closed(wait=0.5))
    assert closed >= 47  # at most max_connections sockets stay open
    assert board.connection_count() <= 4
    for c in idle:
        c.close()


def test_closed_connections_are_forgotten(board):
    for _ in range(10):
        c = board.connect()
        assert c.request(b"/echo", b"x")[0] == 200
        c.close()
    deadline = time.monotonic() + 5
    while board.connection_count() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert board.connection_count() == 0


def test_stop_closes_client_connections():
    b = Board(Security0())
    client = b.connect()
    assert client.request(b"/echo", b"x")[0] == 200
    b.close()
    assert client.is_closed(wait=5.0)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", b.port), timeout=2).close()


def test_slow_header_client_does_not_stall_others_and_times_out():
    b = Board(Security0(), timeout_s=1.0)
    try:
        slow = b.connect()
        slow.send_raw(b"POST /echo HTTP/1.1\r\nContent-Le")  # and then nothing
        fast = b.connect()
        started = time.monotonic()
        for i in range(10):
            assert fast.request(b"/echo", b"%d" % i)[0] == 200
        assert time.monotonic() - started < 0.5
        status, _, _ = slow.response()
        assert status == 408
        assert slow.is_closed(wait=3.0)
    finally:
        b.close()


def test_slow_body_times_out_without_response():
    b = Board(Security0(), timeout_s=1.0)
    try:
        slow = b.connect()
        slow.send_raw(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        fast = b.connect()
        assert fast.request(b"/echo", b"quick")[2] == b"echo:quick"
        started = time.monotonic()
        assert slow.response() is None
        assert time.monotonic() - started < 3.0
    finally:
        b.close()


def test_idle_keep_alive_connection_is_not_timed_out():
    b = Board(Security0(), timeout_s=0.3)
    try:
        client = b.connect()
        assert client.request(b"/echo", b"1")[0] == 200
        time.sleep(0.8)
        assert client.request(b"/echo", b"2")[2] == b"echo:2"
    finally:
        b.close()
