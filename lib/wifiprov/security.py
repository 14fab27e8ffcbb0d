"""What every security scheme shares: its error type and the session events it reports."""

from micropython import const

from wifiprov import pbcodec, pbmessages

# Events, as protocomm_security_session_event_t in ESP-IDF.
EVENT_SETUP_OK = const(1)
EVENT_INVALID_PARAMS = const(2)
EVENT_CREDENTIALS_MISMATCH = const(3)


class SecurityError(ValueError):
    """A handshake or cipher failure; the client gets the protocol's failure."""


class SessionState:
    """Base of the schemes: one session id at a time, events to an optional listener."""

    def __init__(self):
        self.session_id = None
        self.on_event = None
        # ``admit() -> bool``: asked before the expensive work of a handshake start (SessionCmd0).
        self.admit = None

    def new_session(self, session_id):
        """Begin a fresh session for ``session_id``."""
        self.close_session(self.session_id)
        self.session_id = session_id

    def close_session(self, session_id):
        """Forget all per-session state if ``session_id`` is the current session."""
        if session_id == self.session_id:
            self.session_id = None
            self._reset()

    def _reset(self):
        pass

    def _check_session(self, session_id):
        if session_id != self.session_id:
            raise SecurityError("session id")

    def _admit_start(self):
        if self.admit is not None and not self.admit():
            raise SecurityError("handshake refused for now")

    def _emit(self, event):
        if self.on_event is not None:
            self.on_event(event)


def parse_session_data(request, sec_ver, payload_name):
    """Decode a ``SessionData`` request for scheme ``sec_ver``; return its ``payload_name`` member."""
    message = pbcodec.decode(pbmessages.SessionData, request)
    if message.get("sec_ver", 0) != sec_ver:
        raise SecurityError("sec_ver")
    payload = message.get(payload_name)
    if payload is None:
        raise SecurityError("missing " + payload_name)
    return payload


def session_response(sec_ver, payload_name, payload):
    """Encode a ``SessionData`` answer carrying ``payload`` as member ``payload_name``."""
    return pbcodec.encode(pbmessages.SessionData, {"sec_ver": sec_ver, payload_name: payload})
