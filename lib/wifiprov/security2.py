"""Security 2: SRP6a-3072 / SHA-512 handshake and AES-256-GCM messages (PROTOCOL.md §7).

``sec_patch_ver`` 1 (default) uses a 12-byte nonce of 8 random bytes and a 32-bit
counter shared by both directions, starting at 1; patch 0 reuses one 16-byte IV.
"""

from micropython import const

from wifiprov import srp6a
from wifiprov.aes_gcm import AesGcm
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
_S2_SESSION_COMMAND0 = const(0)  # Sec2MsgType.S2Session_Command0
_S2_SESSION_RESPONSE0 = const(1)  # Sec2MsgType.S2Session_Response0
_S2_SESSION_COMMAND1 = const(2)  # Sec2MsgType.S2Session_Command1
_S2_SESSION_RESPONSE1 = const(3)  # Sec2MsgType.S2Session_Response1
_SEC_SCHEME2 = const(2)  # SecSchemeVersion.SecScheme2

_WAIT_CMD0 = const(0)
_WAIT_CMD1 = const(1)
_DONE = const(2)
_A_LEN = const(384)
_NONCE_PREFIX_LEN = const(8)
_PATCH0_IV_LEN = const(16)
_COUNTER_LIMIT = 0x100000000


class Security2(SessionState):
    """Device side of security 2 for one stored (salt, verifier) pair.

    ``strict_a_length`` reproduces the reference's rejection of a client public key
    shorter than 384 bytes; the default accepts the minimal form that esp_prov and
    Android send about once in 256 sessions (PROTOCOL.md §7.8). ``table_width`` sizes the
    verifier's precomputed tables (``srp6a.Verifier``).
    """

    version = 2

    def __init__(self, salt, verifier, patch_version=1, strict_a_length=False, table_width=srp6a.TABLE_WIDTH):
        super().__init__()
        self.patch_version = patch_version
        self._verifier = srp6a.Verifier(salt, verifier, table_width)
        self._strict = strict_a_length
        self._next_server = None
        self._reset()

    def prepare(self):
        """Draw ``b`` and compute ``B`` ahead of time (before the client connects)."""
        if self._next_server is None:
            server = srp6a.Server(self._verifier)
            server.prepare()
            self._next_server = server

    def needs_prepare(self):
        """True when no ``b``/``B`` are waiting and no handshake is half-way (a good moment to ``prepare``)."""
        return self._next_server is None and self._state != _WAIT_CMD1

    def new_session(self, session_id):
        """Begin a session; ``b``/``B`` are made now if none are waiting."""
        super().new_session(session_id)
        self.prepare()

    def _reset(self):
        self._state = _WAIT_CMD0
        self._server = None
        self._cipher = None
        self._nonce = None
        self._counter = 0

    def handshake(self, session_id, request):
        """Process S2SessionCmd0 or S2SessionCmd1 and return the encoded response."""
        self._check_session(session_id)
        sec2 = parse_session_data(request, _SEC_SCHEME2, "sec2")
        msg = sec2.get("msg", 0)
        if msg == _S2_SESSION_COMMAND0:
            return self._command0(sec2.get("sc0") or {})
        if msg == _S2_SESSION_COMMAND1:
            return self._command1(sec2.get("sc1") or {})
        raise SecurityError("sec2 msg")

    def _command0(self, cmd):
        self._reset()
        client_pubkey = cmd.get("client_pubkey", b"")
        if self._strict and len(client_pubkey) != _A_LEN:
            self._emit(EVENT_INVALID_PARAMS)
            raise SecurityError("client_pubkey length")
        self._admit_start()
        self.prepare()
        server = self._next_server
        try:
            server.process_cmd0(cmd.get("client_username", b""), client_pubkey)
        except srp6a.SrpError:
            # b and B never left the device, so the prepared server stays usable.
            self._emit(EVENT_INVALID_PARAMS)
            raise SecurityError("invalid security parameters")
        except Exception:  # e.g. MemoryError half-way: b may be spent; the next Cmd0 draws a new one
            self._next_server = None
            raise
        self._next_server = None
        self._server = server
        self._state = _WAIT_CMD1
        return session_response(
            _SEC_SCHEME2,
            "sec2",
            {
                "msg": _S2_SESSION_RESPONSE0,
                "sr0": {"device_pubkey": server.B_bytes, "device_salt": self._verifier.salt},
            },
        )

    def _command1(self, cmd):
        if self._state != _WAIT_CMD1:
            raise SecurityError("Cmd1 out of order")
        try:
            device_proof = self._server.verify_proof(cmd.get("client_proof", b""))
        except srp6a.SrpError:
            self._emit(EVENT_CREDENTIALS_MISMATCH)
            raise SecurityError("client proof mismatch")
        if self.patch_version >= 1:
            self._nonce = random_bytes(_NONCE_PREFIX_LEN)
            self._counter = 1
            device_nonce = self._nonce + self._counter.to_bytes(4, "big")
        else:
            self._nonce = device_nonce = random_bytes(_PATCH0_IV_LEN)
        self._cipher = AesGcm(self._server.session_key())
        self._server = None
        self._state = _DONE
        self._emit(EVENT_SETUP_OK)
        return session_response(
            _SEC_SCHEME2,
            "sec2",
            {
                "msg": _S2_SESSION_RESPONSE1,
                "sr1": {"device_proof": device_proof, "device_nonce": device_nonce},
            },
        )

    def _message_nonce(self, session_id):
        self._check_session(session_id)
        if self._state != _DONE:
            raise SecurityError("no secure session")
        if self.patch_version < 1:
            return self._nonce
        if self._counter >= _COUNTER_LIMIT:
            raise SecurityError("nonce counter exhausted")
        return self._nonce + self._counter.to_bytes(4, "big")

    def encrypt(self, session_id, data):
        """Encrypt and tag a response; advances the shared counter."""
        sealed = self._cipher.encrypt(self._message_nonce(session_id), data)
        self._counter += 1
        return sealed

    def decrypt(self, session_id, data):
        """Check and decrypt a request; a bad tag fails without advancing the counter."""
        nonce = self._message_nonce(session_id)
        try:
            plain = self._cipher.decrypt(nonce, data)
        except ValueError:
            raise SecurityError("GCM tag mismatch")
        self._counter += 1
        return plain
