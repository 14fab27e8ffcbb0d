"""Hostile HTTP clients against the virtual board (loopback only; every loop is bounded in count and
time): 200 concurrent connections, slowloris heads, bodies that never finish, pipelined requests,
invalid Content-Length, header floods. The board keeps serving with a bounded number of sockets
and bounded memory, and a normal provisioning succeeds afterwards."""

import socket
import threading
import time

import pytest

from boardlib import (
    POP,
    KeyedSecurity1,
    board_pid,
    boards,  # noqa: F401  (fixture)
    connect,
    count_responses,
    open_sockets,
    post,
    read_until_closed,
    responses,
    rss_kb,
    session_key,
    started,
)
from fuzzlib import measured, tried
from vboard_harness import HOME_PASSPHRASE, HOME_SSID

MAX_CONNECTIONS = 4  # main.py's HttpTransport: older connections are evicted beyond this
REQUEST_TIMEOUT_S = 5  # softap._TIMEOUT_S: per head, per body
SLACK_S = 3
RSS_GROWTH_KB = 16 * 1024


@pytest.fixture
def board(boards):
    b = boards.boot("--sec", "1", "--pop", POP, pop=POP)
    started(b)
    b.pid = board_pid(b)
    b.boards = boards
    return b


def _serves(board):
    """A whole sec1 handshake and a GetStatus, on a fresh connection."""
    client = board.client()
    security = KeyedSecurity1(POP.encode())
    client.establish_session(security)
    board.boards.extra_secrets.append(session_key(security))
    assert client.get_status() is not None
    client.transport.close()


def _settle_sockets(board, limit, wait_s=5.0):
    """The board's socket count once it has caught up (at most ``limit``); returns it."""
    deadline = time.monotonic() + wait_s
    while True:
        count = open_sockets(board.pid)
        if count <= limit or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _provision(board):
    client = board.client()
    security = KeyedSecurity1(POP.encode())
    client.establish_session(security)
    board.boards.extra_secrets.append(session_key(security))
    assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=0.3, timeout=30).state == "connected"
    board.expect(r"app: Provisioning successful")


def test_200_concurrent_connections(board):
    baseline_sockets = open_sockets(board.pid)
    baseline_rss = rss_kb(board.pid)
    started_at = time.monotonic()
    peers = []
    lock = threading.Lock()

    def attacker(i):
        try:
            sock = connect(board, timeout=15)
        except OSError:
            return
        # A third send a whole request, a third half a head, a third nothing.
        if i % 3 == 0:
            sock.sendall(post("proto-ver", b"ESP"))
        elif i % 3 == 1:
            sock.sendall(b"POST /prov-session HTTP/1.1\r\nHost: x\r\n")
        with lock:
            peers.append(sock)

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(peers) == 200, "only %d of 200 connections were accepted" % len(peers)
    # With all 200 held open by the clients, the board keeps at most MAX_CONNECTIONS of them.
    held = _settle_sockets(board, baseline_sockets + MAX_CONNECTIONS)
    measured("http: client sockets the board held with 200 open (limit %d)" % MAX_CONNECTIONS, held - baseline_sockets)
    assert held <= baseline_sockets + MAX_CONNECTIONS, "the board holds %d sockets" % held
    _serves(board)
    answered = closed = 0
    for sock in peers:
        sock.settimeout(REQUEST_TIMEOUT_S + SLACK_S)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            data = None
        except ConnectionResetError:
            data = b""
        if data == b"":
            closed += 1
        elif data:
            answered += 1
        sock.close()
    assert closed >= 200 - MAX_CONNECTIONS - answered
    measured("http: board RSS growth under 200 connections (KiB)", rss_kb(board.pid) - baseline_rss)
    assert rss_kb(board.pid) - baseline_rss < RSS_GROWTH_KB
    measured("http: 200 connections, whole test (s)", time.monotonic() - started_at)
    assert time.monotonic() - started_at < 60
    _serves(board)
    assert _settle_sockets(board, baseline_sockets) <= baseline_sockets + 1
    tried("http: concurrent connections", 200)


def test_slowloris_heads_are_cut_off(board):
    baseline_sockets = open_sockets(board.pid)
    slow = [connect(board) for _ in range(MAX_CONNECTIONS)]
    head = b"POST /proto-ver HTTP/1.1\r\nHost: 192.168.4.1\r\nX-Slow: " + b"a" * 500
    started_at = time.monotonic()
    open_ = list(slow)
    sent = 0
    # One byte per connection every 0.5 s: never a whole head, never idle for long.
    while open_ and time.monotonic() - started_at < REQUEST_TIMEOUT_S + SLACK_S + 5:
        for sock in list(open_):
            try:
                sock.sendall(head[sent : sent + 1])
            except OSError:
                open_.remove(sock)
        sent += 1
        time.sleep(0.5)
    assert not open_, "a slow head kept its connection for %g s" % (time.monotonic() - started_at)
    measured("http: slowloris head cut off after (s)", time.monotonic() - started_at)
    for sock in slow:
        data = read_until_closed(sock, 2)
        assert data == b"" or responses(data) == [408]
        sock.close()
    assert time.monotonic() - started_at <= REQUEST_TIMEOUT_S + SLACK_S + 1
    _serves(board)
    assert _settle_sockets(board, baseline_sockets) <= baseline_sockets + 1
    tried("http: slowloris connections", len(slow))


def test_bodies_that_never_finish(board):
    started_at = time.monotonic()
    stalled = []
    for length, sent in ((4096, 10), (100, 99), (1, 0)):
        sock = connect(board)
        sock.sendall(b"POST /prov-session HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % length + b"\x00" * sent)
        stalled.append(sock)
    for sock in stalled:
        assert read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S) == b""  # no response, just closed
        sock.close()
    measured("http: unfinished body cut off after (s)", time.monotonic() - started_at)
    assert time.monotonic() - started_at <= REQUEST_TIMEOUT_S + SLACK_S
    _serves(board)
    tried("http: unfinished bodies", len(stalled))


def test_pipelined_requests(board):
    sock = connect(board)
    burst = post("proto-ver", b"ESP") * 50 + b"\r\n" + post("proto-ver", b"x") * 10
    sock.sendall(burst)
    data = b""
    sock.settimeout(10)
    while count_responses(data) < 60:
        chunk = sock.recv(65536)
        assert chunk, "closed after %d responses" % count_responses(data)
        data += chunk
    assert responses(data) == [200] * 60
    # A pipeline that ends in a bad request: the good ones are answered, then the socket closes.
    sock.sendall(post("proto-ver", b"ESP") * 3 + post("proto-ver", b"") + post("proto-ver", b"ESP"))
    assert responses(read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)) == [200] * 3
    sock.close()
    _serves(board)
    tried("http: pipelined requests", 66)


BAD_LENGTHS = [b"-1", b"abc", b"1e3", b"0x10", b"+5", b" 5 5", b"99999999999", b"4097", b"0", b"", b"5\x00",
               b"\xff\xfe"]


@pytest.mark.parametrize("value", BAD_LENGTHS, ids=[repr(v) for v in BAD_LENGTHS])
def test_invalid_content_length(board, value):
    sock = connect(board)
    sock.sendall(b"POST /proto-ver HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\nESP" % value)
    data = read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)
    assert data == b"" or responses(data) == [400], data[:100]
    sock.close()
    _serves(board)
    tried("http: invalid Content-Length")


def test_conflicting_and_chunked_lengths(board):
    cases = [
        b"Content-Length: 3\r\nContent-Length: 40\r\n",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\n",
    ]
    for headers in cases:
        sock = connect(board)
        sock.sendall(b"POST /proto-ver HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\nESP" + b"3\r\nESP\r\n0\r\n\r\n")
        data = read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)
        assert data == b"" or responses(data) == [400], (headers, data[:200])
        sock.close()
    _serves(board)
    tried("http: invalid Content-Length", len(cases))


def test_header_floods(board):
    baseline_rss = rss_kb(board.pid)
    started_at = time.monotonic()
    floods = [
        b"X-Big: " + b"a" * 5000 + b"\r\n",  # one long line
        b"".join(b"X-%d: v\r\n" % i for i in range(2000)),  # many short lines
        b"Cookie: " + b"session=1;" * 500 + b"\r\n",
    ]
    for flood in floods:
        sock = connect(board)
        try:
            sock.sendall(b"POST /proto-ver HTTP/1.1\r\n" + flood + b"Content-Length: 3\r\n\r\nESP")
        except OSError:  # the board closed while we were still sending: fine
            pass
        data = read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)
        assert data == b"" or responses(data) in ([431], [400]), data[:200]
        sock.close()
    # A firehose: 8 MB of header bytes as fast as the board takes them; it must stop reading.
    sock = connect(board)
    sent = 0
    chunk = b"X-Flood: " + b"f" * 1000 + b"\r\n"
    sock.settimeout(REQUEST_TIMEOUT_S + SLACK_S)
    try:
        sock.sendall(b"POST /proto-ver HTTP/1.1\r\n")
        while sent < 8 * 1024 * 1024:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    data = read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)
    assert data == b"" or responses(data) == [431], data[:200]
    sock.close()
    assert sent < 8 * 1024 * 1024, "the board read 8 MB of headers"
    measured("http: header firehose bytes sent before the board closed (kernel buffers included)", sent)
    measured("http: board RSS growth under header floods (KiB)", rss_kb(board.pid) - baseline_rss)
    assert rss_kb(board.pid) - baseline_rss < RSS_GROWTH_KB
    assert time.monotonic() - started_at < 4 * (REQUEST_TIMEOUT_S + SLACK_S)
    _serves(board)
    tried("http: header floods", len(floods) + 1)


def test_garbage_and_then_a_normal_provisioning(board):
    import random

    rng = random.Random(7)
    for i in range(30):
        sock = connect(board)
        garbage = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 2000)))
        try:
            sock.sendall(garbage + b"\r\n\r\n")
        except OSError:
            pass
        data = read_until_closed(sock, REQUEST_TIMEOUT_S + SLACK_S)
        assert data == b"" or responses(data)[0] in (400, 404, 405, 431), data[:200]
        sock.close()
    _provision(board)
    tried("http: garbage connections", 30)
