"""The ``prov-scan`` endpoint: scan start, status and result pages (PROTOCOL.md §9, §13a).

``WLAN.scan()`` blocks, so a blocking ScanStart scans before it answers and a non-blocking
one is run by the next ``tick()``. ``passive``, ``period_ms`` and ``group_channels`` have
no MicroPython equivalent and are accepted and ignored.
"""

from micropython import const

from wifiprov import pbcodec, pbmessages

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_SUCCESS = const(0)  # Status.Success
_INTERNAL_ERROR = const(5)  # Status.InternalError
_TYPE_CMD_SCAN_START = const(0)  # WiFiScanMsgType.TypeCmdScanStart
_TYPE_CMD_SCAN_STATUS = const(2)  # WiFiScanMsgType.TypeCmdScanStatus
_TYPE_CMD_SCAN_RESULT = const(4)  # WiFiScanMsgType.TypeCmdScanResult


def find_ap(entries, ssid, channel=None):
    """The strongest scan entry for ``ssid``, preferring one on ``channel``; ``None`` if none matches."""
    best = None
    for entry in entries:
        if entry[0] != ssid:
            continue
        if best is None or (entry[2] == channel, entry[3]) > (best[2] == channel, best[3]):
            best = entry
    return best


class ScanEndpoint:
    """Handler of ``prov-scan`` over a ``WifiAdapter``; keeps the strongest ``max_entries`` results."""

    def __init__(self, wifi, max_entries, log=None):
        self._wifi = wifi
        self._max = max_entries
        self._log = log
        self._pending = False
        # (ssid, bssid, channel, rssi, auth) tuples, strongest first.
        self.results = []

    def handle(self, session_id, request):
        """Answer one ``WiFiScanPayload`` request (plaintext protobuf in and out)."""
        message = pbcodec.decode(pbmessages.WiFiScanPayload, request)
        kind = message.get("msg", 0)
        if kind == _TYPE_CMD_SCAN_START:
            cmd = message.get("cmd_scan_start") or {}
            status = self._start(cmd.get("blocking", False))
            response = {"status": status, "resp_scan_start": {}}
        elif kind == _TYPE_CMD_SCAN_STATUS:
            response = {"resp_scan_status": {"scan_finished": not self._pending, "result_count": len(self.results)}}
        elif kind == _TYPE_CMD_SCAN_RESULT:
            cmd = message.get("cmd_scan_result") or {}
            status, entries = self._page(cmd.get("start_index", 0), cmd.get("count", 0))
            response = {"status": status, "resp_scan_result": {"entries": entries}}
        else:
            raise ValueError("prov-scan msg %d" % kind)
        response["msg"] = kind + 1
        return pbcodec.encode(pbmessages.WiFiScanPayload, response)

    def tick(self):
        """Run a scan that a non-blocking ScanStart asked for."""
        if self._pending:
            self._scan()

    def scan_now(self):
        """A blocking scan outside ``prov-scan`` (another front door's); True if the driver scanned."""
        return self._start(True) == _SUCCESS

    def find(self, ssid, channel=None):
        """The stored result for ``ssid`` that ``find_ap`` picks, or ``None``."""
        return find_ap(self.results, ssid, channel)

    def _start(self, blocking):
        self.results = []
        if not blocking:
            self._pending = True
            return _SUCCESS
        return _SUCCESS if self._scan() else _INTERNAL_ERROR

    def _scan(self):
        self._pending = False
        try:
            found = self._wifi.scan()
        except OSError as exc:
            if self._log is not None:
                self._log("scan failed: %r" % (exc,))
            self.results = []
            return False
        # Strongest first; equal RSSI keeps the radio's order (MicroPython's sort is not stable).
        order = sorted(range(len(found)), key=lambda i: (-found[i][3], i))
        self.results = [found[i] for i in order[: self._max]]
        return True

    def _page(self, start, count):
        entries = []
        status = _SUCCESS
        for index in range(start, start + count):
            if index >= len(self.results):
                # The reference fails here too but then serialises unfilled slots; answer
                # the entries that exist (PROTOCOL.md §9 recommendation).
                status = _INTERNAL_ERROR
                break
            ssid, bssid, channel, rssi, auth = self.results[index]
            entries.append({"ssid": ssid, "channel": channel, "rssi": rssi, "bssid": bssid, "auth": auth})
        return status, entries
