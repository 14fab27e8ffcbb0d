"""Provisioning over the simulated BLE link through the host CLI's BLE code path (GattTransport).

The board is the device library (manager + ``wifiprov.ble``) on the simulated radio; the
host is ``wifiprov_host.cli.main`` with the simulated central as its link -- the same code
that runs over bleak on hardware -- and, in the last test, ``scripts/prov.py`` in its own
process talking to this process's radio over ``--ble-sim``.
"""

import os
import subprocess
import sys

import bluetooth
import pytest
from ble_board import CREDENTIALS, HOME_PASSPHRASE, HOME_SSID, NAME, WORLD, board_maker
from ble_central import AirServer

from wifiprov import manager as mgr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRONG_PASSPHRASE = "wrong-battery-7"
VISIBLE_NETWORKS = len(WORLD["aps"])


@pytest.fixture
def make_board(tmp_path):
    with board_maker(tmp_path) as make:
        yield make


class CountingProtocomm:
    """Counts the requests per endpoint that reach protocomm."""

    def __init__(self, protocomm):
        self._protocomm = protocomm
        self.counts = {}

    def handle(self, session_id, endpoint, request):
        self.counts[endpoint] = self.counts.get(endpoint, 0) + 1
        return self._protocomm.handle(session_id, endpoint, request)

    def __getattr__(self, name):
        return getattr(self._protocomm, name)


def by_step(steps):
    out = {}
    for step in steps:
        out.setdefault(step["step"], []).append(step)
    return out


@pytest.mark.parametrize("security", [0, 1, 2])
def test_full_provisioning_with_scan_and_custom_data(make_board, security):
    board = make_board(security=security)
    counter = board.transport.protocomm = CountingProtocomm(board.transport.protocomm)
    code, steps = board.provision(CREDENTIALS[security] + ["--pick-strongest", "--passphrase", HOME_PASSPHRASE,
                                                           "--custom_data", "hello board"])
    assert code == 0, steps[-1]
    found = by_step(steps)
    assert found["security"][0]["sec_ver"] == security and found["security"][0]["source"] == "proto-ver"
    assert found["custom_data"][0]["response_hex"] == b"SUCCESS\x00".hex()
    assert len(found["scan"][0]["access_points"]) == VISIBLE_NETWORKS
    # start + status + result pages of 4 (esp_prov's BLE page size): 10 networks -> 3 pages
    assert counter.counts["prov-scan"] == 2 + 3
    assert found["connected"][0]["ssid"] == HOME_SSID
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())
    assert mgr.EVENT_CRED_SUCCESS in board.events
    board.wait_stopped()
    assert not bluetooth.BLE().active()  # BLE switched off once provisioning ended
    assert board.links[:1] == [True]


def test_security_2_with_a_central_that_never_exchanges_the_mtu(make_board):
    board = make_board(security=2)
    code, steps = board.provision(CREDENTIALS[2] + ["--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE], mtu=23)
    assert code == 0, steps[-1]


def test_wrong_passphrase_then_the_right_one_in_the_same_session(make_board):
    board = make_board(security=1, wifi_conn_attempts=2)
    code, steps = board.provision(CREDENTIALS[1] + ["--ssid", HOME_SSID, "--passphrase", WRONG_PASSPHRASE,
                                                    "--retry-passphrase", HOME_PASSPHRASE])
    assert code == 0, steps[-1]
    states = [s["state"] for s in by_step(steps)["status"]]
    assert "failed" in states and states[-1] == "connected"
    assert len(by_step(steps)["session"]) == 1 and board.links.count(True) == 1  # one connection, one session
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())


def test_wrong_passphrase_then_a_new_session_as_the_phone_apps_do(make_board):
    board = make_board(security=2, wifi_conn_attempts=2)
    code, steps = board.provision(CREDENTIALS[2] + ["--ssid", HOME_SSID, "--passphrase", WRONG_PASSPHRASE])
    assert code == 7, steps[-1]  # Wi-Fi authentication failed
    assert steps[-1]["error_type"] == "WifiFailed"
    assert board.store.load() is None
    code, steps = board.provision(CREDENTIALS[2] + ["--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE])
    assert code == 0, steps[-1]
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())


def test_wrong_pop_is_refused_then_the_right_one_works(make_board):
    board = make_board(security=1)
    code, steps = board.provision(["--pop", "not-the-pop", "--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE])
    assert code == 5, steps[-1]  # the device denied the session read (ATT 0x0E)
    assert "PoP" in steps[-1]["error"]
    assert mgr.EVENT_SESSION_CREDENTIALS_MISMATCH in board.events
    code, steps = board.provision(CREDENTIALS[1] + ["--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE])
    assert code == 0, steps[-1]


def test_wrong_sec2_password_is_refused(make_board):
    board = make_board(security=2)
    code, steps = board.provision(["--sec2_username", "wifiprov", "--sec2_pwd", "nope", "--ssid", HOME_SSID,
                                   "--passphrase", HOME_PASSPHRASE])
    assert code == 5 and "wrong username or password" in steps[-1]["error"], steps[-1]


def test_device_not_found_when_nothing_advertises_that_name(make_board):
    board = make_board(security=0)
    board.manager.service_name = "PROV_000000"
    code, steps = board.provision(["--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE, "--ble-scan-timeout", "0.2"])
    assert code == 3 and steps[-1]["error_type"] == "DeviceNotFound"


def test_prov_py_in_another_process_over_ble_sim(make_board):
    board = make_board(security=1)
    server = AirServer(bluetooth.air())
    try:
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "scripts", "prov.py"), "--transport", "ble", "--service_name", NAME,
             "--ble-sim", "127.0.0.1:%d" % server.port, "--pop", "abcd1234", "--ssid", HOME_SSID,
             "--passphrase", HOME_PASSPHRASE, "--custom_data", "from afar", "--poll-interval", "0.2"],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        server.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Talking to PROV_261FCC over ble" in proc.stdout
    assert "Provisioning was successful" in proc.stdout
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())


def _vboard_has_ble():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "vboard.py"), "--help"],
                          capture_output=True, text=True, timeout=30)
    return "--ble-port" in proc.stdout


@pytest.mark.skipif(not _vboard_has_ble(), reason="scripts/vboard.py has no --transport ble yet")
def test_virtual_board_over_ble(tmp_path):
    from vboard_harness import HOME_PASSPHRASE as PASSPHRASE
    from vboard_harness import HOME_SSID as SSID
    from vboard_harness import VirtualBoard, free_port

    port = free_port()
    board = VirtualBoard(tmp_path, "--transport", "ble", "--ble-port", str(port), "--sec", "2")
    try:
        name = board.expect(r"Provisioning started with service name : (PROV_\w{6})").group(1)
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "scripts", "prov.py"), "--transport", "ble", "--service_name", name,
             "--ble-sim", "127.0.0.1:%d" % port, "--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234",
             "--ssid", SSID, "--passphrase", PASSPHRASE, "--poll-interval", "0.5"],
            cwd=ROOT, capture_output=True, text=True, timeout=90)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        board.expect(r"app: BLE transport: Connected!")
        board.expect(r"app: Provisioning successful")
        board.expect(r"wifi_prov_scheme_ble: BLE stack switched off")
        assert '"transport":"ble"' in board.console
    finally:
        board.power_off()


@pytest.mark.skipif(not _vboard_has_ble(), reason="scripts/vboard.py has no --transport ble yet")
def test_a_name_too_long_to_advertise_falls_back_to_the_default_name(tmp_path):
    # A 30-byte service_name passed the settings check (1..32 bytes) but not the BLE transport
    # (29 bytes fit the scan response), so the board raised at boot and never advertised.
    import json
    import shutil

    from vboard_harness import VirtualBoard, free_port

    flash = tmp_path / "flash"
    shutil.copytree(os.path.join(ROOT, "lib"), flash / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("boot.py", "main.py"):
        shutil.copy(os.path.join(ROOT, name), flash / name)
    (flash / "wifiprov.json").write_text(json.dumps({"transport": "ble", "service_name": "N" * 30, "security": 0}))
    port = free_port()
    board = VirtualBoard(tmp_path, "--transport", "ble", "--ble-port", str(port), "--flash", str(flash))
    try:
        board.expect(r"E \(\d+\) app: \S*/wifiprov\.json: service_name must be at most 29 bytes over BLE "
                     r"\(the advertised name\), not 30; using the default")
        name = board.expect(r"Provisioning started with service name : (PROV_\w{6})").group(1)
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "scripts", "prov.py"), "--transport", "ble", "--service_name", name,
             "--ble-sim", "127.0.0.1:%d" % port, "--sec_ver", "0", "--proto_ver", "v1.1"],
            cwd=ROOT, capture_output=True, text=True, timeout=90)
        assert "Protocol version v1.1 verified" in proc.stdout, proc.stdout + proc.stderr
    finally:
        board.power_off()
