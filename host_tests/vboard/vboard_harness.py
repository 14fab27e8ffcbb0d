"""Runs scripts/vboard.py as a subprocess for the scenario tests: console capture, waits, host client."""

import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import vboard_mp
from wifiprov_host.client import ProvClient
from wifiprov_host.transport_http import HttpTransport

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VBOARD = os.path.join(ROOT, "scripts", "vboard.py")
PROV = os.path.join(ROOT, "scripts", "prov.py")


def unix_vm(bits):
    """``(path, None)`` of MicroPython's unix port with ``bits`` (64: PyPI's, 32: ``vboard_mp.I386_VM``), or
    ``(None, why not)``."""
    if bits == 64:
        path = vboard_mp.default_vm()
        return (path, None) if path else (None, "no micropython command: pip install -r requirements.txt")
    if os.access(vboard_mp.I386_VM, os.X_OK):
        return vboard_mp.I386_VM, None
    return None, "no 32-bit MicroPython at %s (../shared/tools beside the repository)" % vboard_mp.I386_VM

HOME_SSID = "MyHomeWiFiAP"
HOME_PASSPHRASE = "correct-horse-9"
WRONG_PASSPHRASE = "wrong-battery-7"

# Fast timings so a scenario takes seconds; otherwise the default world's access points.
FAST_WORLD = {
    "mac": "24:0a:c4:26:1f:cc",
    "ip": "192.168.1.42",
    "scan_ms": 150,
    "connect_ms": 300,
    "no_ap_ms": 400,
    "aps": [
        {"ssid": "InsecureWiFiAP", "bssid": "dca4caf1227c", "channel": 7, "rssi": -74, "auth": "OPEN"},
        {"ssid": "MobileHotspot", "bssid": "7a8a20841996", "channel": 11, "rssi": -46, "auth": "WPA2_PSK",
         "password": "hotspot-pass", "behaviour": "slow", "slow_ms": 1500},
        {"ssid": "NeighborsWiFiAP", "bssid": "8a8a20841996", "channel": 6, "rssi": -61, "auth": "WPA2_WPA3_PSK",
         "password": "not-yours", "behaviour": "refuses"},
        {"ssid": HOME_SSID, "bssid": "788a20841996", "channel": 1, "rssi": -45, "auth": "WPA2_PSK",
         "password": HOME_PASSPHRASE},
        {"ssid": HOME_SSID, "bssid": "788a208daa26", "channel": 11, "rssi": -54, "auth": "WPA3_PSK",
         "password": HOME_PASSPHRASE},
        {"ssid": "OfficeWiFi", "bssid": "021122334455", "channel": 3, "rssi": -70, "auth": "WPA2_PSK",
         "password": "office-pass", "behaviour": "absent"},
    ],
}
VISIBLE = [ap for ap in FAST_WORLD["aps"] if ap.get("behaviour") != "absent"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VirtualBoard:
    """One vboard process; ``console`` is everything the board printed so far (stdout)."""

    def __init__(self, tmp_path, *args, world=FAST_WORLD, port=None, reset_state=True):
        self.tmp_path = tmp_path
        self.port = port or free_port()
        self.state = str(tmp_path / "state")
        self.world_file = tmp_path / "world.json"
        self.world_file.write_text(json.dumps(world))
        self.args = list(args)
        self.lines = []
        self.stderr = []
        self._queue = queue.Queue()
        self._said = queue.Queue()
        self.process = None
        self.boot(reset_state)

    def boot(self, reset_state=False):
        """Power the board on (again), keeping the state directory unless ``reset_state``."""
        command = [sys.executable, VBOARD, "--http-port", str(self.port), "--state", self.state,
                   "--world", str(self.world_file)] + self.args
        if reset_state:
            command.append("--reset-state")
        self._queue = queue.Queue()
        self._said = queue.Queue()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines, self._queue), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr, self._said), daemon=True).start()

    @staticmethod
    def _pump(stream, sink, lines):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            sink.append(line)
            if lines is not None:
                lines.put(line)

    @property
    def console(self):
        return "\n".join(self.lines)

    def expect(self, pattern, timeout=20.0, stderr=False):
        """Wait for a console line (``stderr``: a line of vboard.py's own) matching the regular expression
        ``pattern``; returns the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        lines = self._said if stderr else self._queue
        while True:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(0.01, left))
            except queue.Empty:
                line = None
            if line is not None:
                found = regex.search(line)
                if found:
                    return found
            elif left <= 0 or self.process.poll() is not None:
                raise AssertionError("no console line matching %r within %g s; console:\n%s\nstderr:\n%s"
                                     % (pattern, timeout, self.console, "\n".join(self.stderr)))

    def pty_path(self):
        """The pseudo-terminal vboard.py --pty names (its first one, as it says it once)."""
        for line in list(self.stderr):
            found = re.search(r"console also on (\S+)", line)
            if found:
                return found.group(1)
        return self.expect(r"console also on (\S+)", stderr=True).group(1)

    def address(self):
        return "127.0.0.1:%d" % self.port

    def client(self):
        return ProvClient(HttpTransport(self.address(), timeout=15))

    def run_cli(self, *args, timeout=60):
        """Run scripts/prov.py against this board; returns the CompletedProcess (text)."""
        command = [sys.executable, PROV, "--transport", "softap", "--service_name", self.address()] + list(args)
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def power_off(self):
        """Cut the power: the board process group ends (nothing uncommitted survives)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@pytest.fixture
def boards(tmp_path):
    """``boot(*args, **kwargs)`` starts a VirtualBoard for the test; all are powered off at its end."""
    started = []

    def boot(*args, **kwargs):
        board = VirtualBoard(tmp_path, *args, **kwargs)
        started.append(board)
        return board

    yield boot
    for board in started:
        board.power_off()


class SerialHost:
    """The host end of a virtual board's pty, as a USB serial adapter gives it: bytes out, waits for bytes in."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)

    def send(self, data):
        os.write(self.fd, data)

    def read_until(self, needle, timeout=20.0):
        """What the board sends up to and including ``needle`` (bytes); fails after ``timeout`` s."""
        data = b""
        deadline = time.monotonic() + timeout
        while needle not in data:
            left = deadline - time.monotonic()
            assert left > 0, "%r not seen on the pty; got %r" % (needle, data[-600:])
            if select.select([self.fd], [], [], left)[0]:
                data += os.read(self.fd, 4096)
        return data

    def close(self):
        os.close(self.fd)


def assert_no_secrets(board, secrets, pop=None):
    """The console never shows ``secrets``; ``pop`` only in the QR payload / URL lines."""
    for secret in secrets:
        assert secret not in board.console, "secret %r on the console" % secret
    if pop:
        for line in board.lines:
            if pop in line:
                assert '"pop":"%s"' % pop in line, "PoP outside the QR payload: %r" % line
