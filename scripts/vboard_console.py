"""The virtual board's serial console: the board's output on stdout and an optional pty, the pty's input to the board.

On the pty, line ends are CR LF as a board's UART sends them; on stdout they are LF.
``board_cooks`` says which the board process writes: MicroPython's ``print`` is cooked
by ``scripts/vboard_boot.py`` (CR LF), the CPython board writes bare LF.
"""

import os
import select
import sys
import threading
import time


class SerialConsole:
    """The console of one virtual board; ``master`` is the pty's master side, or None without a pty."""

    def __init__(self, use_pty, board_cooks, say):
        self.board_cooks = board_cooks
        self.master = None
        self._line_open = False  # the last byte shown was not the end of a line
        self._held_cr = b""  # a CR at the end of a chunk whose LF may come next (stdout of a cooking board)
        if use_pty:
            import pty
            import tty

            self.master, slave = pty.openpty()
            tty.setraw(slave)  # a serial line: bytes pass through untouched in both directions
            os.set_blocking(self.master, False)  # nobody listening: output is dropped, the board runs on
            say("console also on %s" % os.ttyname(slave))
            self._slave = slave  # keep it open so the pty survives clients coming and going

    def write(self, data):
        """Show ``data`` from the board."""
        if not data:
            return
        self._line_open = not data.endswith(b"\n")
        if self.board_cooks:
            text = (self._held_cr + data).replace(b"\r\n", b"\n")
            self._held_cr = b"\r" if text.endswith(b"\r") else b""
            self._stdout(text[:len(text) - len(self._held_cr)])
            self._pty(data)
        else:
            self._stdout(data)
            self._pty(data.replace(b"\n", b"\r\n"))

    def end_line(self):
        """Make what comes next start a line of its own (the console of a board that resets mid-line)."""
        if self._line_open:
            self.write(b"\r\n" if self.board_cooks else b"\n")

    @staticmethod
    def _stdout(data):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    def _pty(self, data):
        if self.master is None:
            return
        deadline = time.monotonic() + 0.5  # a slow reader catches up; with no reader the rest is dropped
        while data:
            try:
                data = data[os.write(self.master, data):]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self.master], [], left)[1]:
                    return
            except OSError:
                return

    def forward_input(self, deliver):
        """Hand what a host sends on the pty to ``deliver(bytes)``, from a reader thread."""
        if self.master is None:
            return

        def loop():
            while True:
                select.select([self.master], [], [])
                try:
                    data = os.read(self.master, 512)
                except BlockingIOError:
                    continue
                except OSError:  # nobody has the pty open: wait for a client
                    time.sleep(0.05)
                    continue
                deliver(data)

        threading.Thread(target=loop, daemon=True).start()
