#!/usr/bin/env python3
"""Puts wifiprov on a board and looks after it there: the mpremote and mpy-cross commands behind the Makefile.

Every command is printed before it runs; with ``--dry-run`` it is only printed (``make -n``
runs this script that way, so what it shows is exactly what would run).

    deploy.py files                            the device files, as "repository path -> board path"
    deploy.py mpy [--compat 1.22] [--out DIR]  compile lib/ to .mpy (default DIR: build/mpy or build/mpy-1.22)
    deploy.py deploy --port P [--mpy] [--config FILE] [--no-mip] [--frozen]
    deploy.py erase --port P                   forget the stored Wi-Fi credentials, then reset
    deploy.py new-secret --port P              forget the per-device PoP / SRP password, then reset
    deploy.py romfs [--out FILE]               build a ROMFS image of lib/ (.mpy) for ROMFS-enabled firmware
    deploy.py monitor --port P                 print what the board says (read-only)

Device files are everything under lib/ (but caches and build output), boot.py and
main.py, and the settings file (``--config``, default ``wifiprov.json`` if it exists)
as ``/wifiprov.json``. Nothing else goes to the board. ``mpy`` turns each lib/ module
into bytecode .mpy except one with native code (viper), which stays source.
"""

import argparse
import ast
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = "lib"
ENTRY_POINTS = ("boot.py", "main.py")
DEFAULT_CONFIG = "wifiprov.json"
BOARD_CONFIG = "wifiprov.json"
BUILD = "build"
# mip packages for a GATT peripheral (PLATFORM.md §A6); aioble-security only for pairing/bonding.
AIOBLE = ("aioble-core", "aioble-peripheral", "aioble-server")
AIOBLE_SECURITY = "aioble-security"
OLDEST = (1, 22)  # the oldest MicroPython wifiprov supports
# MicroPython versions whose .mpy sub-version today's mpy-cross does not write: mpy-cross -c VERSION.
COMPAT = {(1, 22): "1.22"}
# Decorators that make machine code. A .mpy holding it loads only on one architecture and
# .mpy sub-version (PLATFORM.md §A11), so such a module ships as source: the board's own
# compiler always matches the board, and a port without a native emitter refuses it at
# import, where the library falls back to pure Python.
NATIVE_DECORATORS = ("native", "viper", "asm_thumb", "asm_xtensa", "asm_rv32")


class Failure(Exception):
    """A one-line error for the user."""


# ---------------------------------------------------------------- what goes to the board


def device_files(config=None):
    """``[(repository path, board path), ...]`` of every file that belongs on the board."""
    files = []
    for folder, dirs, names in os.walk(os.path.join(ROOT, LIB)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name.endswith((".pyc", ".mpy")):
                continue
            rel = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
            files.append((rel, rel))
    for name in ENTRY_POINTS:
        if os.path.exists(os.path.join(ROOT, name)):
            files.append((name, name))
    if config:
        files.append((config, BOARD_CONFIG))
    return files


def has_native_code(source):
    """True if the module at ``source`` (a repository path) has a ``@micropython.native``, ``viper`` or asm function."""
    with open(os.path.join(ROOT, source)) as f:
        tree = ast.parse(f.read(), source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Attribute) and isinstance(decorator.value, ast.Name)
                        and decorator.value.id == "micropython" and decorator.attr in NATIVE_DECORATORS):
                    return True
    return False


def default_config():
    """``wifiprov.json`` in the repository if there is one, else None (the board's defaults apply)."""
    return DEFAULT_CONFIG if os.path.exists(os.path.join(ROOT, DEFAULT_CONFIG)) else None


def aioble_packages():
    """The mip packages the device code needs: ``(packages, reason)``; none if nothing imports aioble."""
    users, pairing = [], False
    for source, _ in device_files():
        if not source.endswith(".py"):
            continue
        with open(os.path.join(ROOT, source)) as f:
            tree = ast.parse(f.read(), source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [node.module + "." + alias.name for alias in node.names]
            elif isinstance(node, ast.Attribute) and node.attr == "pair":
                pairing = True
                continue
            else:
                continue
            if any(name == "aioble" or name.startswith("aioble.") for name in names):
                users.append(source)
            if "aioble.security" in names:
                pairing = True
    if not users:
        return [], "no device module imports aioble"
    packages = list(AIOBLE) + ([AIOBLE_SECURITY] if pairing else [])
    why = "%s import%s aioble" % (", ".join(sorted(set(users))), "s" if len(set(users)) == 1 else "")
    why += "; pairing code needs aioble-security" if pairing else "; no pairing code, so no aioble-security"
    return packages, why


# ---------------------------------------------------------------- running commands


class Runner:
    """Prints each command (shell-quoted) and runs it unless ``dry_run``."""

    def __init__(self, dry_run):
        self.dry_run = dry_run

    def say(self, text):
        print(("# " if self.dry_run else "== ") + text, flush=True)

    def run(self, command, capture=False):
        print(shlex.join(command), flush=True)
        if self.dry_run:
            return ""
        try:
            proc = subprocess.run(command, cwd=ROOT, text=True, stdout=subprocess.PIPE if capture else None)
        except OSError as exc:
            raise Failure("cannot run %s: %s" % (command[0], exc.strerror))
        if capture:
            sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            raise Failure("%s failed (exit status %d)" % (os.path.basename(command[0]), proc.returncode))
        return proc.stdout or ""

    def copy(self, source, target):
        print(shlex.join(["cp", source, target]), flush=True)
        if not self.dry_run:
            shutil.copyfile(os.path.join(ROOT, source), os.path.join(ROOT, target))


def tool(name):
    """The command for ``name``: the one next to this Python (the project's .venv) or on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(beside):
        return os.path.relpath(beside, ROOT) if beside.startswith(ROOT + os.sep) else beside
    found = shutil.which(name)
    if found is None:
        raise Failure("%s is not installed: run `make setup` (pip install -r requirements.txt)" % name)
    return name


def mpremote(port, *commands):
    return [tool("mpremote"), "connect", port] + list(commands)


# ---------------------------------------------------------------- .mpy


def mpy_dir(compat):
    return os.path.join(BUILD, "mpy-" + compat if compat else "mpy")


def compile_mpy(runner, compat, out):
    """Compile every lib/ module to ``out``/lib/...mpy; one with native code is copied there as source.

    Returns ``[(built path, board path), ...]``.
    """
    command = [tool("mpy-cross")] + (["-c", compat] if compat else [])
    built = []
    for source, board in device_files():
        if not source.startswith(LIB + "/") or not source.endswith(".py"):
            continue
        native = has_native_code(source)
        target = os.path.join(out, source if native else source[:-3] + ".mpy")
        if not runner.dry_run:
            os.makedirs(os.path.join(ROOT, os.path.dirname(target)), exist_ok=True)
        if native:
            runner.say("%s has native code: it stays source, the board compiles it for itself" % source)
            runner.copy(source, target)
        else:
            runner.run(command + ["-o", target, "-s", source[len(LIB) + 1:], source])
        built.append((target.replace(os.sep, "/"), board if native else board[:-3] + ".mpy"))
    return built


def version_command(port):
    return mpremote(port, "exec", 'import sys; print("version:", sys.implementation.name, '
                                  'sys.implementation.version[0], sys.implementation.version[1])')


def board_version(runner, port):
    """``(implementation, (major, minor))`` the board reports over its REPL."""
    found = re.search(r"version: (\S+) (\d+) (\d+)", runner.run(version_command(port), capture=True))
    if not found:
        raise Failure("the board did not say its MicroPython version (is it running MicroPython?)")
    return found.group(1), (int(found.group(2)), int(found.group(3)))


# ---------------------------------------------------------------- commands


def copy_commands(port, files):
    """One mpremote run: create the folders, drop stale files in them, copy ``files`` (``(local, board)``)."""
    folders = {}
    for local, board in files:
        folder = board.rpartition("/")[0]
        folders.setdefault(folder, []).append((local, board))
    lib_folders = set()
    for folder in folders:
        while folder.startswith(LIB + "/"):
            lib_folders.add(folder)
            folder = folder.rpartition("/")[0]
    lib_folders = sorted(lib_folders)
    command = mpremote(port)
    if lib_folders or LIB in folders:
        quote = '"%s"'.__mod__  # double quotes: the printed command stays readable in single quotes
        prepare = ["import os"]
        for folder in [LIB] + lib_folders:
            parent, _, name = folder.rpartition("/")
            prepare.append("%s in os.listdir(%s) or os.mkdir(%s)" % (quote(name), quote(parent or "/"), quote(folder)))
        for folder in lib_folders:
            names = [board.rpartition("/")[2] for _, board in folders.get(folder, [])]
            names += [sub.rpartition("/")[2] for sub in lib_folders if sub.rpartition("/")[0] == folder]
            prepare.append("[os.remove(%s + n) for n in os.listdir(%s) if n not in %s.split()]"
                           % (quote(folder + "/"), quote(folder), quote(" ".join(names))))
        command += ["exec", "; ".join(prepare)]
    for folder in [LIB] + lib_folders:  # stale files are removed only in our own folders, not in /lib
        if folder in folders:
            command += ["+", "cp"] + [local for local, _ in folders[folder]] + [":" + folder + "/"]
    for local, board in folders.get("", []):
        command += ["+", "cp", local, ":" + board]
    return [word for i, word in enumerate(command) if not (word == "+" and command[i - 1] == port)]


def cmd_files(args):
    for local, board in device_files(args.config if args.config is not None else default_config()):
        print("%s -> /%s" % (local, board))


def cmd_mpy(args):
    runner = Runner(args.dry_run)
    out = args.out or mpy_dir(args.compat)
    runner.say("compile lib/ to .mpy in %s/ (%s)" % (
        out, "mpy-cross -c %s, .mpy 6.2 for MicroPython %s" % (args.compat, args.compat) if args.compat
        else "today's mpy-cross, .mpy 6.3 for MicroPython v1.23 and later"))
    built = compile_mpy(runner, args.compat, out)
    runner.say("%d modules compiled; boot.py and main.py stay source (a board runs only those as .py)"
               % sum(1 for path, _ in built if path.endswith(".mpy")))


def build_romfs(runner, out):
    """Write a ROMFS image of lib/ to ``out``: the modules as .mpy (native ones as source) under ``lib/``,
    where a ROMFS-enabled firmware finds them (``/rom/lib`` is on its ``sys.path``)."""
    stage = os.path.join(BUILD, "romfs")
    if not runner.dry_run:
        shutil.rmtree(os.path.join(ROOT, stage), ignore_errors=True)
    compile_mpy(runner, None, stage)
    runner.say("pack %s/ into %s" % (stage, out))
    if runner.dry_run:
        return
    from mpremote.romfs import make_romfs

    image = make_romfs(os.path.join(ROOT, stage), mpy_cross=False)
    with open(os.path.join(ROOT, out), "wb") as f:
        f.write(image)
    runner.say("%d bytes: mpremote romfs deploy %s (the board's ROMFS partition must hold them)" % (len(image), out))


def cmd_romfs(args):
    build_romfs(Runner(args.dry_run), args.out or os.path.join(BUILD, "wifiprov.romfs"))


def cmd_deploy(args):
    runner = Runner(args.dry_run)
    config = args.config if args.config is not None else default_config()
    if config and not os.path.exists(os.path.join(ROOT, config)):
        raise Failure("no such settings file: %s" % config)
    files = device_files(config)
    if args.frozen:
        files = [(local, board) for local, board in files if not board.startswith(LIB + "/")]
    elif args.mpy:
        if runner.dry_run:
            runner.say("MPY=1: ask the board for its MicroPython version, then compile for it:")
            runner.run(version_command(args.port))
            runner.say("v1.22 -> mpy-cross -c 1.22 into %s/; v1.23 and later (shown) -> %s/"
                       % (mpy_dir("1.22"), mpy_dir(None)))
            compat = None
        else:
            runner.say("ask the board for its MicroPython version (MPY=1)")
            implementation, version = board_version(runner, args.port)
            if implementation != "micropython":
                raise Failure("MPY=1 needs MicroPython on the board; it runs %s" % implementation)
            if version < OLDEST:
                raise Failure("the board runs MicroPython v%d.%d; wifiprov needs v1.22 or later" % version)
            compat = COMPAT.get(version)
        runner.say("compile lib/ for the board" + (" (mpy-cross -c %s)" % compat if compat else ""))
        built = compile_mpy(runner, compat, mpy_dir(compat))
        files = built + [(local, board) for local, board in files if not board.startswith(LIB + "/")]
    runner.say("copy %d files to %s (unchanged files are skipped; stale files in its lib/ folders are removed)"
               % (len(files), args.port))
    runner.run(copy_commands(args.port, files))
    packages, why = aioble_packages()
    if args.frozen:
        runner.say("FROZEN=1: lib/ and aioble are frozen into the firmware, nothing to install")
    elif not packages or args.no_mip:
        runner.say("no mip install (%s)" % ("MIP=0" if packages else why))
    else:
        runner.say("install aioble from micropython-lib (needs internet): " + why)
        runner.run(mpremote(args.port, "mip", "install") + packages)
    runner.say("reset the board: it boots the new code")
    runner.run(mpremote(args.port, "reset"))


def cmd_erase(args):
    runner = Runner(args.dry_run)
    runner.say("erase the stored Wi-Fi credentials on %s (nothing else), then reset: it provisions again"
               % args.port)
    runner.run(mpremote(args.port, "exec", "import esp32; from wifiprov.store import NvsStore; "
                                           'NvsStore(esp32).erase(); print("wifiprov: credentials erased")',
                        "+", "reset"))


def cmd_new_secret(args):
    runner = Runner(args.dry_run)
    runner.say("forget the per-device secret on %s (pop/sec2_password \"random\"), then reset: it draws a new "
               "one, shown in the QR payload; clients need the new one" % args.port)
    runner.run(mpremote(args.port, "exec", "import esp32; from wifiprov import device_secret; "
                                           'device_secret.forget(esp32); print("wifiprov: per-device secret forgotten")',
                        "+", "reset"))


def cmd_monitor(args):
    import serial

    print("== %s at 115200 baud, read-only (Ctrl-C quits; press the board's reset button to see it boot)"
          % args.port, flush=True)
    try:
        port = serial.serial_for_url(args.port, 115200, timeout=0.2)
    except (OSError, serial.SerialException) as exc:
        raise Failure("cannot open %s: %s" % (args.port, exc))
    try:
        while True:
            data = port.read(4096)
            if data:
                sys.stdout.buffer.write(data.replace(b"\r\n", b"\n"))
                sys.stdout.buffer.flush()
    except KeyboardInterrupt:
        print()
    except (OSError, serial.SerialException) as exc:
        raise Failure("%s: %s" % (args.port, exc))
    finally:
        port.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_port(p):
        p.add_argument("--port", required=True, help="the board's serial port (/dev/ttyUSB0, a pty, socket://...)")
        p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
        return p

    p = sub.add_parser("files", help="list the device files")
    p.add_argument("--config", help="settings file to deploy as /wifiprov.json ('' = none)")
    p.set_defaults(func=cmd_files)
    p = sub.add_parser("mpy", help="compile lib/ to .mpy")
    p.add_argument("--compat", choices=sorted(COMPAT.values()), help="compile for this MicroPython version")
    p.add_argument("--out", help="output folder (default build/mpy or build/mpy-VERSION)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.set_defaults(func=cmd_mpy)
    p = with_port(sub.add_parser("deploy", help="copy the device files to a board"))
    p.add_argument("--config", help="settings file to deploy as /wifiprov.json (default: wifiprov.json if "
                   "present; '' = none)")
    p.add_argument("--mpy", action="store_true", help="deploy lib/ as .mpy compiled for the board's version")
    p.add_argument("--no-mip", action="store_true", help="do not install aioble with mip")
    p.add_argument("--frozen", action="store_true", help="the firmware has lib/ and aioble frozen in: copy only "
                   "boot.py, main.py and the settings")
    p.set_defaults(func=cmd_deploy)
    p = with_port(sub.add_parser("erase", help="erase the stored Wi-Fi credentials"))
    p.set_defaults(func=cmd_erase)
    p = sub.add_parser("romfs", help="build a ROMFS image of lib/ (bytecode run from flash, not copied to RAM)")
    p.add_argument("--out", help="image file (default build/wifiprov.romfs)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.set_defaults(func=cmd_romfs)
    p = with_port(sub.add_parser("new-secret", help="make the board draw a new per-device PoP / SRP password"))
    p.set_defaults(func=cmd_new_secret)
    p = sub.add_parser("monitor", help="print the board's console")
    p.add_argument("--port", required=True)
    p.set_defaults(func=cmd_monitor)
    args = parser.parse_args(argv)
    if getattr(args, "port", None) == "":
        parser.error("--port is empty")
    try:
        args.func(args)
    except Failure as exc:
        print("%s: %s" % (os.path.basename(sys.argv[0]) or "deploy.py", exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
