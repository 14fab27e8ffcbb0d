"""Security 1: X25519 key exchange, proof of possession and one AES-256-CTR stream (PROTOCOL.md §6)."""

from micropython import const
import hashlib

from wifiprov import consttime, x25519
from wifiprov.aes_ctr import AesCtr
from wifiprov.rand import random_bytes
from wifiprov.security import (
    EVENT_CREDENTIALS_MISMATCH,
    EVENT_INVALID_PARAMS,
    EVENT_SETUP_OK,
    SecurityError,
    SessionState,
    parse_session_data,
    session_response,
)

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_SESSION_COMMAND0 = const(0)  # Sec1MsgType.Session_Command0
_SESSION_RESPONSE0 = const(1)  # Sec1MsgType.Session_Response0
_SESSION_COMMAND1 = const(2)  # Sec1MsgType.Session_Command1
_SESSION_RESPONSE1 = const(3)  # Sec1MsgType.Session_Response1
_SEC_SCHEME1 = const(1)  # SecSchemeVersion.SecScheme1

_WAIT_CMD0 = const(0)
_WAIT_CMD1 = const(1)
_DONE = const(2)
_KEY_LEN = const(32)
_RANDOM_LEN = const(16)


class Security1(SessionState):
    """Device side of security 1; ``pop`` is the proof of possession (bytes) or None."""

    version = 1

    def __init__(self, pop=None):
        super().__init__()
        self.has_pop = bool(pop)
        self._pop_hash = hashlib.sha256(pop).digest() if pop else None
        self._key_pair = None
        self._reset()

    def prepare(self):
        """Make the next device key pair ahead of time (off the handshake's critical path)."""
        if self._key_pair is None:
            private = random_bytes(_KEY_LEN)
            self._key_pair = (private, x25519.public_key(private))

    def needs_prepare(self):
        """True when no key pair is waiting and no handshake is half-way (a good moment to ``prepare``)."""
        return self._key_pair is None and self._state != _WAIT_CMD1

    def new_session(self, session_id):
        """Begin a session; a key pair is made now if none is waiting."""
        super().new_session(session_id)
        self.prepare()

    def _reset(self):
        self._state = _WAIT_CMD0
        self._client_pubkey = None
        self._device_pubkey = None
        self._session_key = None
        self._device_random = None
        self._stream = None

    def handshake(self, session_id, request):
        """Process SessionCmd0 or SessionCmd1 and return the encoded response."""
        self._check_session(session_id)
        sec1 = parse_session_data(request, _SEC_SCHEME1, "sec1")
        msg = sec1.get("msg", 0)
        if msg == _SESSION_COMMAND0:
            return self._command0(sec1.get("sc0") or {})
        if msg == _SESSION_COMMAND1:
            return self._command1(sec1.get("sc1") or {})
        raise SecurityError("sec1 msg")

    def _command0(self, cmd):
        self._reset()
        client_pubkey = cmd.get("client_pubkey", b"")
        if len(client_pubkey) != _KEY_LEN:
            self._emit(EVENT_INVALID_PARAMS)
            raise SecurityError("client_pubkey length")
        self._admit_start()
        self.prepare()
        private, public = self._key_pair
        self._key_pair = None
        try:
            shared = x25519.x25519(private, client_pubkey)
        except ValueError:
            self._emit(EVENT_INVALID_PARAMS)
            raise SecurityError("client_pubkey")
        if self._pop_hash is not None:
            shared = bytes(a ^ b for a, b in zip(shared, self._pop_hash))
        self._client_pubkey = client_pubkey
        self._device_pubkey = public
        self._session_key = shared
        self._device_random = random_bytes(_RANDOM_LEN)
        self._state = _WAIT_CMD1
        return session_response(
            _SEC_SCHEME1,
            "sec1",
            {
                "msg": _SESSION_RESPONSE0,
                "sr0": {"device_pubkey": public, "device_random": self._device_random},
            },
        )

    def _command1(self, cmd):
        if self._state != _WAIT_CMD1:
            raise SecurityError("Cmd1 out of order")
        client_verify = cmd.get("client_verify_data", b"")
        if len(client_verify) != _KEY_LEN:
            self._emit(EVENT_INVALID_PARAMS)
            raise SecurityError("client_verify_data length")
        stream = AesCtr(self._session_key, self._device_random)
        if not consttime.equal(stream.crypt(client_verify), self._device_pubkey):
            self._emit(EVENT_CREDENTIALS_MISMATCH)
            raise SecurityError("proof of possession mismatch")
        device_verify = stream.crypt(self._client_pubkey)
        self._stream = stream
        self._state = _DONE
        self._emit(EVENT_SETUP_OK)
        return session_response(
            _SEC_SCHEME1,
            "sec1",
            {"msg": _SESSION_RESPONSE1, "sr1": {"device_verify_data": device_verify}},
        )

    def _established(self, session_id):
        self._check_session(session_id)
        if self._state != _DONE:
            raise SecurityError("no secure session")
        return self._stream

    def encrypt(self, session_id, data):
        """Encrypt an application message with the session's running keystream."""
        return self._established(session_id).crypt(data)

    def decrypt(self, session_id, data):
        """Decrypt an application message with the session's running keystream."""
        return self._established(session_id).crypt(data)
