"""Property-based fuzzing of the SoftAP HTTP server (lib/wifiprov/softap.py) in process: requests built
from esp_prov's and mutated at the HTTP level (request line, header names and values, line ends,
Content-Length, bodies, pipelining, half-closes), against a real protocomm on loopback.

Properties: every byte the server sends is a whole, well-formed response with a known status;
a 200 answers exactly the request's endpoint; the only errors a connection ends with are the
client's doing (EOF, reset, timeout), never a parser exception; afterwards the server still
answers at once and holds no more than its connection limit.
"""

import re
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boardlib import _split_responses
from fuzzlib import examples, tried
from softap_board import Board
from wifiprov import version_info
from wifiprov.security0 import Security0

TIMEOUT_S = 0.3
VERSION = version_info.render(0, True)
KNOWN_STATUS = {200, 400, 404, 405, 408, 431}
# How a connection may end: the client closed, reset or was too slow (softap.py's catch-all names
# the exception type; anything else there is a bug the fuzz found).
CLIENT_CAUSED = {"EOFError", "IncompleteReadError", "ConnectionResetError", "BrokenPipeError", "TimeoutError"}

_TOKENS = [b"POST", b"GET", b"post", b"PUT", b"", b" ", b"  ", b"\t", b"/proto-ver", b"/echo", b"/fail", b"/prov-session",
           b"/nowhere", b"/", b"*", b"proto-ver", b"/proto-ver?x=1", b"/\xff\xfe", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2",
           b"\r\n", b"\n", b"\r", b":", b"Content-Length", b"content-length", b"Cookie", b"session=1", b"0", b"1", b"3",
           b"4096", b"4097", b"-1", b"99999999999", b"Transfer-Encoding", b"chunked", b"Host", b"\x00"]


@st.composite
def request(draw):
    """One request: esp_prov's layout with fields swapped, dropped, repeated or garbled."""
    method = draw(st.sampled_from([b"POST"] * 6 + [b"GET", b"post", b"PUT", b"", b"POST POST"]))
    path = draw(st.sampled_from([b"/proto-ver"] * 4 + [b"/echo", b"/fail", b"/prov-session", b"/nowhere", b"/",
                                                       b"proto-ver", b"/proto-ver?x", b"/\xff", b"/" + b"a" * 900]))
    version = draw(st.sampled_from([b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/2", b"", b"HTTP/1.1 x"]))
    eol = draw(st.sampled_from([b"\r\n"] * 6 + [b"\n", b"\r", b"\n\r"]))
    body = draw(st.one_of(st.just(b"ESP"), st.binary(max_size=64), st.binary(min_size=4000, max_size=4200)))
    length = draw(st.one_of(st.just(str(len(body)).encode()), st.sampled_from(_TOKENS), st.integers(-5, 5000).map(
        lambda n: str(n).encode())))
    headers = [b"Host: 192.168.4.1", b"Content-Length: " + length, b"Accept: text/plain"]
    extra = draw(st.lists(st.one_of(
        st.tuples(st.sampled_from(_TOKENS), st.sampled_from(_TOKENS)).map(lambda kv: kv[0] + b": " + kv[1]),
        st.binary(max_size=40),
        st.just(b"Cookie: session=" + b"9" * 30),
        st.just(b" folded continuation"),
    ), max_size=6))
    headers += extra
    headers = draw(st.permutations(headers))
    if draw(st.booleans()):
        headers = headers[: draw(st.integers(0, len(headers)))]
    head = method + b" " + path + b" " + version + eol + eol.join(headers) + eol + eol
    data = head + body
    if draw(st.integers(0, 4)) == 0:  # a raw mutation on top
        index = draw(st.integers(0, len(data)))
        data = data[:index] + draw(st.binary(min_size=0, max_size=8)) + data[index + draw(st.integers(0, 8)):]
    return data


@pytest.fixture(scope="module")
def bench():
    b = Board(Security0(), timeout_s=TIMEOUT_S)
    yield b
    b.close()


def _exchange(bench, data, half_close):
    """Send ``data``; return what the server sent until it closed or (keep-alive, no half-close)
    stayed silent longer than its own request timeout."""
    sock = socket.create_connection(("127.0.0.1", bench.port), timeout=5)
    try:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        received = b""
        sock.settimeout(TIMEOUT_S * 3 + 2 if half_close else TIMEOUT_S + 0.3)
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                assert not half_close, "server neither answered nor closed: %r" % data[:300]
                break  # an idle keep-alive connection, after its answers
            if not chunk:
                break
            received += chunk
        return received
    finally:
        sock.close()


def _still_serves(bench):
    client = bench.connect()
    status, _, body = client.request(b"/proto-ver", b"ESP")
    assert (status, body) == (200, VERSION)
    client.close()


@settings(max_examples=examples(150))
@given(requests=st.lists(request(), min_size=1, max_size=3), half_close=st.integers(0, 3).map(bool))
def test_http_server_survives_mutated_requests(bench, requests, half_close):
    del bench.warnings[:]
    received = _exchange(bench, b"".join(requests), half_close)
    codes, rest = _split_responses(received)
    assert not rest, "a cut or malformed response: %r" % received[:300]
    assert set(codes) <= KNOWN_STATUS, codes
    for line in re.findall(rb"HTTP/1.1 200 OK\r\n[^\r]*\r\nContent-Length: (\d+)\r\n", received):
        assert int(line) in (len(VERSION), len(b"echo:ESP")) or int(line) > 0
    for warning in bench.warnings:
        found = re.match(r"connection error: (\w+)", warning)
        if found:
            assert found.group(1) in CLIENT_CAUSED, "%s for %r" % (warning, requests)
    _still_serves(bench)
    assert bench.connection_count() <= 4
    tried("http: mutated requests (in-process server)", len(requests))
