"""The ``prov-config`` endpoint: SetConfig validation, ApplyConfig and GetStatus (PROTOCOL.md §10.1)."""

from micropython import const

from wifiprov import pbcodec, pbmessages

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_SUCCESS = const(0)  # Status.Success
_INVALID_ARGUMENT = const(4)  # Status.InvalidArgument
_TYPE_CMD_GET_STATUS = const(0)  # WiFiConfigMsgType.TypeCmdGetStatus
_TYPE_CMD_SET_CONFIG = const(2)  # WiFiConfigMsgType.TypeCmdSetConfig
_TYPE_CMD_APPLY_CONFIG = const(4)  # WiFiConfigMsgType.TypeCmdApplyConfig
_AUTH_ERROR = const(0)  # WifiConnectFailedReason.AuthError
_NETWORK_NOT_FOUND = const(1)  # WifiConnectFailedReason.NetworkNotFound

_SSID_MAX = const(32)
_PASSPHRASE_MAX = const(63)
_BSSID_LEN = const(6)


def _c_string(data):
    """The bytes before the first NUL, as the reference's C strings keep them."""
    end = data.find(b"\x00")
    return data if end < 0 else data[:end]


class ConfigEndpoint:
    """Handler of ``prov-config``; the state lives in the manager it talks to.

    The manager provides ``set_config(ssid, passphrase)``, ``reject_config(reason, what)``,
    ``apply_config() -> Status`` and ``wifi_status() -> RespGetStatus dict``.
    """

    def __init__(self, manager):
        self._manager = manager

    def handle(self, session_id, request):
        """Answer one ``WiFiConfigPayload`` request (plaintext protobuf in and out)."""
        message = pbcodec.decode(pbmessages.WiFiConfigPayload, request)
        kind = message.get("msg", 0)
        if kind == _TYPE_CMD_GET_STATUS:
            response = {"resp_get_status": self._manager.wifi_status()}
        elif kind == _TYPE_CMD_SET_CONFIG:
            response = {"resp_set_config": {"status": self._set_config(message.get("cmd_set_config") or {})}}
        elif kind == _TYPE_CMD_APPLY_CONFIG:
            response = {"resp_apply_config": {"status": self._manager.apply_config()}}
        else:
            raise ValueError("prov-config msg %d" % kind)
        response["msg"] = kind + 1
        return pbcodec.encode(pbmessages.WiFiConfigPayload, response)

    def _set_config(self, cmd):
        # The reference's checks, in its order; bssid and channel are not used further.
        ssid = cmd.get("ssid", b"")
        passphrase = cmd.get("passphrase", b"")
        if len(cmd.get("bssid", b"")) not in (0, _BSSID_LEN):
            self._manager.reject_config(_NETWORK_NOT_FOUND, "BSSID is not 6 bytes")
        elif len(ssid) > _SSID_MAX:
            self._manager.reject_config(_NETWORK_NOT_FOUND, "SSID longer than 32 bytes")
        elif len(passphrase) > _PASSPHRASE_MAX:
            self._manager.reject_config(_AUTH_ERROR, "passphrase longer than 63 bytes")
        else:
            self._manager.set_config(_c_string(ssid), _c_string(passphrase))
            return _SUCCESS
        return _INVALID_ARGUMENT
