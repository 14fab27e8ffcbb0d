"""BLE on a real board with bleak: found by the name it announces on the console, provisioned over GATT."""

import pytest

from board_harness import ble_transport
from wifiprov_host.client import ProvClient


@pytest.mark.hardware
@pytest.mark.ble
def test_provisioning_over_ble_with_bleak(provisioning_board, request):
    board = provisioning_board
    name = board.start_provisioning()
    client = ProvClient(ble_transport(request.config.getoption("ble_name"))(name))
    info = client.probe("none")
    assert info.sec_ver == board.settings["security"] and info.has("wifi_scan")
    client.establish_session(board.security())
    board.expect(r"app: Secured session established!")
    assert board.wifi.ssid in {ap.ssid.decode("utf-8", "replace") for ap in client.scan()}
    assert client.set_config(board.wifi.ssid.encode(), board.wifi.passphrase.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=2.0, timeout=board.timeout * 3).state == "connected"
    board.expect(r"app: Provisioning successful")
    board.online()
