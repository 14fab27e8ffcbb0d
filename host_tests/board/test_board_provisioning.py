"""Provisioning scenarios on the board under test, its console read through pytest-embedded's ``dut``.

Each starts from a freshly reset board without credentials (Ctrl-C, erase from the
REPL, ``machine.reset()``), exactly the same on the virtual board and on a real one.
"""

import pytest

from wifiprov_host.errors import WifiFailed


def test_happy_path(provisioning_board):
    board = provisioning_board
    name = board.start_provisioning()
    client = board.client(name)
    info = client.probe("none")
    assert info.sec_ver == board.settings["security"]
    client.establish_session(board.security())
    board.expect(r"app: Secured session established!")
    assert board.wifi.ssid in {ap.ssid.decode("utf-8", "replace") for ap in client.scan()}
    assert client.set_config(board.wifi.ssid.encode(), board.wifi.passphrase.encode()) == "Success"
    assert client.apply_config() == "Success"
    status = client.wait_connected(poll_interval=0.5, timeout=board.timeout * 3)
    assert status.state == "connected"
    board.expect(r"app: Received Wi-Fi credentials")
    board.expect(r"\tSSID     : " + board.wifi.ssid)
    board.expect(r"\tPassword : \*\*\*\*\*\*\*\*")  # never the passphrase itself
    board.expect(r"app: Provisioning successful")
    board.online()


def test_wrong_password_then_the_right_one_in_the_same_session(provisioning_board):
    board = provisioning_board
    name = board.start_provisioning()
    client = board.client(name)
    client.establish_session(board.security())
    assert client.set_config(board.wifi.ssid.encode(), board.wifi.wrong_passphrase.encode()) == "Success"
    assert client.apply_config() == "Success"
    with pytest.raises(WifiFailed) as failure:
        client.wait_connected(poll_interval=0.5, timeout=board.timeout * 3)
    assert failure.value.reason == "AuthError"
    board.expect(r"E \(\d+\) app: Provisioning failed!")
    board.expect(r"\tReason : Wi-Fi station authentication failed")
    assert client.set_config(board.wifi.ssid.encode(), board.wifi.passphrase.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=0.5, timeout=board.timeout * 3).state == "connected"
    board.expect(r"app: Provisioning successful")
    board.online()


def test_already_provisioned_after_a_reset_until_the_credentials_are_erased(provisioning_board):
    board = provisioning_board
    name = board.start_provisioning()
    assert board.provision(name).state == "connected"
    board.online()

    board.interrupt()
    board.reset()
    board.expect(r"app: Already provisioned, starting Wi-Fi STA")
    board.online()

    assert board.start_provisioning() == name  # erased: it provisions again, under the same name
