"""Provisioning operations over one transport: version probe, session, scan, config, status, control, custom data.

Requests are built exactly as esp_prov builds them (PROTOCOL.md §2, §4, §9–§12), so a
run replays byte for byte against recorded transcripts.
"""

import json
import time

from google.protobuf.message import DecodeError

import wifiprov_host.pb  # noqa: F401  (puts the generated modules on sys.path)
import constants_pb2
import wifi_config_pb2
import wifi_constants_pb2
import wifi_ctrl_pb2
import wifi_scan_pb2

from wifiprov_host.console import printable
from wifiprov_host.errors import ProtocolError, StatusError, WifiFailed, WifiTimeout

STATE_NAMES = {
    wifi_constants_pb2.Connected: "connected",
    wifi_constants_pb2.Connecting: "connecting",
    wifi_constants_pb2.Disconnected: "disconnected",
    wifi_constants_pb2.ConnectionFailed: "failed",
}


def status_name(value):
    """Name of a ``constants.Status`` value (``"Status(9)"`` for unknown ones)."""
    try:
        return constants_pb2.Status.Name(value)
    except ValueError:
        return "Status(%d)" % value


def auth_name(value):
    """Name of a ``WifiAuthMode`` value; unknown driver values (8..16) do not crash."""
    try:
        return wifi_constants_pb2.WifiAuthMode.Name(value)
    except ValueError:
        return "AuthMode(%d)" % value


class DeviceInfo:
    """The parsed ``proto-ver`` answer (PROTOCOL.md §3); ``json`` is ``None`` for a plain version string."""

    def __init__(self, raw):
        self.raw = bytes(raw)
        self.text = self.raw.decode("utf-8", "replace")
        try:
            document = json.loads(self.text)
        except ValueError:
            document = None
        self.json = document if isinstance(document, dict) else None
        prov = self.json.get("prov") if self.json is not None else None
        prov = prov if isinstance(prov, dict) else {}
        self.prov_version = prov.get("ver")
        sec_ver = prov.get("sec_ver")
        self.sec_ver = sec_ver if sec_ver in (0, 1, 2) and not isinstance(sec_ver, bool) else None
        patch = prov.get("sec_patch_ver", 0)
        self.sec_patch_ver = patch if isinstance(patch, int) and not isinstance(patch, bool) else 0
        caps = prov.get("cap")
        self.capabilities = [c for c in caps if isinstance(c, str)] if isinstance(caps, list) else []

    def has(self, capability):
        """True if ``prov.cap`` lists ``capability``."""
        return capability in self.capabilities

    def security_scheme(self):
        """Security to use: ``prov.sec_ver``, else esp_prov's rule (``no_sec`` → 0, else 1); ``None`` if not JSON."""
        if self.json is None:
            return None
        if self.sec_ver is not None:
            return self.sec_ver
        return 0 if self.has("no_sec") else 1

    def version_matches(self, wanted):
        """esp_prov's check: the whole answer, else ``prov.ver``, equals ``wanted`` ignoring case."""
        wanted = wanted.lower()
        if self.text.lower() == wanted:
            return True
        return isinstance(self.prov_version, str) and self.prov_version.lower() == wanted

    def as_dict(self):
        return {
            "prov_ver": self.prov_version,
            "sec_ver": self.sec_ver,
            "sec_patch_ver": self.sec_patch_ver,
            "capabilities": list(self.capabilities),
            "json": self.json,
            "text": None if self.json is not None else self.text,
        }


class AccessPoint:
    """One scan result; ``ssid`` and ``bssid`` are raw bytes."""

    def __init__(self, ssid, bssid, channel, rssi, auth):
        self.ssid = bytes(ssid)
        self.bssid = bytes(bssid)
        self.channel = channel
        self.rssi = rssi
        self.auth = auth

    @property
    def ssid_text(self):
        """The SSID for a terminal: any access point nearby can name itself with control bytes."""
        return printable(self.ssid)

    @property
    def bssid_text(self):
        return ":".join("%02x" % b for b in self.bssid)

    def as_dict(self):
        return {
            "ssid": self.ssid.decode("utf-8", "replace"),
            "ssid_hex": self.ssid.hex(),
            "bssid": self.bssid_text,
            "channel": self.channel,
            "rssi": self.rssi,
            "auth": auth_name(self.auth),
        }


class WifiStatus:
    """A GetStatus answer: ``state`` is "connected", "connecting", "disconnected" or "failed"."""

    def __init__(self, state, fail_reason=None, attempts_remaining=None, connected=None):
        self.state = state
        self.fail_reason = fail_reason
        self.attempts_remaining = attempts_remaining
        self.connected = connected

    def as_dict(self):
        return {
            "state": self.state,
            "fail_reason": self.fail_reason,
            "attempts_remaining": self.attempts_remaining,
            "connected": self.connected,
        }


def _parse(message_class, data, expected_msg, what):
    message = message_class()
    try:
        message.ParseFromString(bytes(data))
    except DecodeError as exc:
        raise ProtocolError("%s answer does not parse: %s" % (what, exc)) from exc
    if message.msg != expected_msg:
        raise ProtocolError("%s answer has msg %d, expected %d" % (what, message.msg, expected_msg))
    return message


class ProvClient:
    """esp_prov-compatible operations on ``transport`` (a :class:`~wifiprov_host.transport.Transport`).

    ``trace(endpoint, request, response, plain_request, plain_response)`` is called for
    every exchange if given (``plain_*`` are ``None`` where nothing is encrypted).
    """

    def __init__(self, transport, trace=None):
        self.transport = transport
        self.trace = trace
        self.security = None

    def _exchange(self, endpoint, data):
        response = self.transport.send(endpoint, data)
        if self.trace is not None:
            self.trace(endpoint, data, response, None, None)
        return response

    def request(self, endpoint, plaintext):
        """Encrypt ``plaintext`` for ``endpoint``, send it, and return the decrypted answer."""
        if self.security is None:
            raise ProtocolError("no session: call establish_session first")
        wire = self.security.encrypt(plaintext)
        response = self.transport.send(endpoint, wire)
        plain = self.security.decrypt(response)
        if self.trace is not None:
            self.trace(endpoint, wire, response, bytes(plaintext), plain)
        return plain

    # proto-ver and session

    def probe(self, payload="none"):
        """Send ``payload`` to ``proto-ver`` (esp_prov sends the capability it asks about) and parse the answer."""
        return DeviceInfo(self._exchange("proto-ver", payload.encode("latin-1")))

    def establish_session(self, security):
        """Run ``security``'s handshake over ``prov-session``; later requests use it."""
        security.establish(lambda request: self._exchange("prov-session", request))
        self.security = security

    # prov-scan

    def scan_start(self, blocking=True, passive=False, group_channels=0, period_ms=120):
        """Start a scan (esp_prov: blocking, active, 120 ms per channel)."""
        request = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanStart)
        start = request.cmd_scan_start
        start.blocking = blocking
        start.passive = passive
        start.group_channels = group_channels
        start.period_ms = period_ms
        self._scan(request, wifi_scan_pb2.TypeRespScanStart, "ScanStart")

    def scan_status(self):
        """Return ``(scan_finished, result_count)``."""
        request = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanStatus)
        answer = self._scan(request, wifi_scan_pb2.TypeRespScanStatus, "ScanStatus").resp_scan_status
        return answer.scan_finished, answer.result_count

    def scan_results(self, start_index, count):
        """Return the results ``start_index .. start_index+count-1`` as :class:`AccessPoint` objects."""
        request = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanResult)
        request.cmd_scan_result.start_index = start_index
        request.cmd_scan_result.count = count
        answer = self._scan(request, wifi_scan_pb2.TypeRespScanResult, "ScanResult").resp_scan_result
        return [AccessPoint(e.ssid, e.bssid, e.channel, e.rssi, e.auth) for e in answer.entries]

    def scan(self, group_channels=None, page_size=None, passive=False, period_ms=120,
             wait_s=30.0, sleep=time.sleep):
        """Blocking scan, then read every result in pages, never past ``result_count``.

        Paging and channel grouping default to the transport's (BLE: 4 per page; HTTP:
        100 per page, 5 channels per group), as esp_prov does.
        """
        if group_channels is None:
            group_channels = self.transport.scan_group_channels
        if page_size is None:
            page_size = self.transport.scan_page_size
        self.scan_start(True, passive, group_channels, period_ms)
        finished, count = self.scan_status()
        waited = 0.0
        while not finished:
            if waited >= wait_s:
                raise ProtocolError("scan still running after %g s" % wait_s)
            sleep(0.5)
            waited += 0.5
            finished, count = self.scan_status()
        results = []
        index = 0
        while index < count:
            size = min(count - index, page_size)
            results.extend(self.scan_results(index, size))
            index += size
        return results

    def _scan(self, request, expected_msg, what):
        answer = _parse(wifi_scan_pb2.WiFiScanPayload, self.request("prov-scan", request.SerializeToString()),
                        expected_msg, what)
        if answer.status != constants_pb2.Success:
            raise StatusError(what, status_name(answer.status))
        return answer

    # prov-config

    def set_config(self, ssid, passphrase):
        """Send the credentials (bytes); return the status name ("Success", "InvalidArgument", ...)."""
        request = wifi_config_pb2.WiFiConfigPayload(msg=wifi_config_pb2.TypeCmdSetConfig)
        request.cmd_set_config.ssid = bytes(ssid)
        request.cmd_set_config.passphrase = bytes(passphrase)
        answer = self._config(request, wifi_config_pb2.TypeRespSetConfig, "SetConfig")
        return status_name(answer.resp_set_config.status)

    def apply_config(self):
        """Ask the device to connect with the credentials; return the status name."""
        request = wifi_config_pb2.WiFiConfigPayload(msg=wifi_config_pb2.TypeCmdApplyConfig)
        answer = self._config(request, wifi_config_pb2.TypeRespApplyConfig, "ApplyConfig")
        return status_name(answer.resp_apply_config.status)

    def get_status(self):
        """Return the device's Wi-Fi state as a :class:`WifiStatus`."""
        request = wifi_config_pb2.WiFiConfigPayload(msg=wifi_config_pb2.TypeCmdGetStatus)
        request.cmd_get_status.SetInParent()
        answer = self._config(request, wifi_config_pb2.TypeRespGetStatus, "GetStatus").resp_get_status
        state = STATE_NAMES.get(answer.sta_state, "state(%d)" % answer.sta_state)
        detail = answer.WhichOneof("state")
        status = WifiStatus(state)
        if state == "failed" or detail == "fail_reason":
            try:
                status.fail_reason = wifi_constants_pb2.WifiConnectFailedReason.Name(answer.fail_reason)
            except ValueError:
                status.fail_reason = "reason(%d)" % answer.fail_reason
        if detail == "attempt_failed":
            status.attempts_remaining = answer.attempt_failed.attempts_remaining
        if detail == "connected":
            info = answer.connected
            status.connected = {
                "ip4_addr": info.ip4_addr,
                "ssid": info.ssid.decode("utf-8", "replace"),
                "bssid": ":".join("%02x" % b for b in info.bssid),
                "channel": info.channel,
                "auth": auth_name(info.auth_mode),
            }
        return status

    def wait_connected(self, poll_interval=5.0, failure_polls=3, timeout=None, on_status=None,
                       sleep=time.sleep, clock=time.monotonic):
        """Poll GetStatus every ``poll_interval`` s until connected; return the final :class:`WifiStatus`.

        Like esp_prov, a failure state is polled ``failure_polls`` more times before it is
        final (raises :class:`WifiFailed`). ``timeout`` (s, ``None`` = none) bounds the
        time spent connecting (raises :class:`WifiTimeout`).
        """
        started = clock()
        left = failure_polls
        while True:
            sleep(poll_interval)
            status = self.get_status()
            if on_status is not None:
                on_status(status)
            if status.state == "connected":
                return status
            if status.state == "connecting":
                if timeout is not None and clock() - started >= timeout:
                    raise WifiTimeout("device still connecting after %g s" % timeout)
                continue
            if left > 0:
                left -= 1
                continue
            raise WifiFailed(status.fail_reason or status.state)

    def _config(self, request, expected_msg, what):
        return _parse(wifi_config_pb2.WiFiConfigPayload, self.request("prov-config", request.SerializeToString()),
                      expected_msg, what)

    # prov-ctrl and custom endpoints

    def ctrl_reset(self):
        """prov-ctrl Reset (accepted after a failed attempt); return the status name."""
        return self._ctrl(wifi_ctrl_pb2.TypeCmdCtrlReset, wifi_ctrl_pb2.TypeRespCtrlReset, "CtrlReset")

    def ctrl_reprov(self):
        """prov-ctrl Reprov (accepted if the device disabled auto-stop); return the status name."""
        return self._ctrl(wifi_ctrl_pb2.TypeCmdCtrlReprov, wifi_ctrl_pb2.TypeRespCtrlReprov, "CtrlReprov")

    def _ctrl(self, msg, expected_msg, what):
        request = wifi_ctrl_pb2.WiFiCtrlPayload(msg=msg)
        answer = _parse(wifi_ctrl_pb2.WiFiCtrlPayload, self.request("prov-ctrl", request.SerializeToString()),
                        expected_msg, what)
        return status_name(answer.status)

    def custom_data(self, data, endpoint="custom-data"):
        """Send raw ``data`` to a custom endpoint and return its raw answer."""
        return self.request(endpoint, bytes(data))
