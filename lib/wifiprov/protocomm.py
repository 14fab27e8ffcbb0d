"""Sans-I/O request pipeline of the provisioning service (PROTOCOL.md §1).

Transports call ``handle(session_id, endpoint, request) -> bytes | None``; ``None`` is
the protocol's failure (no payload) that each transport turns into its own wire form
(HTTP: close without a response; BLE: deny the next read).
"""

from micropython import const

from wifiprov.log import printable

_KIND_VERSION = const(0)
_KIND_SECURITY = const(1)
_KIND_REQUEST = const(2)


class Protocomm:
    """Endpoint table plus the single active security session."""

    def __init__(self, security, log=None):
        self.security = security
        self.session_id = None
        self.requests = 0  # requests handled so far: lets the manager see when clients are idle
        self._endpoints = {}
        self._log = log
        # ``gate() -> bool``: while it says False every handshake request fails (attempt limiting).
        self.gate = None

    def set_version_endpoint(self, name, payload):
        """Serve ``payload`` (bytes) for every request to ``name``, unencrypted."""
        self._endpoints[name] = (_KIND_VERSION, payload)

    def set_security_endpoint(self, name):
        """Route ``name`` to the security scheme's handshake."""
        self._endpoints[name] = (_KIND_SECURITY, None)

    def add_endpoint(self, name, handler):
        """Route ``name`` to ``handler(session_id, plaintext) -> bytes`` (raise to fail)."""
        self._endpoints[name] = (_KIND_REQUEST, handler)

    def remove_endpoint(self, name):
        """Forget ``name``; later requests to it fail."""
        self._endpoints.pop(name, None)

    def has_endpoint(self, name):
        """True if ``name`` is served."""
        return name in self._endpoints

    def open_session(self, session_id):
        """Start a new transport session, discarding the previous one (one at a time)."""
        if self.session_id is not None:
            self.security.close_session(self.session_id)
        self.session_id = session_id
        self.security.new_session(session_id)

    def close_session(self, session_id):
        """End ``session_id`` if it is the active one (e.g. BLE disconnect)."""
        if session_id == self.session_id:
            self.security.close_session(session_id)
            self.session_id = None

    def handle(self, session_id, endpoint, request):
        """Process one request; returns the response bytes or ``None`` on any failure."""
        self.requests += 1
        entry = self._endpoints.get(endpoint)
        if entry is None:
            self._warn("unknown endpoint", endpoint)
            return None
        kind, target = entry
        try:
            if kind == _KIND_VERSION:
                return target
            if kind == _KIND_SECURITY:
                if self.gate is not None and not self.gate():
                    self._warn("refused for now", endpoint)
                    return None
                return self.security.handshake(session_id, request)
            plain = self.security.decrypt(session_id, request)
            response = target(session_id, plain)
            if response is None:
                return None
            return self.security.encrypt(session_id, response)
        except MemoryError:
            self._warn(_out_of_memory(), endpoint)
            return None
        except Exception as exc:  # every failure is the protocol's "no payload"
            self._warn(type(exc).__name__, endpoint)
            return None

    def _warn(self, what, endpoint):
        if self._log is not None:
            self._log("request to %s failed: %s" % (printable(endpoint), what))


def _out_of_memory():
    """What to log when a request ran out of heap: how much is free once its garbage is gone."""
    import gc

    gc.collect()
    free = getattr(gc, "mem_free", None)  # MicroPython only
    return "out of memory (%s bytes free after collecting)" % (free() if free else "?")
