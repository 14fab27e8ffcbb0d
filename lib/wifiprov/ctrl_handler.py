"""The ``prov-ctrl`` endpoint: Reset after a failure and Reprov (PROTOCOL.md §11)."""

from micropython import const

from wifiprov import pbcodec, pbmessages

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_SUCCESS = const(0)  # Status.Success
_INTERNAL_ERROR = const(5)  # Status.InternalError
_TYPE_CMD_CTRL_RESET = const(1)  # WiFiCtrlMsgType.TypeCmdCtrlReset
_TYPE_CMD_CTRL_REPROV = const(3)  # WiFiCtrlMsgType.TypeCmdCtrlReprov


class CtrlEndpoint:
    """Handler of ``prov-ctrl``; the manager decides with ``ctrl_reset()`` / ``ctrl_reprov()`` -> bool."""

    def __init__(self, manager):
        self._manager = manager

    def handle(self, session_id, request):
        """Answer one ``WiFiCtrlPayload`` request (plaintext protobuf in and out)."""
        message = pbcodec.decode(pbmessages.WiFiCtrlPayload, request)
        kind = message.get("msg", 0)
        if kind == _TYPE_CMD_CTRL_RESET:
            ok = self._manager.ctrl_reset()
            response = {"resp_ctrl_reset": {}}
        elif kind == _TYPE_CMD_CTRL_REPROV:
            ok = self._manager.ctrl_reprov()
            response = {"resp_ctrl_reprov": {}}
        else:
            raise ValueError("prov-ctrl msg %d" % kind)
        response["msg"] = kind + 1
        response["status"] = _SUCCESS if ok else _INTERNAL_ERROR
        return pbcodec.encode(pbmessages.WiFiCtrlPayload, response)
