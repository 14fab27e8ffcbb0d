"""The SoftAP transport over real loopback sockets in ``asyncio.run`` (CPython and MicroPython's unix port):
keep-alive, cookies across sockets, refused requests closing without an answer, pipelines, the
connection limit. The WebAssembly port has no sockets or ``asyncio.run``: skipped there."""

import unittest

try:
    import asyncio
    import socket  # noqa: F401 - only to know the port has sockets

    _run = asyncio.run
except (ImportError, AttributeError):
    _run = None

from devtest import response_head
from wifiprov import softap, version_info
from wifiprov.protocomm import Protocomm
from wifiprov.rand import random_bytes
from wifiprov.security0 import Security0

_WAIT_S = 5
_FIRST_PORT = 20000


def _request(name, body, cookie=None, method=b"POST"):
    head = b"%s /%s HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Length: %d\r\n" % (method, name, len(body))
    if cookie is not None:
        head += b"Cookie: " + cookie + b"\r\n"
    return head + b"\r\n" + body


class _Client:
    """One client socket: raw requests out, whole responses in."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.buffer = b""

    async def send(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def _more(self):
        chunk = await asyncio.wait_for(self.reader.read(1024), _WAIT_S)
        self.buffer += chunk
        return chunk

    async def response(self):
        """``(status, {lower-case header: value}, body)``, or None when the server closed the socket instead."""
        while b"\r\n\r\n" not in self.buffer:
            if not await self._more():
                if self.buffer:
                    raise AssertionError("closed inside a response head: %r" % self.buffer)
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, headers = response_head(head)
        length = int(headers[b"content-length"])
        while len(self.buffer) < length:
            if not await self._more():
                raise AssertionError("closed inside a response body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    async def closed(self):
        """True once the server has closed the socket (with nothing more sent)."""
        return await self.response() is None

    async def close(self):
        self.writer.close()
        await self.writer.wait_closed()


class _Board:
    """Protocomm (sec 0: proto-ver, prov-session, ``echo``) behind the SoftAP transport on 127.0.0.1."""

    def __init__(self, max_connections=4):
        self.protocomm = Protocomm(Security0())
        self.protocomm.set_version_endpoint("proto-ver", version_info.render(0, False))
        self.protocomm.set_security_endpoint("prov-session")
        self.protocomm.add_endpoint("echo", lambda session_id, data: b"echo:" + bytes(data))
        self.max_connections = max_connections
        self.transport = None
        self.port = None

    async def start(self):
        # No getsockname() on MicroPython: try ports until one is free.
        offset = int.from_bytes(random_bytes(2), "big") % 20000
        for attempt in range(20):
            self.port = _FIRST_PORT + (offset + attempt * 997) % 20000
            self.transport = softap.HttpTransport(self.protocomm, "127.0.0.1", self.port, self.max_connections)
            try:
                await self.transport.start()
                return
            except OSError:
                continue
        raise AssertionError("no free port")

    async def client(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return _Client(reader, writer)


def _serve(test):
    """Run ``test(board)`` with a started board in ``asyncio.run``; the board is stopped afterwards."""

    async def main():
        board = _Board()
        await board.start()
        try:
            await test(board)
        finally:
            await board.transport.stop()

    _run(main())


class SoftApOverSockets(unittest.TestCase):
    def setUp(self):
        if _run is None:
            self.skipTest("no sockets / asyncio.run on this port")

    def test_keep_alive_connection_keeps_its_session(self):
        async def test(board):
            client = await board.client()
            await client.send(_request(b"proto-ver", b"ESP"))
            status, headers, body = await client.response()
            self.assertEqual((status, body), (200, version_info.render(0, False)))
            self.assertTrue(headers[b"set-cookie"].startswith(b"session="))
            await client.send(_request(b"echo", b"hi"))
            status, headers, body = await client.response()
            self.assertEqual((status, body), (200, b"echo:hi"))
            self.assertNotIn(b"set-cookie", headers)  # the same socket continues the session
            await client.close()

        _serve(test)

    def test_cookie_continues_on_another_socket_and_no_cookie_opens_a_new_session(self):
        async def test(board):
            first = await board.client()
            await first.send(_request(b"echo", b"1"))
            cookie = (await first.response())[1][b"set-cookie"]
            second = await board.client()
            await second.send(_request(b"echo", b"2", cookie=cookie))
            self.assertNotIn(b"set-cookie", (await second.response())[1])
            third = await board.client()
            await third.send(_request(b"echo", b"3"))
            self.assertNotEqual((await third.response())[1][b"set-cookie"], cookie)
            for client in (first, second, third):
                await client.close()

        _serve(test)

    def test_refused_requests_close_without_an_answer_or_with_the_error_status(self):
        async def test(board):
            for request, status in ((_request(b"proto-ver", b""), None), (_request(b"nowhere", b"x"), 404),
                                    (_request(b"echo", b"x", method=b"GET"), 405)):
                client = await board.client()
                await client.send(request)
                if status is not None:
                    self.assertEqual((await client.response())[0], status)
                self.assertTrue(await client.closed())

        _serve(test)

    def test_pipelined_requests_are_answered_up_to_the_refused_one(self):
        # The refused request leaves the next one unread; closing with unread input resets the socket,
        # which made a client in another process lose answers already sent (the virtual board's
        # host_tests/hardening/test_hostile_http.py::test_pipelined_requests shows that case).
        async def test(board):
            client = await board.client()
            await client.send(_request(b"echo", b"a") + _request(b"echo", b"b") + _request(b"proto-ver", b"")
                              + _request(b"echo", b"c"))
            self.assertEqual((await client.response())[2], b"echo:a")
            self.assertEqual((await client.response())[2], b"echo:b")
            self.assertTrue(await client.closed())

        _serve(test)

    def test_beyond_the_limit_the_least_recently_used_connection_is_closed(self):
        async def test(board):
            clients = []
            for n in range(board.max_connections + 1):
                client = await board.client()
                await client.send(_request(b"echo", b"%d" % n))
                self.assertEqual((await client.response())[2], b"echo:%d" % n)
                clients.append(client)
            self.assertTrue(await clients[0].closed())
            await clients[1].send(_request(b"echo", b"still"))
            self.assertEqual((await clients[1].response())[2], b"echo:still")
            for client in clients[1:]:
                await client.close()

        _serve(test)


if __name__ == "__main__":
    unittest.main()
