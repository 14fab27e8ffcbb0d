"""Security 0: no encryption; the handshake only checks the scheme (PROTOCOL.md §5)."""

from wifiprov import pbmessages
from wifiprov.security import SessionState, SecurityError, session_response
from wifiprov import pbcodec


class Security0(SessionState):
    """Plaintext scheme: request endpoints work with or without a handshake."""

    version = 0

    def handshake(self, session_id, request):
        """Answer ``S0SessionCmd`` with ``S0SessionResp{Success}``."""
        message = pbcodec.decode(pbmessages.SessionData, request)
        if message.get("sec_ver", 0) != pbmessages.SecScheme0:
            raise SecurityError("sec_ver")
        return session_response(
            pbmessages.SecScheme0, "sec0", {"msg": pbmessages.S0_Session_Response, "sr": {}}
        )

    def encrypt(self, session_id, data):
        """Identity."""
        return data

    def decrypt(self, session_id, data):
        """Identity."""
        return data
