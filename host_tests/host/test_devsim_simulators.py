"""The virtual board's simulators (scripts/devsim): network.WLAN as the ESP32 port behaves
(PLATFORM.md §A7), esp32.NVS persistence (§A8) and machine."""

import time

import pytest

import esp32
import machine
import network

WORLD = {
    "mac": "24:0a:c4:26:1f:cc",
    "scan_ms": 10,
    "connect_ms": 60,
    "no_ap_ms": 80,
    "aps": [
        {"ssid": "Home", "bssid": "788a20841996", "channel": 1, "rssi": -45, "auth": "WPA2_PSK", "password": "secret-1"},
        {"ssid": "Home", "bssid": "788a208daa26", "channel": 11, "rssi": -70, "auth": "WPA3_PSK", "password": "secret-1"},
        {"ssid": "Open", "bssid": "dca4caf1227c", "channel": 6, "rssi": -60, "auth": "OPEN"},
        {"ssid": "Gone", "bssid": "021122334455", "channel": 3, "rssi": -50, "auth": "WPA2_PSK", "password": "x",
         "behaviour": "absent"},
        {"ssid": "Grumpy", "bssid": "021122334466", "channel": 3, "rssi": -50, "auth": "WPA2_PSK", "password": "x",
         "behaviour": "refuses"},
        {"ssid": "Slow", "bssid": "021122334477", "channel": 3, "rssi": -50, "auth": "OPEN", "behaviour": "slow",
         "slow_ms": 500},
    ],
}


@pytest.fixture
def sta():
    network.configure(WORLD)
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    return wlan


def _settle(wlan, ms):
    time.sleep(ms / 1000)
    return wlan.status()


def test_scan_needs_an_active_station_and_skips_absent_access_points():
    network.configure(WORLD)
    wlan = network.WLAN(network.STA_IF)
    with pytest.raises(OSError):
        wlan.scan()
    wlan.active(True)
    found = wlan.scan()
    assert [(ap[0], ap[2], ap[4], ap[5]) for ap in found] == [
        (b"Home", 1, 3, False), (b"Home", 11, 6, False), (b"Open", 6, 0, False), (b"Grumpy", 3, 3, False),
        (b"Slow", 3, 0, False)]
    assert found[0][1] == bytes.fromhex("788a20841996")


def test_one_object_per_interface_and_macs():
    network.configure(WORLD)
    assert network.WLAN(network.STA_IF) is network.WLAN()
    assert network.WLAN(network.STA_IF).config("mac") == bytes.fromhex("240ac4261fcc") == machine.unique_id()
    assert network.WLAN(network.AP_IF).config("mac") == bytes.fromhex("240ac4261fcd")


def test_right_password_connects_after_the_attempt_time(sta):
    sta.connect("Home", "secret-1")
    assert sta.status() == network.STAT_CONNECTING and not sta.isconnected()
    assert _settle(sta, 90) == network.STAT_GOT_IP
    assert sta.isconnected() and sta.ifconfig()[0] == "192.168.1.42"
    assert sta.config("channel") == 1  # the first "Home" of the fast scan


def test_fast_scan_joins_the_lowest_channel_not_the_strongest_access_point():
    network.configure({"connect_ms": 20, "aps": [
        {"ssid": "Mesh", "bssid": "020000000001", "channel": 11, "rssi": -40, "auth": "OPEN"},
        {"ssid": "Mesh", "bssid": "020000000002", "channel": 6, "rssi": -80, "auth": "OPEN"},
        {"ssid": "Mesh", "bssid": "020000000003", "channel": 6, "rssi": -60, "auth": "OPEN"},
    ]})
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    wlan.connect("Mesh")
    assert _settle(wlan, 40) == network.STAT_GOT_IP
    assert (wlan.config("channel"), wlan.status("rssi")) == (6, -60)  # the strongest on the first channel


def test_wrong_password_with_one_try_reports_the_raw_reason(sta):
    sta.config(reconnects=0)
    sta.connect("Home", "wrong")
    assert _settle(sta, 90) == 15  # 4-way handshake timeout, passed through
    sta.connect("Home", "wrong")
    assert sta.status() == network.STAT_CONNECTING  # 15 is not sticky


def test_not_found_is_sticky_across_a_new_connect(sta):
    sta.config(reconnects=0)
    sta.connect("Gone", "x")
    assert _settle(sta, 110) == network.STAT_NO_AP_FOUND
    sta.connect("Home", "secret-1")
    assert sta.status() == network.STAT_NO_AP_FOUND  # the previous attempt's, until an event arrives
    assert _settle(sta, 90) == network.STAT_GOT_IP


def test_default_reconnects_retry_for_ever(sta):
    sta.connect("Grumpy", "x")
    time.sleep(0.2)
    assert sta.status() == network.STAT_CONNECTING
    sta.disconnect()
    assert sta.status() == network.STAT_IDLE


def test_refusing_access_point_reports_assoc_fail_and_slow_one_connects_late(sta):
    sta.config(reconnects=0)
    sta.connect("Grumpy", "x")
    assert _settle(sta, 90) == network.STAT_ASSOC_FAIL
    sta.connect("Slow")
    assert _settle(sta, 90) == network.STAT_CONNECTING
    assert _settle(sta, 500) == network.STAT_GOT_IP


def test_soft_ap_settings_and_address():
    network.configure(dict(WORLD, ap_ip="127.0.0.1"))
    ap = network.WLAN(network.AP_IF)
    ap.active(True)
    ap.config(ssid="PROV_261FCC", authmode=0, max_clients=5)
    assert ap.config("ssid") == "PROV_261FCC" and ap.ifconfig()[0] == "127.0.0.1"
    with pytest.raises(OSError):
        ap.config(key="short")


def test_nvs_keeps_only_committed_changes(tmp_path):
    path = str(tmp_path / "nvs.json")
    esp32.configure(path)
    nvs = esp32.NVS("wifiprov")
    nvs.set_blob("cred0", b"\x01\x02")
    nvs.set_i32("count", 7)
    assert nvs.get_i32("count") == 7
    nvs.commit()
    nvs.set_blob("cred1", b"lost")
    esp32.configure(path)  # power cycle
    nvs = esp32.NVS("wifiprov")
    buf = bytearray(8)
    assert nvs.get_blob("cred0", buf) == 2 and bytes(buf[:2]) == b"\x01\x02"
    with pytest.raises(OSError):
        nvs.get_blob("cred1", buf)
    with pytest.raises(OSError):
        nvs.get_blob("cred0", bytearray(1))
    with pytest.raises(OSError):
        nvs.set_i32("a_key_that_is_too_long", 1)
    nvs.erase_key("cred0")
    with pytest.raises(OSError):
        nvs.erase_key("cred0")
    esp32.configure(None)


def test_machine_reset_calls_the_hook():
    calls = []
    machine.set_reset_hook(calls.append)
    try:
        with pytest.raises(SystemExit):
            machine.reset()
        assert calls == [machine.HARD_RESET]
    finally:
        machine.set_reset_hook(None)


def test_button_file_is_a_press_of_the_pin_read_next(tmp_path):
    button = tmp_path / "button"
    machine.set_button_file(str(button))
    try:
        pin = machine.Pin(0, machine.Pin.IN, machine.Pin.PULL_UP)
        assert pin.value() == 1
        button.write_text("")
        assert (pin.value(), pin.value()) == (0, 0) and not button.exists()  # taken: held low for a moment
        time.sleep(0.35)
        assert pin.value() == 1
    finally:
        machine.set_button_file(None)
