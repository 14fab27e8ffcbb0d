"""The virtual board's serial console on a pseudo-terminal, on both runtimes: CR LF line ends, Ctrl-C stops the
application and gives the REPL, Ctrl-D there soft-reboots the board."""

import json
import os
import re
import select
import subprocess
import sys
import time

import pytest

from vboard_harness import FAST_WORLD, VBOARD, free_port

pytest.importorskip("pty")


def _read_until(fd, needle, timeout=20.0):
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data:
        left = deadline - time.monotonic()
        assert left > 0, "%r not seen on the pty; got %r" % (needle, data[-400:])
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            data += os.read(fd, 4096)
    return data


@pytest.mark.parametrize("runtime", ["micropython", "cpython"])
def test_console_on_a_pty_ctrl_c_then_ctrl_d_reboots(tmp_path, runtime):
    world = tmp_path / "world.json"
    world.write_text(json.dumps(FAST_WORLD))
    command = [sys.executable, VBOARD, "--http-port", str(free_port()), "--state", str(tmp_path / "state"),
               "--world", str(world), "--reset-state", "--pty", "--runtime", runtime]
    board = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    fd = None
    try:
        named = _read_until(board.stderr.fileno(), b"console also on ")
        while not re.search(rb"console also on (\S+)\n", named):
            named += os.read(board.stderr.fileno(), 4096)
        fd = os.open(re.search(rb"console also on (\S+)\n", named).group(1), os.O_RDWR | os.O_NOCTTY)
        first = _read_until(fd, b"qrcode.html?data=")
        assert b"I (" in first and b"app: Starting provisioning\r\n" in first
        os.write(fd, b"\x03")
        stopped = _read_until(fd, b">>> ")
        assert b"KeyboardInterrupt" in stopped and b'Type "help()" for more information.\r\n' in stopped
        os.write(fd, b"\x04")
        assert b"MPY: soft reboot\r\n" in _read_until(fd, b"app: Starting provisioning\r\n")
        assert b"vboard: board reset, booting again\n" in named + _read_until(board.stderr.fileno(), b"booting again\n")
    finally:
        if fd is not None:
            os.close(fd)
        os.killpg(board.pid, 15)
        board.wait(10)
