#!/usr/bin/env python3
"""Virtual board: the repository's own boot.py + main.py + lib/ under CPython, with simulated hardware.

The board's console is this program's stdout (and, with ``--pty``, a pseudo-terminal
too); everything the virtual board itself says goes to stderr, prefixed ``vboard:``.
Simulated: ``network`` (a world of access points, see ``scripts/devsim/network.py`` and
``scripts/vboard_world.example.json``), ``esp32.NVS`` (kept in the state directory, so
a restart finds the stored credentials), ``machine`` (MAC, reset) and ``cryptolib``.
The SoftAP's HTTP server listens on 127.0.0.1:PORT instead of 192.168.4.1:80.

The board runs in a child process; ``machine.reset()`` ends it and it boots again, the
way a board restarts while the serial port stays open.

    python scripts/vboard.py --http-port 8080 --sec 1 --pop abcd1234
    python scripts/prov.py --transport softap --service_name 127.0.0.1:8080 --sec_ver 1 \\
        --pop abcd1234 --ssid MyHomeWiFiAP --passphrase mypassword
"""

import argparse
import json
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVSIM = os.path.join(ROOT, "scripts", "devsim")
LIB = os.path.join(ROOT, "lib")
DEFAULT_WORLD = os.path.join(ROOT, "scripts", "vboard_world.example.json")
DEFAULT_STATE = os.path.join(tempfile.gettempdir(), "wifiprov-vboard")
DEFAULT_HTTP_PORT = 8080

WORLD_FILE = "world.json"  # the world the board lives in
CONFIG_FILE = "wifiprov.json"  # the board's /wifiprov.json
NVS_FILE = "nvs.json"  # committed esp32.NVS contents

_RESET_EXIT = 3  # the board process asks to be booted again
_TICKS_PERIOD = 1 << 30  # MicroPython's ticks wrap here


def _say(text):
    sys.stderr.write("vboard: %s\n" % text)
    sys.stderr.flush()


# ---------------------------------------------------------------- the board process


def _install_micropython_time():
    """Give CPython's ``time`` and ``asyncio`` the MicroPython extensions the board code may use."""
    import asyncio

    start = time.monotonic()

    def ticks_ms():
        return int((time.monotonic() - start) * 1000) % _TICKS_PERIOD

    def ticks_us():
        return int((time.monotonic() - start) * 1000000) % _TICKS_PERIOD

    def ticks_add(ticks, delta):
        return (ticks + delta) % _TICKS_PERIOD

    def ticks_diff(a, b):
        return (a - b + _TICKS_PERIOD // 2) % _TICKS_PERIOD - _TICKS_PERIOD // 2

    time.ticks_ms = ticks_ms
    time.ticks_us = ticks_us
    time.ticks_add = ticks_add
    time.ticks_diff = ticks_diff
    time.sleep_ms = lambda ms: time.sleep(ms / 1000)
    time.sleep_us = lambda us: time.sleep(us / 1000000)
    asyncio.sleep_ms = lambda ms: asyncio.sleep(ms / 1000)


def _reset(cause):
    sys.stdout.flush()
    os._exit(_RESET_EXIT)


def run_board(state):
    """Boot the board whose world, settings and NVS live in ``state`` (runs until reset or error)."""
    with open(os.path.join(state, WORLD_FILE)) as f:
        world = json.load(f)
    sys.path[:0] = [DEVSIM, LIB]
    _install_micropython_time()
    import esp32
    import machine
    import network

    network.configure(world)
    esp32.configure(os.path.join(state, NVS_FILE))
    machine.set_reset_hook(_reset)
    from wifiprov import config

    config.DEFAULT_PATH = os.path.join(state, CONFIG_FILE)  # the board's /wifiprov.json
    sys.stdout.reconfigure(line_buffering=True)
    try:
        for name in ("boot.py", "main.py"):
            runpy.run_path(os.path.join(ROOT, name), run_name="__main__")
    except KeyboardInterrupt:
        return 130
    return 0


# ---------------------------------------------------------------- the supervisor ("USB cable")


def _parse(argv):
    parser = argparse.ArgumentParser(
        description="Run the example application on a virtual ESP32 (simulated Wi-Fi, NVS, MAC).",
        epilog="Without --world the default world (%s) is used. The state directory keeps the "
        "board's NVS (stored credentials) between runs; --reset-state erases it first." % DEFAULT_WORLD,
    )
    parser.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT, metavar="PORT",
                        help="SoftAP HTTP server port on 127.0.0.1 (default %d)" % DEFAULT_HTTP_PORT)
    parser.add_argument("--sec", type=int, choices=(0, 1, 2), help="security scheme (board default: 1)")
    parser.add_argument("--pop", help="proof of possession for security 1 (board default: abcd1234; '' = none)")
    parser.add_argument("--sec2-user", metavar="USER", help="security 2 username (default wifiprov)")
    parser.add_argument("--sec2-pass", metavar="PASSWORD",
                        help="security 2 password: a salt and verifier are derived as esp_prov does; "
                        "the board gets only those")
    parser.add_argument("--sec2-salt", metavar="HEX", help="security 2 salt (with --sec2-verifier)")
    parser.add_argument("--sec2-verifier", metavar="HEX", help="security 2 verifier (with --sec2-salt)")
    parser.add_argument("--world", metavar="FILE", help="world JSON (access points, MAC, timings)")
    parser.add_argument("--state", metavar="DIR", default=DEFAULT_STATE,
                        help="state directory (default %s)" % DEFAULT_STATE)
    parser.add_argument("--reset-state", action="store_true", help="erase the NVS (stored credentials) first")
    parser.add_argument("--qr", action="store_true", help="draw the QR code on the console (show_qr)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other /wifiprov.json setting, VALUE as JSON (e.g. --set wifi_conn_attempts=2)")
    parser.add_argument("--pty", action="store_true", help="also offer the console on a pseudo-terminal")
    args = parser.parse_args(argv)
    if (args.sec2_salt is None) != (args.sec2_verifier is None):
        parser.error("--sec2-salt and --sec2-verifier go together")
    if args.sec2_pass is not None and args.sec2_salt is not None:
        parser.error("give --sec2-pass or --sec2-salt/--sec2-verifier, not both")
    return args, parser


def _settings(args, parser):
    """The board's /wifiprov.json for ``args`` (checked with the board's own validation)."""
    settings = {"transport": "softap", "http_port": args.http_port}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error("--set needs KEY=VALUE, got %r" % item)
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    if args.sec is not None:
        settings["security"] = args.sec
    if args.pop is not None:
        settings["pop"] = args.pop or None
    sec2 = args.sec2_user is not None or args.sec2_pass is not None or args.sec2_salt is not None
    if sec2:
        if args.sec not in (None, 2):
            parser.error("--sec2-* options need --sec 2")
        settings["security"] = 2
        settings["sec2_username"] = args.sec2_user or "wifiprov"
    if args.sec2_pass is not None:
        from wifiprov_host import credentials

        pair = credentials.generate(settings["sec2_username"], args.sec2_pass)
        for warning in pair.warnings:
            _say("warning: " + warning)
        settings["sec2_salt"] = pair.salt.hex()
        settings["sec2_verifier"] = pair.verifier.hex()
    elif args.sec2_salt is not None:
        settings["sec2_salt"] = args.sec2_salt
        settings["sec2_verifier"] = args.sec2_verifier
    if args.qr:
        settings["show_qr"] = True
    from wifiprov import config

    try:
        config.merge(settings)
    except ValueError as exc:
        parser.error("board settings: %s" % exc)
    return settings


def _world(args, parser):
    path = args.world or DEFAULT_WORLD
    try:
        with open(path) as f:
            world = json.load(f)
    except (OSError, ValueError) as exc:
        parser.error("world %s: %s" % (path, exc))
    world["ap_ip"] = "127.0.0.1"
    import network

    try:
        network.configure(world)
    except (KeyError, TypeError, ValueError) as exc:
        parser.error("world %s: %s" % (path, exc))
    return path, world


def _describe(world_path, settings, state):
    import network

    info = network.world()
    _say("world %s: station MAC %s, %d access point(s):" % (world_path, info["mac"].hex(":"), len(info["aps"])))
    _say("  %-20s %-17s %3s %5s %-14s %-14s %s" % ("SSID", "BSSID", "CH", "RSSI", "AUTH", "PASSWORD", "BEHAVIOUR"))
    for ap in info["aps"]:
        password = ap.password.decode() if ap.password is not None else "-"
        _say("  %-20s %-17s %3d %5d %-14s %-14s %s" % (
            ap.ssid.decode(errors="replace") or "(hidden)", ap.bssid.hex(":"), ap.channel, ap.rssi,
            network.AUTH_NAMES[ap.auth] if ap.auth < len(network.AUTH_NAMES) else ap.auth, password,
            ap.behaviour or ""))
    nvs = os.path.join(state, NVS_FILE)
    _say("state %s (NVS %s)" % (state, "present" if os.path.exists(nvs) else "empty"))
    port = settings["http_port"]
    _say("SoftAP HTTP server: 127.0.0.1:%d (192.168.4.1:80 on a board)" % port)
    security = settings.get("security", 1)
    hint = "python scripts/prov.py --transport softap --service_name 127.0.0.1:%d --sec_ver %d" % (port, security)
    if security == 1 and settings.get("pop", "abcd1234"):
        hint += " --pop %s" % settings.get("pop", "abcd1234")
    if security == 2:
        hint += " --sec2_username %s --sec2_pwd <password>" % settings.get("sec2_username", "wifiprov")
    _say("provision it with: " + hint + " --ssid <SSID> --passphrase <PASSWORD>")


class _Console:
    """Copies the board's output to stdout and, with a pty, to the pty (CR LF line ends there)."""

    def __init__(self, use_pty):
        self.master = None
        self.reboot_requested = threading.Event()
        if use_pty:
            import pty
            import tty

            self.master, slave = pty.openpty()
            tty.setraw(slave)  # a serial line: bytes pass through untouched in both directions
            _say("console also on %s" % os.ttyname(slave))
            self._slave = slave  # keep it open so the pty survives clients coming and going

    def write(self, data):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        if self.master is not None:
            try:
                os.write(self.master, data.replace(b"\n", b"\r\n"))
            except OSError:
                pass

    def watch_input(self, board):
        """Ctrl-C interrupts the board, Ctrl-D soft-resets it (as MicroPython's REPL keys)."""
        if self.master is None:
            return

        def loop():
            while True:
                try:
                    data = os.read(self.master, 64)
                except OSError:
                    return
                if b"\x03" in data and board[0] is not None:
                    board[0].send_signal(signal.SIGINT)
                if b"\x04" in data and board[0] is not None:
                    self.reboot_requested.set()
                    board[0].terminate()

        threading.Thread(target=loop, daemon=True).start()


def _board_preexec():
    try:  # Linux: the board dies with its supervisor
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def supervise(argv):
    """Prepare the state directory, then boot the board again and again until it stops for good."""
    args, parser = _parse(argv)
    sys.path[:0] = [DEVSIM, LIB]  # the board's own modules check the settings and the world
    settings = _settings(args, parser)
    world_path, world = _world(args, parser)
    state = os.path.abspath(args.state)
    if args.reset_state and os.path.isdir(state):
        shutil.rmtree(state)
        _say("state erased")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, WORLD_FILE), "w") as f:
        json.dump(world, f, indent=1)
    with open(os.path.join(state, CONFIG_FILE), "w") as f:
        json.dump(settings, f, indent=1)
    _describe(world_path, settings, state)
    console = _Console(args.pty)
    board = [None]
    console.watch_input(board)

    def stop(signum, frame):
        if board[0] is not None:
            board[0].terminate()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    command = [sys.executable, os.path.abspath(__file__), "--board", state]
    try:
        while True:
            board[0] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=_board_preexec)
            while True:
                data = os.read(board[0].stdout.fileno(), 4096)
                if not data:
                    break
                console.write(data)
            code = board[0].wait()
            if code == _RESET_EXIT or console.reboot_requested.is_set():
                console.reboot_requested.clear()
                _say("board reset, booting again")
                continue
            _say("board stopped (exit code %d)" % code)
            return code
    except KeyboardInterrupt:
        if board[0] is not None:
            board[0].wait()
        return 130


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--board"]:
        sys.exit(run_board(arguments[1]))
    sys.exit(supervise(arguments))
