"""The virtual board's serial console on a pseudo-terminal: CR LF line ends, Ctrl-D reboots the board."""

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


def test_console_on_a_pty_and_ctrl_d_reboots(tmp_path):
    world = tmp_path / "world.json"
    world.write_text(json.dumps(FAST_WORLD))
    command = [sys.executable, VBOARD, "--http-port", str(free_port()), "--state", str(tmp_path / "state"),
               "--world", str(world), "--reset-state", "--pty"]
    board = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    fd = None
    try:
        path = None
        while path is None:
            line = board.stderr.readline().decode()
            assert line, "vboard ended before naming its pty"
            found = re.search(r"console also on (\S+)", line)
            path = found and found.group(1)
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        first = _read_until(fd, b"qrcode.html?data=")
        assert b"I (" in first and b"app: Starting provisioning\r\n" in first
        os.write(fd, b"\x04")
        assert b"app: Starting provisioning\r\n" in _read_until(fd, b"app: Starting provisioning\r\n")
        assert b"board reset, booting again" in board.stderr.readline()
    finally:
        if fd is not None:
            os.close(fd)
        os.killpg(board.pid, 15)
        board.wait(10)
