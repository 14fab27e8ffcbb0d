#!/usr/bin/env python3
"""``make demo``: boot the virtual board, provision it over SoftAP/HTTP with the host CLI, then
restart it to show that it remembers the network. Prints both sides; exit code 0 on success.

The board runs the repository's own boot.py/main.py/lib (scripts/vboard.py) in the
default world (scripts/vboard_world.example.json), security 1 with PoP ``abcd1234``.
"""

import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable
POP = "abcd1234"
SSID = "MyHomeWiFiAP"
PASSPHRASE = "mypassword"  # the default world's password for MyHomeWiFiAP
CUSTOM_DATA = "Hello from the demo"
TIMEOUT_S = 60


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Side:
    """A child process whose output lines are printed with a prefix and kept for matching."""

    def __init__(self, prefix, command):
        self.lines = queue.Queue()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for stream, tag in ((self.process.stdout, prefix), (self.process.stderr, prefix.replace("|", ":"))):
            threading.Thread(target=self._pump, args=(stream, tag), daemon=True).start()

    def _pump(self, stream, tag):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            print(tag + " " + line, flush=True)
            self.lines.put(line)

    def expect(self, text, timeout=TIMEOUT_S):
        """Wait until a line containing ``text`` appears; True if it did in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if text in line:
                return True
        return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _banner(text):
    print("\n=== %s ===" % text, flush=True)


def _board(port, state, *extra):
    command = [PYTHON, "scripts/vboard.py", "--http-port", str(port), "--state", state,
               "--sec", "1", "--pop", POP] + list(extra)
    return Side("board  |", command)


def main():
    started = time.monotonic()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="wifiprov-demo-") as state:
        return _run(port, state, started)


def _run(port, state, started):
    _banner("1. Booting the virtual board (SoftAP server on 127.0.0.1:%d)" % port)
    board = _board(port, state, "--reset-state", "--qr")
    host = None
    try:
        if not board.expect("qrcode.html?data="):  # printed once the HTTP server listens
            print("demo: the board did not start provisioning", file=sys.stderr)
            return 1
        _banner("2. Provisioning it with the host CLI (scripts/prov.py, esp_prov flags)")
        command = [PYTHON, "scripts/prov.py", "--transport", "softap", "--service_name", "127.0.0.1:%d" % port,
                   "--sec_ver", "1", "--pop", POP, "--ssid", SSID, "--passphrase", PASSPHRASE,
                   "--custom_data", CUSTOM_DATA, "--poll-interval", "2"]
        print("$ " + " ".join(c if " " not in c else repr(c) for c in command[1:]), flush=True)
        host = Side("host   |", command)
        code = host.process.wait(TIMEOUT_S)
        if code != 0:
            print("demo: the host CLI failed (exit code %d)" % code, file=sys.stderr)
            return 1
        if not board.expect("Hello World!"):
            print("demo: the board did not come online", file=sys.stderr)
            return 1
        board.expect("Hello World!", timeout=3)
        board.stop()
        _banner("3. Restarting the board: it joins the stored network by itself")
        board = _board(port, state)
        if not board.expect("Already provisioned") or not board.expect("Hello World!"):
            print("demo: the board did not remember the network", file=sys.stderr)
            return 1
        board.expect("Hello World!", timeout=3)
    finally:
        board.stop()
        if host is not None:
            host.stop()
    _banner("Demo finished in %.1f s: provisioned over HTTP with security 1, credentials kept across a restart"
            % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
