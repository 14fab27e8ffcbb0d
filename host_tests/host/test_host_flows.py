"""esp_prov's wifi_flow.json sessions replayed through the CLI: every request byte for byte, randomness pinned."""

import io
import json

import pytest
from devtest import FixedRandom, load_vectors, unhex

from wifiprov_host import cli
from wifiprov_host.replay import ReplayDevice
from wifiprov_host.transport_memory import MemoryTransport

FLOWS = load_vectors("wifi_flow.json")

EXPECTED_EXIT = {
    "provision": cli.EXIT_OK,
    "provision with wrong passphrase": cli.EXIT_WIFI_AUTH,
    "reset provisioning state": cli.EXIT_OK,
    "provision again": cli.EXIT_OK,
}


class Terminal(io.StringIO):
    """stdin of an interactive user who types the scripted answers."""

    def isatty(self):
        return True


def exchanges_of(session):
    out = []
    for e in session["exchanges"]:
        out.append((e["endpoint"], unhex(e["request_wire_hex"]), unhex(e["response_wire_hex"])))
    return out


def sessions():
    for flow in FLOWS["flows"]:
        for session in flow["sessions"]:
            yield pytest.param(flow, session, id="%s/%s" % (flow["name"], session["label"]))


def run_session(flow, session, extra_argv=(), interactive=True):
    device = ReplayDevice(exchanges_of(session))
    profile = "ble" if flow["transport"] == "ble" else "http"
    opened = []

    def factory(args):
        assert args.transport == flow["transport"]
        opened.append(MemoryTransport(device, profile=profile))
        return opened[0]

    sleeps, secrets_asked = [], []

    def read_secret(question):
        secrets_asked.append(question)
        return ""  # the user gives up when asked for another passphrase

    stdin = Terminal("".join(answer + "\n" for answer in session["scripted_user_input"])) if interactive else io.StringIO()
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(list(session["esp_prov_argv"]) + list(extra_argv), transport_factory=factory,
                    random_bytes=FixedRandom(unhex(session["client_private_key_hex"])), sleep=sleeps.append,
                    clock=lambda: 0.0, stdin=stdin, stdout=stdout, stderr=stderr,
                    read_secret=read_secret)
    return code, device, stdout.getvalue(), stderr.getvalue(), sleeps, secrets_asked


@pytest.mark.parametrize("flow, session", list(sessions()))
def test_esp_prov_argv_reproduces_transcript(flow, session):
    # esp_prov's own argv, and the user typing the scripted answers at a terminal.
    code, device, out, err, sleeps, asked = run_session(flow, session)
    device.assert_finished()
    assert code == EXPECTED_EXIT[session["label"]], err
    polls = sum(1 for e in session["exchanges"] if e.get("request_plain_hex") == "5200")
    assert sleeps == [5.0] * polls
    # After a wrong passphrase a user at a terminal is offered another try in the same session.
    assert asked == (["New passphrase for MyHomeWiFiAP (empty to give up): "] if code == cli.EXIT_WIFI_AUTH else [])


@pytest.mark.parametrize("flow, session", [p for p in sessions() if p.values[1]["scripted_user_input"]])
def test_pick_strongest_reproduces_transcript_without_a_terminal(flow, session):
    assert session["scripted_user_input"] == ["1"]  # the strongest access point is number 1
    code, device, out, err, *_ = run_session(flow, session, ["--pick-strongest"], interactive=False)
    device.assert_finished()
    assert code == EXPECTED_EXIT[session["label"]], err


def test_json_output_reports_every_step():
    flow = FLOWS["flows"][1]  # softap: custom data, scan, config, apply, connected
    code, device, out, err, *_ = run_session(flow, flow["sessions"][0], ["--pick-strongest", "--json"], interactive=False)
    assert code == 0, err
    steps = [json.loads(line) for line in out.splitlines()]
    assert [s["step"] for s in steps] == ["connect", "security", "session", "custom_data", "scan", "select",
                                          "set_config", "apply_config", "status", "connected", "result"]
    assert steps[3]["response_hex"] == "5355434345535300"
    scan = steps[4]["access_points"]
    assert [ap["ssid"] for ap in scan] == [ap["ssid"] for ap in FLOWS["access_points_sorted_as_reported"]]
    assert [ap["rssi"] for ap in scan] == [ap["rssi"] for ap in FLOWS["access_points_sorted_as_reported"]]
    assert scan[0]["bssid"] == "78:8a:20:84:19:96" and scan[0]["auth"] == "WPA2_PSK"
    assert steps[5]["access_point"]["ssid"] == "MyHomeWiFiAP" and steps[5]["reason"] == "strongest"
    assert steps[9]["ip4_addr"] == FLOWS["connected_ip4_addr"]
    assert steps[-1] == {"step": "result", "ok": True, "exit_code": 0}


def test_wrong_passphrase_reports_reason_in_json():
    flow = FLOWS["flows"][2]
    code, device, out, err, *_ = run_session(flow, flow["sessions"][0], ["--pick-strongest", "--json"], interactive=False)
    steps = [json.loads(line) for line in out.splitlines()]
    assert code == cli.EXIT_WIFI_AUTH
    statuses = [s for s in steps if s["step"] == "status"]
    assert len(statuses) == 4 and all(s["state"] == "failed" and s["fail_reason"] == "AuthError" for s in statuses)
    assert steps[-2] == {"step": "wifi_failed", "reason": "AuthError"}
    assert steps[-1]["exit_code"] == 7 and steps[-1]["error_type"] == "WifiFailed"
    assert "passphrase" in steps[-1]["error"]


def test_verbose_trace_shows_plaintext():
    flow = FLOWS["flows"][2]
    code, device, out, err, *_ = run_session(flow, flow["sessions"][1], ["-v"])
    assert code == 0
    assert "-> prov-ctrl 55b4" in err and "(plain 0801)" in err and "(plain 08026200)" in err
