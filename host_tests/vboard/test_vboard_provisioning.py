"""Virtual board scenarios driven by the host client over HTTP: the example app, unmodified, on
simulated hardware (scripts/vboard.py). Each test boots its own board; all waits are bounded."""

import json
import socket

import pytest

from vboard_harness import (
    HOME_PASSPHRASE,
    HOME_SSID,
    VISIBLE,
    WRONG_PASSPHRASE,
    assert_no_secrets,
    boards,  # noqa: F401 - fixture
)
from wifiprov_host import security as host_security
from wifiprov_host.client import ProvClient
from wifiprov_host.errors import WifiFailed
from wifiprov_host.transport_http import HttpTransport

POP = "abcd1234"
POLL = 0.3



def _provisioning_started(board):
    name = board.expect(r"wifi_prov_mgr: Provisioning started with service name : (PROV_[0-9A-F]{6}) $").group(1)
    board.expect(r"^https://espressif\.github\.io/esp-jumpstart/qrcode\.html\?data=")  # the server listens now
    return name


def _scan_matches_world(client):
    found = client.scan()
    assert sorted((ap.ssid.decode(), ap.bssid.hex(), ap.channel, ap.rssi) for ap in found) == sorted(
        (ap["ssid"], ap["bssid"], ap["channel"], ap["rssi"]) for ap in VISIBLE)
    assert [ap.rssi for ap in found] == sorted((ap.rssi for ap in found), reverse=True)


def _provision(client, ssid=HOME_SSID, passphrase=HOME_PASSPHRASE):
    assert client.set_config(ssid.encode(), passphrase.encode()) == "Success"
    assert client.apply_config() == "Success"
    return client.wait_connected(poll_interval=POLL, timeout=30)


def _online(board):
    board.expect(r"app: Provisioning successful")
    board.expect(r"app: Connected with IP Address:192\.168\.1\.42")
    board.expect(r"wifi_prov_mgr: Provisioning stopped")
    board.expect(r"app: Hello World!")


def test_sec0_happy_path_with_scan(boards):
    board = boards("--sec", "0")
    assert _provisioning_started(board) == "PROV_261FCC"
    assert 'data={"ver":"v1","name":"PROV_261FCC","transport":"softap"}' in board.console
    client = board.client()
    info = client.probe("none")
    assert (info.sec_ver, info.has("no_sec"), info.has("wifi_scan")) == (0, True, True)
    client.establish_session(host_security.Security0())
    _scan_matches_world(client)
    status = _provision(client)
    assert status.connected["ip4_addr"] == "192.168.1.42"
    assert status.connected["bssid"] == "78:8a:20:84:19:96"
    _online(board)
    assert_no_secrets(board, [HOME_PASSPHRASE])


def test_sec1_happy_path_with_the_cli_scan_and_custom_data(boards):
    board = boards("--sec", "1", "--pop", POP, "--qr")
    _provisioning_started(board)
    assert "app: Scan this QR code" in board.console
    assert 'data={"ver":"v1","name":"PROV_261FCC","pop":"%s","transport":"softap"}' % POP in board.console
    result = board.run_cli("--sec_ver", "1", "--pop", POP, "--ssid", HOME_SSID, "--scan", "--passphrase",
                           HOME_PASSPHRASE, "--custom_data", "hello board", "--poll-interval", str(POLL))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Custom data answer: b'SUCCESS\\x00'" in result.stdout
    board.expect(r"app: Secured session established!")
    board.expect(r"app: Received data: hello board")
    board.expect(r"app: Received Wi-Fi credentials")
    _online(board)
    assert "\tSSID     : %s\n\tPassword : ********" % HOME_SSID in board.console
    assert_no_secrets(board, [HOME_PASSPHRASE], pop=POP)


def test_sec2_with_the_esp_prov_quirk_credentials(boards):
    # wifiprov / pw69: H(I:P) starts with a zero byte, so only esp_prov's stripped x logs in.
    board = boards("--sec2-user", "wifiprov", "--sec2-pass", "pw69")
    _provisioning_started(board)
    assert 'data={"ver":"v1","name":"PROV_261FCC","transport":"softap"}' in board.console
    client = board.client()
    info = client.probe("---")
    assert (info.sec_ver, info.sec_patch_ver) == (2, 1)
    client.establish_session(host_security.Security2(b"wifiprov", b"pw69"))
    board.expect(r"app: Secured session established!")
    _scan_matches_world(client)
    _provision(client)
    _online(board)
    assert_no_secrets(board, [HOME_PASSPHRASE, "pw69"])


def test_sec2_default_dev_pair(boards):
    board = boards("--sec", "2")
    _provisioning_started(board)
    client = board.client()
    with pytest.raises(Exception):
        client.establish_session(host_security.Security2(b"wifiprov", b"not-the-password"))
    board.expect(r"E \(\d+\) app: Received incorrect username and/or PoP for establishing secure session!")
    client.establish_session(host_security.Security2(b"wifiprov", b"abcd1234"))
    _provision(client)
    _online(board)


def test_wrong_password_then_right_one_in_the_same_session(boards):
    board = boards("--sec", "1", "--pop", POP)
    _provisioning_started(board)
    client = board.client()
    client.establish_session(host_security.Security1(POP.encode()))
    assert client.set_config(HOME_SSID.encode(), WRONG_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    seen_remaining = []
    with pytest.raises(WifiFailed) as failure:
        client.wait_connected(poll_interval=POLL, timeout=30,
                              on_status=lambda s: seen_remaining.append(s.attempts_remaining))
    assert failure.value.reason == "AuthError"
    assert 0 < len([r for r in seen_remaining if r is not None])
    board.expect(r"E \(\d+\) app: Provisioning failed!")
    assert "\tReason : Wi-Fi station authentication failed\n\tPlease reset to factory and retry provisioning" \
        in board.console
    status = _provision(client)  # same session, no reset, no reboot
    assert status.state == "connected"
    _online(board)
    assert_no_secrets(board, [HOME_PASSPHRASE, WRONG_PASSPHRASE], pop=POP)


@pytest.mark.parametrize("ssid", ["NoSuchNetwork", "OfficeWiFi"])
def test_access_point_not_found(boards, ssid):
    board = boards("--sec", "1", "--pop", POP, "--set", "wifi_conn_attempts=1")
    _provisioning_started(board)
    client = board.client()
    client.establish_session(host_security.Security1(POP.encode()))
    assert client.set_config(ssid.encode(), b"whatever-key") == "Success"
    assert client.apply_config() == "Success"
    with pytest.raises(WifiFailed) as failure:
        client.wait_connected(poll_interval=POLL, failure_polls=0, timeout=30)
    assert failure.value.reason == "NetworkNotFound"
    board.expect(r"\tReason : Wi-Fi access-point not found")
    assert_no_secrets(board, ["whatever-key"], pop=POP)


def test_restart_is_already_provisioned_and_reset_provisions_again(boards):
    board = boards("--sec", "1", "--pop", POP)
    _provisioning_started(board)
    result = board.run_cli("--sec_ver", "1", "--pop", POP, "--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE,
                           "--poll-interval", str(POLL))
    assert result.returncode == 0, result.stdout + result.stderr
    _online(board)
    board.power_off()

    board.boot()
    board.expect(r"app: Already provisioned, starting Wi-Fi STA")
    board.expect(r"app: Connected with IP Address:192\.168\.1\.42")
    board.expect(r"app: Hello World!")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", board.port), timeout=2).close()
    board.power_off()

    board.boot(reset_state=True)
    _provisioning_started(board)
    assert_no_secrets(board, [HOME_PASSPHRASE], pop=POP)


def test_the_state_directory_keeps_only_committed_nvs_records(boards, tmp_path):
    board = boards("--sec", "0")
    _provisioning_started(board)
    _provision(_security0_client(board))
    _online(board)
    board.power_off()
    nvs = json.loads((tmp_path / "state" / "nvs.json").read_text())
    assert set(nvs) == {"wifiprov"}
    assert HOME_PASSPHRASE.encode().hex() in json.dumps(nvs)  # stored (the console never shows it)


def _security0_client(board):
    client = board.client()
    client.establish_session(host_security.Security0())
    return client


def test_ble_setting_serves_provisioning_over_ble(boards):
    board = boards("--set", "transport=ble")
    board.expect(r"I \(\d+\) wifi_prov_scheme_ble: advertising PROV_261FCC, service 021a9004-")
    _provisioning_started(board)


def test_rejected_passphrase_is_never_printed(boards):
    board = boards("--sec", "0")
    _provisioning_started(board)
    client = _security0_client(board)
    too_long = "p" * 64
    assert client.set_config(HOME_SSID.encode(), too_long.encode()) == "InvalidArgument"
    assert client.get_status().state == "failed"  # iOS polls for ever on "connecting" (PROTOCOL.md §13a)
    _provision(client)
    _online(board)
    assert_no_secrets(board, [too_long, HOME_PASSPHRASE])


class _CookielessHttp(HttpTransport):
    """A phone app that never sends the session cookie (older Android app): one keep-alive socket only."""

    def _take_cookie(self, response):
        pass


def test_cookieless_phone_app_provisions_on_one_keep_alive_socket(boards):
    board = boards("--sec", "1", "--pop", POP)
    _provisioning_started(board)
    transport = _CookielessHttp(board.address(), timeout=15)
    client = ProvClient(transport)
    client.establish_session(host_security.Security1(POP.encode()))
    _scan_matches_world(client)
    assert _provision(client).state == "connected"
    assert transport.cookie is None and transport.connections_opened == 1
    _online(board)
