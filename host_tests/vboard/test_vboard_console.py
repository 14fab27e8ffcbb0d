"""The virtual board's serial console on a pseudo-terminal, on both runtimes: CR LF line ends, Ctrl-C stops the
application and gives the REPL, Ctrl-D there soft-reboots the board."""

import pytest

from vboard_harness import SerialHost, VirtualBoard

pytest.importorskip("pty")


@pytest.mark.parametrize("runtime", ["micropython", "cpython"])
def test_console_on_a_pty_ctrl_c_then_ctrl_d_reboots(tmp_path, runtime):
    board = VirtualBoard(tmp_path, "--pty", "--runtime", runtime)
    host = SerialHost(board.pty_path())
    try:
        first = host.read_until(b"qrcode.html?data=")
        assert b"I (" in first and b"app: Starting provisioning\r\n" in first
        host.send(b"\x03")
        stopped = host.read_until(b">>> ")
        assert b"KeyboardInterrupt" in stopped and b'Type "help()" for more information.\r\n' in stopped
        host.send(b"\x04")
        assert b"MPY: soft reboot\r\n" in host.read_until(b"app: Starting provisioning\r\n")
        board.expect(r"^vboard: board reset, booting again$", stderr=True)
    finally:
        host.close()
        board.power_off()
