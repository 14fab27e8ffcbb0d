"""Test bench for the SoftAP transport: a real Protocomm behind HttpTransport on loopback.

The server's asyncio loop runs in a background thread; tests talk to it with plain
blocking sockets (byte-exact control) or the host client.
"""

import asyncio
import socket
import threading

from devtest import response_head
from wifiprov import softap, version_info
from wifiprov.protocomm import Protocomm

TIMEOUT = 10.0


class HandlerFailure(Exception):
    """Raised by the ``fail`` endpoint."""


def _failing(session_id, data):
    raise HandlerFailure("asked to fail")


class Board:
    """Protocomm (proto-ver, prov-session, ``echo``, ``fail``) served on 127.0.0.1:<port>."""

    def __init__(self, security, max_connections=4, timeout_s=None):
        self.security = security
        self.protocomm = Protocomm(security)
        self.protocomm.set_version_endpoint("proto-ver", version_info.render(security.version, True))
        self.protocomm.set_security_endpoint("prov-session")
        self.protocomm.add_endpoint("echo", lambda session_id, data: b"echo:" + bytes(data))
        self.protocomm.add_endpoint("fail", _failing)
        self.warnings = []
        self.transport = softap.HttpTransport(
            self.protocomm, "127.0.0.1", 0, max_connections, log=self.warnings.append
        )
        self._saved_timeout = softap._TIMEOUT_S
        if timeout_s is not None:
            softap._TIMEOUT_S = timeout_s
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.transport.start())
        # Port 0 asks the OS for a free port; CPython's Server tells which one it got.
        self.port = self.transport._server.sockets[0].getsockname()[1]

    def call(self, coro):
        """Run ``coro`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    def connection_count(self):
        return self.call(_count(self.transport))

    def close(self):
        self.call(self.transport.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()
        softap._TIMEOUT_S = self._saved_timeout

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        return Client(sock)


async def _count(transport):
    return len(transport._connections)


class Client:
    """A raw HTTP/1.1 client on one socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def post(self, path, body, cookie=None, method=b"POST", extra=b""):
        """Send one request (esp_prov's headers); ``cookie`` is the whole Cookie value."""
        head = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n" % (method, path)
        head += b"Content-type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\n"
        if cookie is not None:
            head += b"Cookie: " + cookie + b"\r\n"
        head += b"Content-Length: %d\r\n" % len(body) + extra + b"\r\n"
        self.sock.sendall(head + body)

    def response(self):
        """Read one response: (status, {lower-case header: value}, body), or None if the server
        closed the connection without sending anything."""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                if self.buffer:
                    raise AssertionError("connection closed inside a response head: %r" % self.buffer)
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, headers = response_head(head)
        length = int(headers[b"content-length"])
        while len(self.buffer) < length:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("connection closed inside a response body")
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def request(self, path, body, cookie=None, method=b"POST"):
        self.post(path, body, cookie, method)
        return self.response()

    def is_closed(self, wait=TIMEOUT):
        """True if the server closes this connection within ``wait`` s without sending anything."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(TIMEOUT)
        if data:
            raise AssertionError("unexpected bytes from the server: %r" % data)
        return True

    def close(self):
        self.sock.close()
