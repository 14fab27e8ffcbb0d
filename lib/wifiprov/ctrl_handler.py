"""The ``prov-ctrl`` endpoint: Reset after a failure and Reprov (PROTOCOL.md §11)."""

from wifiprov import pbcodec, pbmessages


class CtrlEndpoint:
    """Handler of ``prov-ctrl``; the manager decides with ``ctrl_reset()`` / ``ctrl_reprov()`` -> bool."""

    def __init__(self, manager):
        self._manager = manager

    def handle(self, session_id, request):
        """Answer one ``WiFiCtrlPayload`` request (plaintext protobuf in and out)."""
        message = pbcodec.decode(pbmessages.WiFiCtrlPayload, request)
        kind = message.get("msg", 0)
        if kind == pbmessages.TypeCmdCtrlReset:
            ok = self._manager.ctrl_reset()
            response = {"resp_ctrl_reset": {}}
        elif kind == pbmessages.TypeCmdCtrlReprov:
            ok = self._manager.ctrl_reprov()
            response = {"resp_ctrl_reprov": {}}
        else:
            raise ValueError("prov-ctrl msg %d" % kind)
        response["msg"] = kind + 1
        response["status"] = pbmessages.Success if ok else pbmessages.InternalError
        return pbcodec.encode(pbmessages.WiFiCtrlPayload, response)
