"""SoftAP transport, session rules (PROTOCOL.md §8.1, §13a): cookie or same socket continues a
session, anything else opens a new one; with a real Protocomm and Security 0/1 on loopback."""

import pytest

from softap_board import Board
from wifiprov.security0 import Security0
from wifiprov.security1 import Security1
from wifiprov_host import security as host_security
from wifiprov_host.client import ProvClient
from wifiprov_host.errors import AuthenticationFailed
from wifiprov_host.transport import RequestFailed
from wifiprov_host.transport_http import HttpTransport as HostHttp

POP = b"abcd1234"


@pytest.fixture
def board():
    b = Board(Security1(POP))
    yield b
    b.close()


class RawSession:
    """A sec1 client session over raw sockets; ``cookie`` None = never send one (old Android)."""

    def __init__(self, client, cookie=None, pop=POP):
        self.client = client
        self.cookie = cookie
        self.set_cookies = []
        self.security = host_security.Security1(pop)

    def exchange(self, path, body):
        answer = self.client.request(path, body, cookie=self.cookie)
        if answer is None:
            raise RequestFailed("closed without a response")
        status, headers, payload = answer
        assert status == 200
        if b"set-cookie" in headers:
            self.set_cookies.append(headers[b"set-cookie"])
        return payload

    def establish(self):
        self.security.establish(lambda request: self.exchange(b"/prov-session", request))

    def echo(self, text):
        answer = self.exchange(b"/echo", self.security.encrypt(text))
        return self.security.decrypt(answer)


def test_esp_prov_style_client_keeps_one_connection_and_the_cookie(board):
    transport = HostHttp("127.0.0.1:%d" % board.port)
    client = ProvClient(transport)
    assert client.probe("none").sec_ver == 1
    client.establish_session(host_security.Security1(POP))
    for i in range(5):
        assert client.request("echo", b"msg %d" % i) == b"echo:msg %d" % i
    assert transport.connections_opened == 1
    assert transport.cookie == "session=%d" % board.protocomm.session_id
    transport.close()


def test_the_cookie_continues_the_session_on_a_new_connection(board):
    first = RawSession(board.connect())
    first.establish()
    cookie = first.set_cookies[0]
    assert cookie == b"session=%d" % board.protocomm.session_id
    first.client.close()
    second = RawSession(board.connect(), cookie=cookie)
    second.security = first.security  # same client, new socket
    assert second.echo(b"after reconnect") == b"echo:after reconnect"
    assert second.set_cookies == []


def test_a_cookieless_client_continues_on_the_same_socket(board):
    session = RawSession(board.connect())
    session.establish()
    assert session.echo(b"old android") == b"echo:old android"
    assert len(session.set_cookies) == 1  # only the first response, which created the session


def test_a_cookieless_request_on_another_socket_starts_a_new_session(board):
    first = RawSession(board.connect())
    first.establish()
    before = board.protocomm.session_id
    other = board.connect()
    status, headers, _ = other.request(b"/proto-ver", b"ESP")
    assert status == 200 and b"set-cookie" in headers
    assert board.protocomm.session_id != before
    with pytest.raises(RequestFailed):
        first.echo(b"too late")
    assert first.client.is_closed()


def test_a_stale_cookie_opens_a_new_session_with_a_fresh_cookie(board):
    session = RawSession(board.connect(), cookie=b"session=12345")
    session.security = host_security.Security1(POP)
    answer = session.client.request(b"/proto-ver", b"ESP", cookie=b"session=12345")
    fresh = answer[1][b"set-cookie"]
    assert fresh == b"session=%d" % board.protocomm.session_id and fresh != b"session=12345"
    session.cookie = fresh
    session.establish()
    assert session.echo(b"with the new cookie") == b"echo:with the new cookie"


def test_once_a_cookie_matched_the_socket_no_longer_counts(board):
    session = RawSession(board.connect())
    session.client.request(b"/proto-ver", b"none")
    session.cookie = b"session=%d" % board.protocomm.session_id
    session.establish()
    before = board.protocomm.session_id
    session.cookie = None
    answer = session.client.request(b"/proto-ver", b"none")
    assert b"set-cookie" in answer[1]
    assert board.protocomm.session_id != before


def test_a_cookie_longer_than_20_characters_counts_as_absent(board):
    session = RawSession(board.connect())
    session.establish()
    session.cookie = b"session=%d; theme=dark" % board.protocomm.session_id
    assert len(session.cookie) > 20
    assert session.echo(b"same socket") == b"echo:same socket"


def test_a_cookie_of_exactly_20_characters_never_matches(board):
    session = RawSession(board.connect())
    session.establish()
    cookie = b"session=%d" % board.protocomm.session_id
    session.cookie = cookie + b";" + b"x" * (19 - len(cookie))
    assert len(session.cookie) == 20
    with pytest.raises(RequestFailed):
        session.echo(b"cut to 19 characters")


def test_cookie_header_name_is_case_insensitive(board):
    session = RawSession(board.connect())
    session.establish()
    other = board.connect()
    cookie = b"session=%d" % board.protocomm.session_id
    other.send_raw(b"POST /echo HTTP/1.1\r\ncOOKIE: " + cookie + b"\r\nContent-Length: 4\r\n\r\n"
                   + session.security.encrypt(b"case"))
    status, headers, body = other.response()
    assert status == 200 and b"set-cookie" not in headers
    assert session.security.decrypt(body) == b"echo:case"


def test_wrong_pop_gets_no_response_then_the_right_pop_works(board):
    transport = HostHttp("127.0.0.1:%d" % board.port)
    client = ProvClient(transport)
    with pytest.raises(AuthenticationFailed):
        client.establish_session(host_security.Security1(b"wrong-pop"))
    client.establish_session(host_security.Security1(POP))
    assert client.request("echo", b"in") == b"echo:in"
    transport.close()


def test_a_second_client_mid_session_resets_it_and_a_new_handshake_recovers(board):
    first = ProvClient(HostHttp("127.0.0.1:%d" % board.port))
    first.establish_session(host_security.Security1(POP))
    second = ProvClient(HostHttp("127.0.0.1:%d" % board.port))
    second.establish_session(host_security.Security1(POP))
    # The first client's stale cookie opens yet another session (reference rule 3), so its
    # request fails and the second client's session is gone as well.
    with pytest.raises(RequestFailed):
        first.request("echo", b"lost")
    with pytest.raises(RequestFailed):
        second.request("echo", b"lost too")
    first.establish_session(host_security.Security1(POP))  # the stale cookie is replaced on the way
    assert first.request("echo", b"back") == b"echo:back"


def test_a_failed_request_that_opened_a_session_sends_no_cookie(board):
    session = RawSession(board.connect())
    session.establish()
    before = board.protocomm.session_id
    other = board.connect()
    other.post(b"/fail", b"x")
    assert other.response() is None
    assert board.protocomm.session_id not in (None, before)


def test_security0_requests_work_without_a_handshake_on_any_socket():
    b = Board(Security0())
    try:
        for _ in range(3):
            client = b.connect()
            assert client.request(b"/echo", b"plain")[2] == b"echo:plain"
            client.close()
    finally:
        b.close()
