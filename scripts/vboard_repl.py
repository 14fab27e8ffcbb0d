"""The virtual board's REPL: MicroPython's friendly, raw and raw-paste REPL on the serial console, over CPython.

It speaks what mpremote and pytest-embedded expect from a board (``mp:shared/runtime/pyexec.c``):
``>>> `` with echo, ``\\r`` (or ``\\n``) as Enter; Ctrl-A raw REPL (``raw REPL; CTRL-B to
exit`` then ``>``; code up to Ctrl-D answered ``OK`` + output + ``\\x04`` + error + ``\\x04``);
Ctrl-E A Ctrl-A raw-paste with flow control; Ctrl-B back to the friendly REPL; Ctrl-D on
an empty line a soft reset; Ctrl-C interrupts running code. Not modelled: auto-indent, paste
mode (Ctrl-E in the friendly REPL), history and cursor keys.

The board's file system is a host directory: ``open`` and ``os`` in the board's ``__main__``
(boot.py, main.py, the REPL) see it as ``/`` and cannot leave it.
"""

import builtins
import codeop
import errno
import os
import posixpath
import queue
import signal
import sys
import threading
import traceback
import types

BANNER = ('MicroPython v1.27.0 on 2025-12-09; Generic ESP32 module with ESP32 (virtual board)\n'
          'Type "help()" for more information.\n')
RAW_BANNER = "raw REPL; CTRL-B to exit\n"
SOFT_REBOOT = "MPY: soft reboot\n"

_CTRL_A, _CTRL_B, _CTRL_C, _CTRL_D, _CTRL_E = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"
_RAW_PASTE_WINDOW = 256  # bytes the host may send before it waits for a \x01
_S_IFDIR = 0x4000
_S_IFREG = 0x8000
_FS_BLOCK = 4096
_FS_BLOCKS = 512  # a 2 MiB file system, as on a 4 MiB ESP32


class SoftReset(BaseException):
    """The board soft-resets: back to boot.py in the friendly (``raw`` False) or raw REPL."""

    def __init__(self, raw):
        super().__init__(raw)
        self.raw = raw


# ---------------------------------------------------------------- the board's file system


class BoardFs:
    """The board's file system ``/`` kept in the host directory ``root``."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.cwd = "/"

    def host(self, path):
        """The host path for the board path ``path`` (never outside ``root``)."""
        if not isinstance(path, str):
            raise TypeError("can't convert %s to str" % type(path).__name__)
        board = posixpath.normpath(posixpath.join(self.cwd, path))
        return os.path.join(self.root, board.lstrip("/")) if board != "/" else self.root

    def open(self, path, mode="r", *args, **kwargs):
        """Board ``open``: a file in the board's file system."""
        return _os_error(builtins.open, self.host(path), mode, *args, **kwargs)

    def module(self):
        """A stand-in for MicroPython's ``os`` on this file system."""
        os_module = types.ModuleType("os")
        os_module.sep = "/"
        for name in ("listdir", "ilistdir", "stat", "statvfs", "mkdir", "rmdir", "remove", "rename",
                     "getcwd", "chdir", "sync", "uname", "urandom"):
            setattr(os_module, name, getattr(self, "os_" + name))
        return os_module

    def os_listdir(self, path=""):
        return sorted(_os_error(os.listdir, self.host(path)))

    def os_ilistdir(self, path=""):
        folder = self.host(path)
        for name in sorted(_os_error(os.listdir, folder)):
            info = os.stat(os.path.join(folder, name))
            kind = _S_IFDIR if os.path.isdir(os.path.join(folder, name)) else _S_IFREG
            yield (name, kind, 0, 0 if kind == _S_IFDIR else info.st_size)

    def os_stat(self, path):
        info = _os_error(os.stat, self.host(path))
        kind = _S_IFDIR if os.path.isdir(self.host(path)) else _S_IFREG
        size = 0 if kind == _S_IFDIR else info.st_size
        mtime = int(info.st_mtime)
        return (kind, 0, 0, 0, 0, 0, size, mtime, mtime, mtime)

    def os_statvfs(self, path="/"):
        used = 0
        for folder, _, files in os.walk(self.root):
            used += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        free = max(0, _FS_BLOCKS - (used + _FS_BLOCK - 1) // _FS_BLOCK)
        return (_FS_BLOCK, _FS_BLOCK, _FS_BLOCKS, free, free, 0, 0, 0, 0, 255)

    def os_mkdir(self, path):
        _os_error(os.mkdir, self.host(path))

    def os_rmdir(self, path):
        _os_error(os.rmdir, self.host(path))

    def os_remove(self, path):
        _os_error(os.remove, self.host(path))

    def os_rename(self, old, new):
        _os_error(os.replace, self.host(old), self.host(new))

    def os_getcwd(self):
        return self.cwd

    def os_chdir(self, path):
        if not os.path.isdir(self.host(path)):
            raise OSError(errno.ENOENT, "ENOENT")
        self.cwd = posixpath.normpath(posixpath.join(self.cwd, path))

    def os_sync(self):
        pass

    def os_uname(self):
        return ("esp32", "esp32", "1.27.0", "v1.27.0 on 2025-12-09 (virtual board)",
                "Generic ESP32 module with ESP32")

    def os_urandom(self, n):
        return os.urandom(n)


def _os_error(function, *args, **kwargs):
    """Call ``function``; an ``OSError`` comes out as MicroPython raises it (plain ``OSError``, errno only)."""
    try:
        return function(*args, **kwargs)
    except OSError as exc:
        raise OSError(exc.errno or errno.EIO, errno.errorcode.get(exc.errno, "EIO")) from None


def board_namespace(fs):
    """A fresh ``__main__`` for boot.py, main.py and the REPL: ``open`` and ``import os`` use ``fs``."""
    os_module = fs.module()
    board_builtins = dict(builtins.__dict__)

    def board_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in ("os", "uos"):
            return os_module
        return builtins.__import__(name, globals, locals, fromlist, level)

    board_builtins["open"] = fs.open
    board_builtins["__import__"] = board_import
    return {"__name__": "__main__", "__builtins__": board_builtins}


def format_exception(exc, lib_dir=None):
    """A traceback as MicroPython prints it: board code frames only, ``OSError: [Errno 2] ENOENT``.

    Board code is ``<stdin>``, ``boot.py``, ``main.py`` and modules under ``lib_dir``
    (shown as ``lib/...``); frames of the host's Python and the simulators are left out.
    """
    lines = ["Traceback (most recent call last):\n"]
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if lib_dir and name.startswith(lib_dir + os.sep):
            name = "lib/" + os.path.relpath(name, lib_dir).replace(os.sep, "/")
        elif os.path.isabs(name):
            continue
        lines.append('  File "%s", line %d, in %s\n' % (name, frame.lineno, frame.name))
    if isinstance(exc, OSError) and exc.errno is not None:
        text = "OSError: [Errno %d] %s" % (exc.errno, errno.errorcode.get(exc.errno, exc.strerror))
    elif isinstance(exc, SyntaxError):
        text = "SyntaxError: %s" % exc.msg
    else:
        text = "%s: %s" % (type(exc).__name__, exc)
    lines.append(text + "\n")
    return "".join(lines)


# ---------------------------------------------------------------- the console


class Console:
    """The board's serial console: bytes in from fd 0 (a reader thread), text out to stdout.

    While code runs (``run_code``), Ctrl-C raises ``KeyboardInterrupt`` in it and, while the
    application runs, Ctrl-D soft-resets the board (a virtual-board convenience: a real
    board needs Ctrl-C first). Other bytes wait for the REPL. ``lib_dir`` is where the
    board's ``/lib`` lives, for tracebacks.
    """

    def __init__(self, lib_dir=None):
        self.lib_dir = lib_dir
        self._input = queue.Queue()
        self._lock = threading.RLock()  # the SIGINT handler takes it on the main thread too
        self._running = None  # None, "app" or "code"
        self._pending = None  # what the console's SIGINT raises: KeyboardInterrupt or SoftReset
        self._in_flight = 0  # SIGINTs sent by the console, not handled yet
        signal.signal(signal.SIGINT, self._on_sigint)
        threading.Thread(target=self._read, name="console-rx", daemon=True).start()

    def _read(self):
        while True:
            try:
                data = os.read(0, 512)
            except OSError:
                data = b""
            if not data:  # the supervisor is gone
                sys.stdout.flush()
                os._exit(0)
            for i in range(len(data)):
                byte = data[i : i + 1]
                with self._lock:
                    if self._running and byte == _CTRL_C:
                        self._signal(KeyboardInterrupt())
                        continue
                    if self._running == "app" and byte == _CTRL_D:
                        self._signal(SoftReset(False))
                        continue
                self._input.put(byte)

    def _signal(self, exc):
        if self._pending is None:
            self._pending = exc
            self._in_flight += 1
            os.kill(os.getpid(), signal.SIGINT)  # a real signal: blocking calls return at once

    def _on_sigint(self, signum, frame):
        with self._lock:
            if not self._in_flight:  # Ctrl-C in the terminal that started the virtual board: stop
                sys.stdout.flush()
                os._exit(130)
            self._in_flight -= 1
            exc, self._pending = self._pending, None
            running = self._running
        if exc is not None and running:
            raise exc

    def write(self, text):
        sys.stdout.write(text)
        sys.stdout.flush()

    def read_byte(self):
        return self._input.get()

    def run_code(self, function, kind="code"):
        """Call ``function()`` with Ctrl-C (and, for ``kind`` "app", Ctrl-D) live; returns its exception or None."""
        with self._lock:
            self._running = kind
        try:
            try:
                function()
            finally:
                with self._lock:
                    self._running = None
        except SoftReset:
            raise
        except BaseException as exc:  # noqa: B902 - the board reports anything, then carries on
            return exc
        return None

    def run_file(self, namespace, path, name):
        """Run a board script (boot.py, main.py) in ``namespace``; print its traceback if it fails."""
        with open(path) as f:
            source = f.read()
        exc = self.run_code(lambda: exec(compile(source, name, "exec"), namespace), "app")
        if isinstance(exc, SystemExit):
            raise SoftReset(False)
        if exc is not None:
            self.write(format_exception(exc, self.lib_dir))

    # ------------------------------------------------------------ the REPL

    def serve(self, namespace, raw):
        """Run the REPL until a soft reset; returns True if the board comes back in the raw REPL."""
        try:
            if raw:
                self.write(RAW_BANNER)
            else:
                self.write(BANNER)
            while True:
                if raw:
                    raw = self._raw_repl(namespace)
                else:
                    raw = self._friendly_repl(namespace)
                    if raw:
                        self.write("\n" + RAW_BANNER)
        except SoftReset as reset:
            self.write(SOFT_REBOOT)
            return reset.raw

    def _execute(self, code, namespace):
        exc = self.run_code(lambda: exec(code, namespace))
        if isinstance(exc, SystemExit):
            raise SoftReset(False)
        return exc

    def _friendly_repl(self, namespace):
        """Serve ``>>>`` until Ctrl-A (returns True: raw REPL next)."""
        lines = []
        line = bytearray()
        self.write(">>> ")
        after_cr = False
        while True:
            byte = self.read_byte()
            if byte == b"\n" and after_cr:
                after_cr = False
                continue
            after_cr = byte == b"\r"
            if byte == _CTRL_A:
                return True
            if byte == _CTRL_B:
                self.write("\n" + BANNER + ">>> ")
                lines, line = [], bytearray()
            elif byte == _CTRL_C:
                self.write("\n>>> ")
                lines, line = [], bytearray()
            elif byte == _CTRL_D:
                if not lines and not line:
                    self.write("\n")
                    raise SoftReset(False)
            elif byte in (b"\x08", b"\x7f"):
                if line:
                    del line[-1]
                    self.write("\x08 \x08")
            elif byte in (b"\r", b"\n"):
                self.write("\n")
                lines.append(line.decode("utf-8", "replace"))
                line = bytearray()
                lines = self._friendly_line(lines, namespace)
                self.write("... " if lines else ">>> ")
            elif byte >= b" ":
                line += byte
                if byte < b"\x80":  # UTF-8 sequences arrive byte by byte: not echoed
                    self.write(byte.decode())

    def _friendly_line(self, lines, namespace):
        """Run ``lines`` if they make a complete statement; returns the lines still being continued."""
        source = "\n".join(lines)
        if not source.strip():
            return []
        try:
            code = codeop.compile_command(source + ("\n" if len(lines) > 1 else ""), "<stdin>", "single")
        except (SyntaxError, ValueError, OverflowError) as exc:
            self.write(format_exception(exc, self.lib_dir))
            return []
        if code is None:
            return lines
        if len(lines) > 1 and lines[-1].strip():
            return lines  # a block ends with an empty line
        exc = self._execute(code, namespace)
        if exc is not None:
            self.write(format_exception(exc, self.lib_dir))
        return []

    def _raw_repl(self, namespace):
        """Serve one raw-REPL command; returns False after Ctrl-B (friendly REPL next)."""
        self.write(">")
        command = bytearray()
        while True:
            byte = self.read_byte()
            if byte == _CTRL_A:
                if command == _CTRL_E + b"A":
                    self._raw_paste(namespace)
                    return True
                self.write(RAW_BANNER)
                return True
            if byte == _CTRL_B:
                self.write("\n" + BANNER)
                return False
            if byte == _CTRL_C:
                command = bytearray()
            elif byte == _CTRL_D:
                break
            else:
                command += byte
        self.write("OK")
        if not command:
            self.write("\n")
            raise SoftReset(True)
        self._raw_execute(bytes(command), namespace)
        return True

    def _raw_paste(self, namespace):
        """Raw-paste mode: ``R\\x01`` + window, data with flow control up to Ctrl-D, then run it."""
        self.write("R\x01" + chr(_RAW_PASTE_WINDOW & 0xFF) + chr(_RAW_PASTE_WINDOW >> 8))
        command = bytearray()
        taken = 0
        while True:
            byte = self.read_byte()
            if byte == _CTRL_D:
                break
            if byte == _CTRL_C:  # the host gave up
                self.write("\x04")
                return
            command += byte
            taken += 1
            if taken == _RAW_PASTE_WINDOW:
                taken = 0
                self.write("\x01")
        self.write("\x04")
        self._raw_execute(bytes(command), namespace)

    def _raw_execute(self, command, namespace):
        try:
            code = compile(command.decode("utf-8", "replace"), "<stdin>", "exec")
        except (SyntaxError, ValueError) as exc:
            self.write("\x04" + format_exception(exc, self.lib_dir) + "\x04")
            return
        exc = self._execute(code, namespace)
        self.write("\x04" + (format_exception(exc, self.lib_dir) if exc is not None else "") + "\x04")
