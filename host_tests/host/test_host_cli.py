"""CLI behaviour: arguments, QR payloads, security auto-selection, network choice, retries, exit codes."""

import io
import json
import os
import subprocess
import sys

import pytest
from devtest import FixedRandom, load_vectors, unhex

import wifiprov_host.pb  # noqa: F401
import constants_pb2
import session_pb2
import wifi_config_pb2
import wifi_constants_pb2
import wifi_ctrl_pb2
import wifi_scan_pb2

from wifiprov_host import cli, qr
from wifiprov_host.replay import ReplayDevice
from wifiprov_host.transport_memory import MemoryTransport

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEC2 = load_vectors("sec2.json")

ESP_PROV_FLAGS = ["--transport", "--service_name", "--sec_ver", "--pop", "--sec2_username", "--sec2_pwd",
                  "--sec2_gen_cred", "--sec2_salt_len", "--ssid", "--passphrase", "--custom_data", "--reset",
                  "--reprov", "--proto_ver", "-v"]


def proto_ver_json(sec_ver, caps, patch=0):
    return json.dumps({"prov": {"ver": "v1.1", "sec_ver": sec_ver, "sec_patch_ver": patch, "cap": caps}}).encode()


class FakeDevice:
    """A security-0 device with scripted Wi-Fi outcomes, written from PROTOCOL.md §3–§12 with the pb2 runtime.

    ``attempts`` is a list, one entry per ApplyConfig, of the GetStatus answers to give
    (the last one repeats): ("connecting", remaining|None), ("failed", reason) or ("connected",).
    ``reference_manager``: a second ApplyConfig is refused until prov-ctrl Reset (bare ESP-IDF).
    """

    def __init__(self, attempts, access_points=(), caps=("no_sec", "wifi_scan"), sec_ver=0, reference_manager=False):
        self.version = proto_ver_json(sec_ver, list(caps))
        self.attempts = list(attempts)
        self.access_points = list(access_points)
        self.reference_manager = reference_manager
        self.log = []
        self.candidate = None
        self.applied = []
        self.failed = False
        self.statuses = []
        self.refuse_set_config = False

    def handle(self, session_id, endpoint, data):
        self.log.append((endpoint, bytes(data)))
        if endpoint == "proto-ver":
            return self.version
        if endpoint == "prov-session":
            request = session_pb2.SessionData.FromString(data)
            if request.sec_ver != 0 or request.WhichOneof("proto") != "sec0":
                return None
            answer = session_pb2.SessionData(sec_ver=0)
            answer.sec0.msg = 1
            answer.sec0.sr.SetInParent()
            return answer.SerializeToString()
        if endpoint == "prov-scan":
            return self._scan(wifi_scan_pb2.WiFiScanPayload.FromString(data))
        if endpoint == "prov-config":
            return self._config(wifi_config_pb2.WiFiConfigPayload.FromString(data))
        if endpoint == "prov-ctrl":
            request = wifi_ctrl_pb2.WiFiCtrlPayload.FromString(data)
            answer = wifi_ctrl_pb2.WiFiCtrlPayload(msg=request.msg + 1)
            if request.msg == wifi_ctrl_pb2.TypeCmdCtrlReset and self.failed:
                self.failed = False
                answer.resp_ctrl_reset.SetInParent()
            else:
                answer.status = constants_pb2.InternalError
            return answer.SerializeToString()
        if endpoint == "custom-data":
            return b"SUCCESS\x00"
        return None

    def _scan(self, request):
        answer = wifi_scan_pb2.WiFiScanPayload(msg=request.msg + 1)
        if request.msg == wifi_scan_pb2.TypeCmdScanStart:
            answer.resp_scan_start.SetInParent()
        elif request.msg == wifi_scan_pb2.TypeCmdScanStatus:
            answer.resp_scan_status.scan_finished = True
            answer.resp_scan_status.result_count = len(self.access_points)
        else:
            start, count = request.cmd_scan_result.start_index, request.cmd_scan_result.count
            assert start + count <= len(self.access_points), "client asked beyond result_count"
            answer.resp_scan_result.SetInParent()
            for ssid, rssi, auth in self.access_points[start:start + count]:
                answer.resp_scan_result.entries.add(ssid=ssid, rssi=rssi, auth=auth, channel=6, bssid=b"\x01" * 6)
        return answer.SerializeToString()

    def _config(self, request):
        answer = wifi_config_pb2.WiFiConfigPayload(msg=request.msg + 1)
        if request.msg == wifi_config_pb2.TypeCmdSetConfig:
            self.candidate = (request.cmd_set_config.ssid, request.cmd_set_config.passphrase)
            answer.resp_set_config.status = (constants_pb2.InvalidArgument if self.refuse_set_config
                                             else constants_pb2.Success)
        elif request.msg == wifi_config_pb2.TypeCmdApplyConfig:
            if self.candidate is None or (self.reference_manager and self.applied and self.failed):
                answer.resp_apply_config.status = constants_pb2.InternalError
            else:
                self.applied.append(self.candidate)
                self.candidate = None
                self.statuses = list(self.attempts.pop(0))
                answer.resp_apply_config.SetInParent()
        else:
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            resp = answer.resp_get_status
            if status[0] == "connecting":
                resp.sta_state = wifi_constants_pb2.Connecting
                if status[1] is not None:
                    resp.attempt_failed.attempts_remaining = status[1]
            elif status[0] == "failed":
                self.failed = True
                resp.sta_state = wifi_constants_pb2.ConnectionFailed
                resp.fail_reason = wifi_constants_pb2.WifiConnectFailedReason.Value(status[1])
            else:
                resp.connected.ip4_addr = "10.0.0.7"
                resp.connected.ssid = self.applied[-1][0]
        return answer.SerializeToString()

    def sent(self, endpoint):
        return [data for ep, data in self.log if ep == endpoint]


def run(argv, device, profile="http", stdin=None, clock=None, random=None):
    out, err = io.StringIO(), io.StringIO()
    ticks = iter(range(0, 10 ** 6, 5))
    code = cli.main(argv, transport_factory=lambda args: MemoryTransport(device, profile=profile),
                    random_bytes=random or FixedRandom(), sleep=lambda s: None,
                    clock=clock or (lambda: next(ticks)), stdin=stdin or io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def steps(out):
    return [json.loads(line) for line in out.splitlines()]


# --- help and argument handling ------------------------------------------------------------------

def test_help_lists_every_esp_prov_flag_and_the_exit_codes():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "prov.py"), "--help"],
                            capture_output=True, text=True, check=True)
    for flag in ESP_PROV_FLAGS + ["--qr", "--json", "--pick-strongest", "--scan", "--retry-passphrase",
                                  "--write-config", "--timeout", "--failure-polls"]:
        assert flag in result.stdout, flag
    assert "exit codes:" in result.stdout
    for code in range(0, 11):
        assert "\n  %2d  " % code in result.stdout or "\n %3d  " % code in result.stdout, code


@pytest.mark.parametrize("argv, message", [
    ([], "--transport is required"),
    (["--transport", "ble"], "--service_name is required"),
    (["--transport", "console"], "invalid choice"),
    (["--transport", "softap", "--sec_ver", "3"], "invalid choice"),
    (["--transport", "softap", "--reset", "--reprov"], "exclude each other"),
    (["--sec2_gen_cred", "--sec2_username", "u"], "needs --sec2_username and --sec2_pwd"),
    (["--sec2_gen_cred", "--sec_ver", "1", "--sec2_username", "u", "--sec2_pwd", "p"], "for security 2"),
    (["--transport", "softap", "--write-config", "x.json"], "only goes with --sec2_gen_cred"),
    (["--sec2_gen_cred", "--sec2_username", "u", "--sec2_pwd", "p", "--sec2_salt_len", "0"], "--sec2_salt_len must be"),
    (["--qr", "{\"ver\":\"v2\"}"], "--qr: unsupported QR payload version"),
])
def test_bad_command_lines_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.parse_args(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_esp_prov_flags_keep_their_meaning():
    args = cli.parse_args(["--transport", "SoftAP", "--service_name", "192.168.4.1:80", "--sec_ver", "1",
                           "--pop", "abcd1234", "--ssid", "MyAP", "--passphrase", "pw", "--custom_data", "hi",
                           "--proto_ver", "v1.1", "-v"])
    opts = cli.run_options(args)
    assert args.transport == "softap" and args.service_name == "192.168.4.1:80" and args.verbose
    assert (opts.sec_ver, opts.pop, opts.ssid, opts.passphrase, opts.custom_data, opts.proto_ver) == (
        1, "abcd1234", "MyAP", "pw", "hi", "v1.1")
    assert cli.parse_args(["--transport", "httpd"]).passphrase is None  # asked for later, as esp_prov does


# --- QR payloads ----------------------------------------------------------------------------------

def test_qr_payloads_of_the_example_app():
    assert qr.parse('{"ver":"v1","name":"PROV_261FCC","pop":"abcd1234","transport":"ble"}') == {
        "service_name": "PROV_261FCC", "transport": "ble", "pop": "abcd1234"}
    assert qr.parse('{"ver":"v1","name":"PROV_261FCC","username":"wifiprov","pop":"abcd1234","transport":"softap"}') == {
        "service_name": "PROV_261FCC", "transport": "softap", "sec2_username": "wifiprov", "sec2_pwd": "abcd1234"}
    assert qr.parse('{"ver":"v1","name":"PROV_261FCC","transport":"ble"}') == {
        "service_name": "PROV_261FCC", "transport": "ble"}
    url = ("https://espressif.github.io/esp-jumpstart/qrcode.html?data="
           "%7B%22ver%22%3A%22v1%22%2C%22name%22%3A%22PROV_1%22%2C%22transport%22%3A%22ble%22%2C%22security%22%3A2%7D")
    assert qr.parse(url) == {"service_name": "PROV_1", "transport": "ble", "sec_ver": 2}


@pytest.mark.parametrize("payload", ['not json', '[]', '{"ver":"v1","transport":"ble"}',
                                     '{"ver":"v1","name":"P","transport":"wifi"}',
                                     '{"ver":"v1","name":"P","transport":"ble","pop":5}',
                                     '{"ver":"v1","name":"P","transport":"ble","security":true}',
                                     'https://example.com/qr?x=1'])
def test_bad_qr_payloads(payload):
    with pytest.raises(qr.QrError):
        qr.parse(payload)


def test_qr_fills_flags_and_explicit_flags_win():
    payload = '{"ver":"v1","name":"PROV_ABC","username":"wifiprov","pop":"abcd1234","transport":"ble"}'
    args = cli.parse_args(["--qr", payload])
    assert (args.transport, args.service_name, args.sec2_username, args.sec2_pwd) == ("ble", "PROV_ABC", "wifiprov", "abcd1234")
    args = cli.parse_args(["--qr", payload, "--transport", "softap", "--sec2_pwd", "other", "--service_name", "h:80"])
    assert (args.transport, args.service_name, args.sec2_pwd) == ("softap", "h:80", "other")


# --- security selection ---------------------------------------------------------------------------

def test_security_0_is_picked_from_proto_ver():
    device = FakeDevice([[("connected",)]])
    code, out, err = run(["--transport", "softap", "--ssid", "Net", "--passphrase", "pw", "--json"], device)
    assert code == 0, err
    assert device.log[0] == ("proto-ver", b"none")
    assert device.log[1] == ("prov-session", bytes.fromhex("5203a20100"))
    security = steps(out)[1]
    assert security["sec_ver"] == 0 and security["source"] == "proto-ver"


@pytest.mark.parametrize("name", ["patch1_example_dev_credentials", "patch0_example_dev_credentials"])
def test_security_2_and_patch_version_are_picked_from_proto_ver(name):
    # esp_prov cannot pick security 2; we do, then read sec_patch_ver with its "---" probe.
    case = next(c for c in SEC2["cases"] if c["name"] == name)
    info = case["proto_ver_response"].encode()
    steps_ = case["handshake"]
    exchanges = [("proto-ver", b"none", info), ("proto-ver", b"---", info)]
    exchanges += [("prov-session", unhex(steps_[i]["hex"]), unhex(steps_[i + 1]["hex"])) for i in (0, 2)]
    custom_req, custom_resp = case["app_messages"][0], case["app_messages"][1]
    exchanges.append(("custom-data", unhex(custom_req["ciphertext_hex"]), unhex(custom_resp["ciphertext_hex"])))
    device = ReplayDevice(exchanges)
    code, out, err = run(["--transport", "ble", "--service_name", "PROV_X", "--sec2_username", "wifiprov",
                          "--sec2_pwd", "abcd1234", "--custom_data", "My Custom Data", "--ssid", "myssid",
                          "--passphrase", "mypassword", "--json"], device,
                         random=FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    # The transcript ends after custom-data; everything up to there matched byte for byte.
    assert device.pending == [] and "unexpected extra request to prov-config" in device.error
    reported = steps(out)
    assert reported[1]["sec_ver"] == 2 and reported[1]["source"] == "proto-ver"
    assert reported[2] == {"step": "sec_patch_ver", "sec_patch_ver": case["sec_patch_ver"]}
    assert reported[4]["response_text"] == "SUCCESS\x00"


def test_device_without_capabilities_needs_sec_ver():
    device = FakeDevice([])
    device.version = b"V0.1"
    code, out, err = run(["--transport", "softap", "--ssid", "Net", "--passphrase", "pw"], device)
    assert code == cli.EXIT_PROTOCOL and "pass --sec_ver" in err


def test_proto_ver_mismatch_is_a_protocol_error():
    device = FakeDevice([])
    code, out, err = run(["--transport", "softap", "--sec_ver", "0", "--proto_ver", "v2.0", "--ssid", "N"], device)
    assert code == cli.EXIT_PROTOCOL and "does not match" in err
    assert device.log == [("proto-ver", b"v2.0")]


def test_wrong_scheme_is_a_rejected_session():
    device = FakeDevice([], sec_ver=0)
    code, out, err = run(["--transport", "softap", "--sec_ver", "1", "--pop", "x", "--ssid", "N"], device,
                         random=FixedRandom(bytes(range(32))))
    assert code == cli.EXIT_PROTOCOL and "SessionCmd0" in err


# --- network choice, paging, credentials -------------------------------------------------------------

APS = [(b"Cafe", -70, 3), (b"Home", -40, 3), (b"Open", -60, 0), (b"Home", -55, 6), (b"\xf0\x9f\x93\xb6", -80, 9)]


@pytest.mark.parametrize("profile, pages", [("ble", [(0, 4), (4, 1)]), ("http", [(0, 5)])])
def test_scan_pages_never_go_past_result_count(profile, pages):
    device = FakeDevice([[("connected",)]], access_points=APS)
    code, out, err = run(["--transport", "softap", "--pick-strongest", "--passphrase", "pw", "--json"], device, profile)
    assert code == 0, err
    requests = [wifi_scan_pb2.WiFiScanPayload.FromString(d) for d in device.sent("prov-scan")]
    assert requests[0].cmd_scan_start.group_channels == (0 if profile == "ble" else 5)
    got = [(r.cmd_scan_result.start_index, r.cmd_scan_result.count) for r in requests if r.msg == 4]
    assert got == pages
    scan = next(s for s in steps(out) if s["step"] == "scan")["access_points"]
    assert scan[4]["ssid"] == "\U0001f4f6" and scan[4]["auth"] == "AuthMode(9)"  # unknown auth does not crash
    assert device.applied == [(b"Home", b"pw")]


def test_ssid_from_scan_by_name_and_missing_network():
    device = FakeDevice([[("connected",)]], access_points=APS)
    code, out, err = run(["--transport", "softap", "--ssid", "Cafe", "--scan", "--passphrase", "pw"], device)
    assert code == 0 and device.applied == [(b"Cafe", b"pw")]
    device = FakeDevice([], access_points=APS)
    code, out, err = run(["--transport", "softap", "--ssid", "Nowhere", "--scan", "--passphrase", "pw"], device)
    assert code == cli.EXIT_WIFI_NOT_FOUND and "'Nowhere' is not among the 5" in err


def test_scan_results_from_hostile_access_points_are_escaped_on_the_terminal():
    # Any access point in range names itself: its SSID must not drive the user's terminal.
    hostile = [("x\x1b]0;pwned\x07\r[ 1] Home".encode(), -30, 3), ("ok\u202ekcab\u2028".encode(), -40, 3),
               (b"\xff\x1b[2J", -50, 0), (b"Home", -60, 3)]
    device = FakeDevice([[("connected",)]], access_points=hostile)
    code, out, err = run(["--transport", "softap", "--ssid", "Home", "--scan", "--passphrase", "pw"], device)
    assert code == 0, err
    for text in (out, err):
        for control in ("\x1b", "\x07", "\r", "\u202e", "\u2028"):
            assert control not in text, repr(text)
    assert "x\\x1b]0;pwned\\x07\\x0d[ 1] Home" in out
    assert "ok\\u202ekcab\\u2028" in out and "\\xff\\x1b[2J" in out
    device = FakeDevice([[("connected",)]], access_points=hostile)
    code, out, err = run(["--transport", "softap", "--ssid", "Home", "--scan", "--passphrase", "pw", "--json"],
                         device)
    assert code == 0 and out.isascii(), out  # JSON escapes every non-ASCII character
    scan = next(s for s in steps(out) if s["step"] == "scan")["access_points"]
    assert scan[1]["ssid"] == "ok\u202ekcab\u2028"  # the data itself is unchanged


def test_open_network_needs_no_passphrase_and_others_need_a_terminal():
    device = FakeDevice([[("connected",)]], access_points=[(b"Open", -30, 0)])
    assert run(["--transport", "softap", "--pick-strongest"], device)[0] == 0
    assert device.applied == [(b"Open", b"")]
    device = FakeDevice([[("connected",)]], access_points=[(b"Home", -30, 3)])
    code, out, err = run(["--transport", "softap", "--pick-strongest"], device)
    assert code == cli.EXIT_USAGE and "pass --passphrase" in err


def test_overlong_passphrase_is_refused_before_sending():
    device = FakeDevice([])
    code, out, err = run(["--transport", "softap", "--ssid", "N", "--passphrase", "x" * 64], device)
    assert code == cli.EXIT_USAGE and "at most 63" in err and device.sent("prov-config") == []


def test_encoding_option_controls_the_bytes_sent():
    device = FakeDevice([[("connected",)], [("connected",)]])
    assert run(["--transport", "softap", "--ssid", "Café", "--passphrase", "pw"], device)[0] == 0
    assert run(["--transport", "softap", "--ssid", "Café", "--passphrase", "pw", "--encoding", "latin-1"], device)[0] == 0
    assert [ssid for ssid, _ in device.applied] == ["Café".encode("utf-8"), "Café".encode("latin-1")]


# --- Wi-Fi outcomes, attempts remaining, new credentials in the same session -------------------------

def test_attempts_remaining_then_new_passphrase_in_the_same_session():
    device = FakeDevice([[("connecting", None), ("connecting", 2), ("connecting", 1), ("failed", "AuthError")],
                         [("connecting", None), ("connected",)]])
    code, out, err = run(["--transport", "softap", "--ssid", "Home", "--passphrase", "wrong",
                          "--retry-passphrase", "right", "--failure-polls", "0", "--json"], device)
    assert code == 0, err
    assert device.applied == [(b"Home", b"wrong"), (b"Home", b"right")]
    statuses = [(s["state"], s["attempts_remaining"], s["fail_reason"]) for s in steps(out) if s["step"] == "status"]
    assert statuses == [("connecting", None, None), ("connecting", 2, None), ("connecting", 1, None),
                        ("failed", None, "AuthError"), ("connecting", None, None), ("connected", None, None)]
    assert device.sent("prov-session") == [bytes.fromhex("5203a20100")]  # one session throughout


def test_reference_manager_gets_a_reset_before_the_second_attempt():
    device = FakeDevice([[("failed", "AuthError")], [("connected",)]], reference_manager=True)
    code, out, err = run(["--transport", "softap", "--ssid", "Home", "--passphrase", "wrong",
                          "--retry-passphrase", "right", "--json"], device)
    assert code == 0, err
    names = [s["step"] for s in steps(out)]
    assert names.count("ctrlreset") == 1 and device.applied[-1] == (b"Home", b"right")
    # esp_prov's rule: a failure is polled 3 more times before it is final
    assert [s["state"] for s in steps(out) if s["step"] == "status"] == ["failed"] * 4 + ["connected"]


def test_network_not_found_reason_and_exit_code():
    device = FakeDevice([[("failed", "NetworkNotFound")]])
    code, out, err = run(["--transport", "softap", "--ssid", "Gone", "--passphrase", "pw", "--failure-polls", "0"], device)
    assert code == cli.EXIT_WIFI_NOT_FOUND and "network not found" in err


def test_still_connecting_after_timeout():
    device = FakeDevice([[("connecting", None)]])
    code, out, err = run(["--transport", "softap", "--ssid", "N", "--passphrase", "pw", "--timeout", "12"], device)
    assert code == cli.EXIT_WIFI_TIMEOUT and "after 12 s" in err


def test_set_config_refused_is_exit_10():
    device = FakeDevice([])
    device.refuse_set_config = True
    code, out, err = run(["--transport", "softap", "--ssid", "N", "--passphrase", "pw"], device)
    assert code == cli.EXIT_REFUSED and "SetConfig refused by the device: InvalidArgument" in err


def test_reset_and_reprov_statuses():
    device = FakeDevice([])
    code, out, err = run(["--transport", "softap", "--reset"], device)
    assert code == cli.EXIT_REFUSED and "only accepted after a failed" in err
    device.failed = True
    assert run(["--transport", "softap", "--reset"], device)[0] == 0
    code, out, err = run(["--transport", "softap", "--reprov"], device)
    assert code == cli.EXIT_REFUSED and "auto-stop" in err


def test_request_failure_outside_the_handshake_is_a_protocol_error():
    device = FakeDevice([])
    device.handle = lambda sid, ep, data: None if ep == "custom-data" else FakeDevice.handle(device, sid, ep, data)
    code, out, err = run(["--transport", "softap", "--sec_ver", "0", "--custom_data", "x", "--ssid", "N",
                          "--passphrase", "p"], device)
    assert code == cli.EXIT_PROTOCOL and "no payload for custom-data" in err


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_interactive_choice_rescan_and_end_of_input():
    device = FakeDevice([[("connected",)]], access_points=APS)
    code, out, err = run(["--transport", "softap", "--passphrase", "pw", "--json"], device, stdin=Tty("9\nx\n0\n3\n"))
    assert code == 0, err
    assert err.count("Invalid input! Retry") == 2
    assert [s["step"] for s in steps(out)].count("scan") == 2  # 0 = scan again
    assert device.applied == [(b"Open", b"pw")]
    device = FakeDevice([[("connected",)]], access_points=APS)
    code, out, err = run(["--transport", "softap", "--passphrase", "pw"], device, stdin=Tty(""))
    assert code == cli.EXIT_USAGE and "input ended" in err


def test_prompted_sec2_credentials_and_pop():
    # a terminal user is asked for what is missing, as esp_prov asks
    asked = []
    out, err = io.StringIO(), io.StringIO()
    device = ReplayDevice([("proto-ver", b"no_pop", proto_ver_json(1, ["wifi_scan"]))])

    def secret(question):
        asked.append(question)
        raise KeyboardInterrupt

    code = cli.main(["--transport", "softap", "--sec_ver", "1", "--ssid", "N"], stdin=Tty(""), stdout=out,
                    stderr=err, read_secret=secret,
                    transport_factory=lambda args: MemoryTransport(device))
    assert asked == ["Proof of Possession required: "] and code == cli.EXIT_INTERRUPTED
