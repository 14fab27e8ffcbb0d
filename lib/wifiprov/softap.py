"""SoftAP transport: ESP-IDF protocomm_httpd's HTTP/1.1 server on asyncio (PROTOCOL.md §8.1).

Every endpoint is ``POST /<name>`` with a 1..4096-byte body; a failed request gets no
HTTP response, only a closed socket. Sessions continue by exact cookie or by the
socket that opened them; anything else opens a new session (and sends its cookie).
Each connection is its own task with bounded header size and read/write timeouts;
beyond ``max_connections`` the least recently used connection is closed.
"""

import asyncio

from micropython import const

from wifiprov.log import printable
from wifiprov.rand import random_bytes

_MAX_BODY = const(4096)
_MAX_HEAD = const(1024)  # request line + headers (ESP-IDF: HTTPD_MAX_REQ_HDR_LEN)
_MAX_COOKIE = const(20)  # longer Cookie values count as absent (reference buffer size)
_READ_CHUNK = const(256)
_TIMEOUT_S = 5  # per request head, per body, per response (ESP-IDF recv/send wait)
_LINGER_S = 0.02  # before a refused connection closes: for input the client has already sent

_ERRORS = {  # ESP-IDF httpd_resp_send_err() status lines and texts
    400: (b"400 Bad Request", b"Server unable to understand request due to invalid syntax"),
    404: (b"404 Not Found", b"This URI does not exist"),
    405: (b"405 Method Not Allowed", b"Request method for this URI is not handled by server"),
    408: (b"408 Request Timeout", b"Server closed this connection"),
    431: (b"431 Request Header Fields Too Large", b"Header fields are too long for server to interpret"),
}


class _Reject(Exception):
    """Ends a connection, after sending the HTTP error ``status`` unless it is None."""

    def __init__(self, status, why):
        super().__init__(why)
        self.status = status


class _Connection:
    """One client socket: its streams, serving task and unparsed input."""

    def __init__(self, reader, writer, task):
        self.reader = reader
        self.writer = writer
        self.task = task
        self.pending = b""
        self.closing = False

    def close(self):
        """Make the serving task end (it closes the socket on its way out)."""
        self.closing = True
        self.task.cancel()


class HttpTransport:
    """Serves ``protocomm`` over HTTP on ``host``:``port`` between ``start()`` and ``stop()``;
    ``log(text)`` gets warnings."""

    def __init__(self, protocomm, host="0.0.0.0", port=80, max_connections=4, log=None):
        self.protocomm = protocomm
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self._log = log
        self._server = None
        self._connections = []  # least recently used first
        self._session_id = None
        self._session_conn = None  # the connection that opened the session, until a cookie is used

    async def start(self):
        """Listen for clients."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self):
        """Stop listening, close every client connection and let go of ``protocomm`` (a stopped
        transport is not started again)."""
        if self.protocomm is None:  # stopped already
            return
        server = self._server
        self._server = None
        if server is not None:
            server.close()
        while self._connections:
            conn = self._connections.pop()
            conn.close()
            await conn.task
        if server is not None:
            await server.wait_closed()  # after the connections: CPython waits for them
        # MicroPython's asyncio can keep a finished connection task referenced while its loop runs,
        # and with it this object: what it holds must not keep the provisioning service alive.
        self.protocomm = None
        self._session_conn = None
        self._log = None

    async def _serve(self, reader, writer):
        conn = _Connection(reader, writer, asyncio.current_task())
        self._connections.append(conn)
        if len(self._connections) > self.max_connections:
            self._connections.pop(0).close()
        try:
            while await self._exchange(conn):
                pass
        except _Reject as exc:
            if exc.args[0]:
                self._warn(exc.args[0])
            if exc.status is not None:
                await self._send_error(writer, exc.status)
            await _discard_input(reader)
        except asyncio.TimeoutError:
            self._warn("client too slow")
        except asyncio.CancelledError:  # evicted or stopped; end quietly
            pass
        except Exception as exc:  # reset by peer, EOF inside a request, ...
            self._warn("connection error: %s" % type(exc).__name__)
        finally:
            if conn in self._connections:
                self._connections.remove(conn)
            writer.close()
            try:
                await writer.wait_closed()
            except Exception:  # already reset by the peer
                pass

    async def _exchange(self, conn):
        """Serve one request; False when the client closed the connection between requests."""
        if not conn.pending:
            conn.pending = await conn.reader.read(_READ_CHUNK)  # idle keep-alive: no timeout
            if not conn.pending:
                return False
        self._touch(conn)
        try:
            head = await _timed(conn, self._read_head(conn))
        except asyncio.TimeoutError:
            raise _Reject(408, "request head timed out")
        method, name, headers = _parse_head(head)
        if not self.protocomm.has_endpoint(name):
            raise _Reject(404, "no endpoint " + printable(name))
        if method != b"POST":
            raise _Reject(405, "method not allowed")
        session_id, created = self._session(conn, headers.get(b"cookie"))
        length = _content_length(headers)
        if length < 1 or length > _MAX_BODY:
            raise _Reject(None, "body length %d" % length)
        body = await _timed(conn, self._read_body(conn, length))
        response = self.protocomm.handle(session_id, name, body)
        if response is None:
            raise _Reject(None, "")  # Protocomm has logged why
        cookie = b"Set-Cookie: session=%d\r\n" % session_id if created else b""
        conn.writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n%s\r\n" % (len(response), cookie)
        )
        conn.writer.write(response)
        await _timed(conn, conn.writer.drain())
        return True

    async def _read_head(self, conn):
        while True:
            data = conn.pending.lstrip(b"\r\n")  # stray line ends between requests
            end = _head_end(data)
            if end >= 0:
                conn.pending = data[end:]
                return data[:end]
            if len(data) > _MAX_HEAD:
                raise _Reject(431, "request head too large")
            chunk = await conn.reader.read(_READ_CHUNK)
            if not chunk:
                raise EOFError
            conn.pending = data + chunk

    async def _read_body(self, conn, length):
        body = conn.pending[:length]
        conn.pending = conn.pending[length:]
        if len(body) < length:
            body += await conn.reader.readexactly(length - len(body))
        return body

    def _session(self, conn, cookie):
        """Apply the cookie / same-socket rules; return (session id, newly created)."""
        current = self.protocomm.session_id
        if cookie is not None and len(cookie) > _MAX_COOKIE:
            cookie = None
        if cookie is not None:
            if current is not None and cookie == b"session=%d" % current:
                self._session_conn = None
                return current, False
        elif conn is self._session_conn and current is not None and current == self._session_id:
            return current, False
        session_id = current
        while session_id == current:
            session_id = int.from_bytes(random_bytes(4), "big")
        self.protocomm.open_session(session_id)
        self._session_id = session_id
        self._session_conn = conn
        return session_id, True

    def _touch(self, conn):
        if conn in self._connections:
            self._connections.remove(conn)
            self._connections.append(conn)

    async def _send_error(self, writer, status):
        line, text = _ERRORS[status]
        try:
            writer.write(
                b"HTTP/1.1 %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (line, len(text), text)
            )
            await asyncio.wait_for(writer.drain(), _TIMEOUT_S)
        except Exception:  # the client is gone or stuck; it is closed next anyway
            pass

    def _warn(self, text):
        if self._log is not None:
            self._log(text)


async def _discard_input(reader):
    """Read (at most 4 KB of) what the client has already sent. A socket closed with unread input
    is reset, and the reset makes the client drop answers it has not read yet (pipelined requests)."""
    try:
        for _ in range(_MAX_BODY // _READ_CHUNK):
            if not await asyncio.wait_for(reader.read(_READ_CHUNK), _LINGER_S):
                return
    except Exception:  # nothing more came, or the client is gone: close now
        pass


async def _timed(conn, coro):
    """Await ``coro`` for at most the request timeout.

    ``wait_for`` (CPython 3.11 and MicroPython alike) can swallow a cancellation that
    arrives as ``coro`` completes, so a connection closed meanwhile is caught here.
    """
    result = await asyncio.wait_for(coro, _TIMEOUT_S)
    if conn.closing:
        raise asyncio.CancelledError
    return result


def _head_end(data):
    """Index just past the blank line ending the head (CRLF or bare LF), or -1."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf + 2
    return crlf + 4 if crlf >= 0 else -1


def _parse_head(head):
    """Return (method, endpoint name, {lower-case header name: first value})."""
    lines = head.split(b"\n")
    parts = lines[0].strip().split(b" ")
    if len(parts) != 3 or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0") or not parts[1].startswith(b"/"):
        raise _Reject(400, "bad request line")
    # As ESP-IDF's strict parser: only visible ASCII in the target, so nothing a client
    # sends there can reach a handler or the console as control bytes.
    for byte in parts[1]:
        if not 0x20 < byte < 0x7F:
            raise _Reject(400, "bad request path")
    name = parts[1].split(b"?")[0][1:].decode()
    headers = {}
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            continue
        colon = line.find(b":")
        if colon <= 0 or line[:1] in (b" ", b"\t"):
            raise _Reject(400, "bad header line")
        key = line[:colon].strip().lower()
        value = line[colon + 1 :].strip()
        if key not in headers:
            headers[key] = value
        elif key == b"content-length" and value != headers[key]:
            raise _Reject(400, "conflicting Content-Length")
    # Bodies are framed by Content-Length only; a chunked one would be read as the next request.
    if b"transfer-encoding" in headers:
        raise _Reject(400, "Transfer-Encoding not supported")
    return parts[0], name, headers


def _content_length(headers):
    value = headers.get(b"content-length")
    if value is None:
        return 0
    if not value or not value.isdigit() or len(value) > 9:
        raise _Reject(400, "bad Content-Length")
    return int(value)
