"""Improv Wi-Fi on the USB console of the virtual board on MicroPython's unix port, driven by ESP Web Tools' own
client library (npm ``improv-wifi-serial-sdk`` under Node, ``improv_sdk_client.mjs``) and by the host CLI.

That runtime has both console traps a board has: a 0x03 from the host becomes KeyboardInterrupt
while the VM catches SIGINT (as a board's UART raises it unless ``micropython.kbd_intr(-1)``),
and ``print`` turns ``\\n`` into ``\\r\\n``. Every RPC packet the SDK sends holds 0x03, and the world
below has a 10-byte SSID, so a scan result holds a 0x0A: a front door that let Ctrl-C through or
printed its packets would fail here.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
from vboard_harness import FAST_WORLD, HOME_PASSPHRASE, HOME_SSID, ROOT, WRONG_PASSPHRASE, SerialHost
from vboard_harness import boards  # noqa: F401 - fixture

SDK_CLIENT = os.path.join(ROOT, "host_tests", "vboard", "improv_sdk_client.mjs")
PROV = os.path.join(ROOT, "scripts", "prov.py")
MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
TEN = "CoffeeShop"  # 10 bytes: its length byte in a scan result is a newline
WORLD = dict(FAST_WORLD, aps=FAST_WORLD["aps"] + [
    {"ssid": TEN, "bssid": "0a0b0c0d0e0f", "channel": 4, "rssi": -50, "auth": "OPEN"}])
IMPROV = ("--pty", "--runtime", "micropython", "--set", "improv_serial=true", "--set", "wifi_conn_attempts=2")


def sdk(board, *passwords, ssid=HOME_SSID):
    """Run the serial SDK against the board's pty; returns its JSON steps."""
    if shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "host_tests", "node_modules", "improv-wifi-serial-sdk")):
        if os.environ.get("CI"):
            pytest.fail("CI must provide node and host_tests/node_modules (npm ci --prefix host_tests)")
        pytest.skip("node or host_tests/node_modules/improv-wifi-serial-sdk missing (npm ci --prefix host_tests)")
    proc = subprocess.run(["node", SDK_CLIENT, board.pty_path(), ssid] + list(passwords), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    steps = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return steps


def test_esp_web_tools_client_wrong_password_then_the_right_one(boards):
    board = boards(*IMPROV, "--set", "improv_redirect_url=http://{ip}/", world=WORLD)
    board.expect(r"Provisioning started with service name : PROV_261FCC")
    steps = sdk(board, WRONG_PASSPHRASE, HOME_PASSPHRASE)
    info = [s for s in steps if s["step"] == "info"][0]
    assert (info["firmware"], info["version"], info["name"], info["state"]) == ("wifiprov", "0.1.0", "PROV_261FCC", 2)
    networks = [s for s in steps if s["step"] == "networks"][0]["networks"]
    assert {"name": TEN, "rssi": -50, "secured": False} in networks
    assert {"name": HOME_SSID, "rssi": -45, "secured": True} in networks
    provisions = [s for s in steps if s["step"] == "provision"]
    assert provisions == [{"step": "provision", "ok": False, "error": "UNABLE_TO_CONNECT"},
                          {"step": "provision", "ok": True, "nextUrl": "http://192.168.1.42/"}]
    board.expect(r"app: Provisioning failed!")
    board.expect(r"app: Provisioning successful")
    board.expect(r"app: Hello World!")  # the application runs on: nothing was interrupted
    assert "KeyboardInterrupt" not in board.console and "Traceback" not in board.console
    assert WRONG_PASSPHRASE not in board.console and HOME_PASSPHRASE not in board.console
    # Provisioning is over: Ctrl-C is the console's again.
    host = SerialHost(board.pty_path())
    try:
        host.send(b"\x03")
        assert b"KeyboardInterrupt" in host.read_until(b">>> ")
    finally:
        host.close()


def test_host_cli_over_the_pty(boards):
    board = boards(*IMPROV, world=WORLD)
    board.expect(r"Provisioning started with service name")
    base = [sys.executable, PROV, "--transport", "improv-serial", "--port", board.pty_path(), "--timeout", "60"]
    proc = subprocess.run(base + ["--ssid", HOME_SSID, "--passphrase", WRONG_PASSPHRASE], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 7, proc.stdout + proc.stderr
    assert "Improv state: ready" in proc.stdout and "Device: wifiprov 0.1.0" in proc.stdout
    proc = subprocess.run(base + ["--ssid", TEN, "--scan"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Provisioning was successful" in proc.stdout
    board.expect(r"app: Provisioning successful")


def test_ctrl_c_and_mpremote_still_stop_the_application_while_improv_listens(boards):
    board = boards(*IMPROV, world=WORLD)
    board.expect(r"Provisioning started with service name")
    result = subprocess.run([MPREMOTE, "connect", board.pty_path(), "exec", "print('after', 6 * 7)"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "after 42" in result.stdout, result.stdout + result.stderr
    assert "KeyboardInterrupt" in board.console  # mpremote's Ctrl-C stopped main.py, as on a board
