"""Security 0: no encryption; the handshake only checks the scheme (PROTOCOL.md §5)."""

from micropython import const

from wifiprov import pbcodec, pbmessages
from wifiprov.security import SessionState, SecurityError, session_response

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_S0_SESSION_RESPONSE = const(1)  # Sec0MsgType.S0_Session_Response
_SEC_SCHEME0 = const(0)  # SecSchemeVersion.SecScheme0


class Security0(SessionState):
    """Plaintext scheme: request endpoints work with or without a handshake."""

    version = 0

    def handshake(self, session_id, request):
        """Answer ``S0SessionCmd`` with ``S0SessionResp{Success}``."""
        message = pbcodec.decode(pbmessages.SessionData, request)
        if message.get("sec_ver", 0) != _SEC_SCHEME0:
            raise SecurityError("sec_ver")
        return session_response(
            _SEC_SCHEME0, "sec0", {"msg": _S0_SESSION_RESPONSE, "sr": {}}
        )

    def encrypt(self, session_id, data):
        """Identity."""
        return data

    def decrypt(self, session_id, data):
        """Identity."""
        return data
