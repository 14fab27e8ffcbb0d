"""The device under fuzz: the real manager, protocomm and handlers over the device-test fakes (simulated
Wi-Fi and NVS, simulated time), with spies that record every failure inside protocomm, and the
host client talking to it in memory."""

from fakes import Board, FakeAccessPoint
from wifiprov import manager as mgr
from wifiprov_host import security as host_security
from wifiprov_host.client import ProvClient
from wifiprov_host.transport_memory import MemoryTransport

import sec0_pb2
import sec1_pb2
import sec2_pb2
import session_pb2
import wifi_config_pb2
import wifi_ctrl_pb2
import wifi_scan_pb2

POP = "fuzz-pop-7341"
SEC2_USER = "wifiprov"
SEC2_PASSWORD = "abcd1234"  # the example's dev pair (config.EXAMPLE_SEC2_SALT / _VERIFIER)
HOME_SSID = b"HomeAP"
HOME_PASSPHRASE = b"right-pass-5521"
WRONG_PASSPHRASE = b"wrong-pass-0000"
CUSTOM_ANSWER = b"SUCCESS\x00"
ENDPOINTS = ("proto-ver", "prov-session", "prov-config", "prov-scan", "prov-ctrl", "custom-data")
REQUEST_ENDPOINTS = ("prov-config", "prov-scan", "prov-ctrl", "custom-data")

ACCESS_POINTS = (
    FakeAccessPoint(HOME_SSID, b"\x78\x8a\x20\x84\x19\x96", 1, -45, 3, HOME_PASSPHRASE, connect_ms=300),
    FakeAccessPoint(b"CafeOpen", b"\xdc\xa4\xca\xf1\x22\x7c", 6, -70, 0, connect_ms=300),
)


def host_security_for(level, pop=POP, password=SEC2_PASSWORD):
    """The host client's scheme object for security ``level`` with the device's credentials."""
    if level == 0:
        return host_security.Security0()
    if level == 1:
        return host_security.Security1(pop.encode())
    return host_security.Security2(SEC2_USER.encode(), password.encode())


class Device:
    """One provisioning service on fakes. Attempt limiting and handshake rationing are off here (the
    fuzz sends wrong proofs and unfinished handshakes by the thousand);
    ``host_tests/hardening/test_attempt_limiting.py`` covers both."""

    def __init__(self, level, **settings):
        settings.setdefault("auth_backoff_ms", 0)
        settings.setdefault("auth_max_failures", 0)
        settings.setdefault("handshake_burst", 0)
        self.level = level
        self.board = Board(ACCESS_POINTS, security=level, pop=POP, **settings)
        self.failures = []
        self.board.manager.add_endpoint("custom-data", lambda session_id, data: CUSTOM_ANSWER)
        self.board.manager.start()
        self.pc = self.board.manager.protocomm
        self._spy()
        self._next_session = 1000

    def _spy(self):
        """Record every exception raised below protocomm (it must turn each into "no response")."""
        failures = self.failures

        def watch(function, label):
            def spied(*args):
                try:
                    return function(*args)
                except Exception as exc:
                    failures.append((label, exc))
                    raise

            return spied

        security = self.pc.security
        for method in ("handshake", "encrypt", "decrypt"):
            setattr(security, method, watch(getattr(security, method), method))
        for name in REQUEST_ENDPOINTS:
            handler = self.pc._endpoints[name][1]
            self.pc.add_endpoint(name, watch(handler, name))

    def session_id(self):
        self._next_session += 1
        return self._next_session

    def client(self, session_id=None):
        """A host client on a new transport session (opened on the device, as a BLE connect is)."""
        return ProvClient(MemoryTransport(self.pc, session_id or self.session_id()))

    def established(self):
        """A host client with a completed handshake."""
        client = self.client()
        client.establish_session(host_security_for(self.level))
        return client

    def handle(self, session_id, endpoint, data):
        """``protocomm.handle`` with the failure record reset; returns (response, failures)."""
        del self.failures[:]
        # The fakes' log and event lists would grow for ever; their reallocations are not the
        # request's memory.
        del self.board.log.lines[:]
        del self.board.events[:]
        response = self.pc.handle(session_id, endpoint, data)
        return response, list(self.failures)

    def provision_from_scratch(self):
        """A whole, correct provisioning on a new session: handshake, scan, wrong then right
        credentials, status until connected. Returns the connected state (dict)."""
        manager = self.board.manager
        self.board.run_for(60000, step=500)  # let any attempt the fuzz started run out
        client = self.established()
        assert client.get_status() is not None
        found = client.scan()
        assert HOME_SSID in [ap.ssid for ap in found]
        assert client.custom_data(b"hello") == CUSTOM_ANSWER
        assert manager.state in (mgr.STATE_STARTED, mgr.STATE_FAIL), manager.state
        assert client.set_config(HOME_SSID, HOME_PASSPHRASE) == "Success"
        assert client.apply_config() == "Success"
        for _ in range(200):
            self.board.tick(100)
            status = client.get_status()
            if status.state == "connected":
                return status.connected
        raise AssertionError("not connected after 20 s of simulated time: %r" % (status.as_dict(),))


# ---------------------------------------------------------------- valid seeds per endpoint


def session_seeds(level, draw_bytes):
    """Valid-looking handshake requests of every step for ``level`` (keys from ``draw_bytes(n)``)."""
    seeds = []
    for sec_ver in (0, 1, 2):
        message = session_pb2.SessionData(sec_ver=sec_ver)
        if sec_ver == 0:
            message.sec0.msg = sec0_pb2.S0_Session_Command
            message.sec0.sc.SetInParent()
        elif sec_ver == 1:
            message.sec1.msg = sec1_pb2.Session_Command0
            message.sec1.sc0.client_pubkey = draw_bytes(32)
            seeds.append(message.SerializeToString())
            message = session_pb2.SessionData(sec_ver=1)
            message.sec1.msg = sec1_pb2.Session_Command1
            message.sec1.sc1.client_verify_data = draw_bytes(32)
        else:
            message.sec2.msg = sec2_pb2.S2Session_Command0
            message.sec2.sc0.client_username = SEC2_USER.encode()
            message.sec2.sc0.client_pubkey = draw_bytes(384)
            seeds.append(message.SerializeToString())
            message = session_pb2.SessionData(sec_ver=2)
            message.sec2.msg = sec2_pb2.S2Session_Command1
            message.sec2.sc1.client_proof = draw_bytes(64)
        seeds.append(message.SerializeToString())
    return seeds


def config_seeds():
    out = []
    for msg in (wifi_config_pb2.TypeCmdGetStatus, wifi_config_pb2.TypeCmdSetConfig, wifi_config_pb2.TypeCmdApplyConfig):
        message = wifi_config_pb2.WiFiConfigPayload(msg=msg)
        if msg == wifi_config_pb2.TypeCmdSetConfig:
            message.cmd_set_config.ssid = HOME_SSID
            message.cmd_set_config.passphrase = WRONG_PASSPHRASE
            message.cmd_set_config.bssid = b"\x78\x8a\x20\x84\x19\x96"
            message.cmd_set_config.channel = 1
        elif msg == wifi_config_pb2.TypeCmdApplyConfig:
            message.cmd_apply_config.SetInParent()
        out.append(message.SerializeToString())
    return out


def scan_seeds():
    start = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanStart)
    start.cmd_scan_start.blocking = True
    start.cmd_scan_start.period_ms = 120
    status = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanStatus)
    status.cmd_scan_status.SetInParent()
    result = wifi_scan_pb2.WiFiScanPayload(msg=wifi_scan_pb2.TypeCmdScanResult)
    result.cmd_scan_result.start_index = 0
    result.cmd_scan_result.count = 4
    return [m.SerializeToString() for m in (start, status, result)]


def ctrl_seeds():
    return [wifi_ctrl_pb2.WiFiCtrlPayload(msg=msg).SerializeToString()
            for msg in (wifi_ctrl_pb2.TypeCmdCtrlReset, wifi_ctrl_pb2.TypeCmdCtrlReprov)]
