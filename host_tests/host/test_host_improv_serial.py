"""The host CLI's ``--transport improv-serial`` against the board's Improv serial front door on a pty.

The board side is the device library (manager + ``wifiprov.improv_serial``) on the simulated
Wi-Fi with simulated time, serving the master end of a pseudo-terminal; the CLI opens the
other end with pyserial, as it opens /dev/ttyUSB0. (On MicroPython's unix port behind the
virtual board's pty: ``host_tests/vboard/test_improv_serial.py``.)
"""

import asyncio
import io
import json
import os
import threading
import tty

import pytest
from fakes import Board, FakeAccessPoint

from wifiprov.improv_serial import ImprovSerial
from wifiprov_host import cli

HOME = FakeAccessPoint(b"Home", b"\x10\x20\x30\x40\x50\x60", 6, -48, 3, b"right-pass", connect_ms=500)
CAFE = FakeAccessPoint(b"Cafe", b"\x70\x71\x72\x73\x74\x75", 1, -40, 0, None, connect_ms=500)
INFO = (b"wifiprov", b"0.1.0", b"ESP32", b"PROV_261FCC")


class PtyBoard:
    """The Improv serial front door on a pty's master end; ``port`` is the device path of the other end."""

    def __init__(self, serve=True, **settings):
        settings.setdefault("security", 0)
        settings.setdefault("wifi_conn_attempts", 2)
        self.board = Board((HOME, CAFE), **settings)
        self.board.manager.start()
        master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self._master = master
        self.loop = asyncio.new_event_loop()
        self.door = ImprovSerial(self.board.manager, INFO, None, self.board.log, os.fdopen(master, "rb", buffering=0),
                                 os.fdopen(os.dup(master), "wb", buffering=0))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        if serve:
            asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(5)

    async def _serve(self):
        await self.door.start()
        asyncio.create_task(self._tick())

    async def _tick(self):
        while True:  # the manager on simulated time: 100 ms per 5 ms
            self.board.tick(100)
            await asyncio.sleep(0.005)

    def close(self):
        async def stop():
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        os.close(self._slave)


@pytest.fixture
def make_board():
    boards = []

    def make(**kwargs):
        board = PtyBoard(**kwargs)
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.close()


def provision(board, *argv):
    out = io.StringIO()
    code = cli.main(["--transport", "improv-serial", "--port", board.port, "--json", "--timeout", "30"] + list(argv),
                    stdin=io.StringIO(), stdout=out, stderr=io.StringIO())
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def steps_named(steps, name):
    return [step for step in steps if step["step"] == name]


def test_scan_pick_the_strongest_open_network(make_board):
    board = make_board()
    code, steps = provision(board, "--pick-strongest")
    assert code == 0, steps[-1]
    assert steps_named(steps, "state")[0]["state"] == "ready"
    assert steps_named(steps, "device_info")[0] == {"step": "device_info", "firmware": "wifiprov", "version": "0.1.0",
                                                     "chip": "ESP32", "name": "PROV_261FCC"}
    assert steps_named(steps, "scan")[0]["networks"] == [{"ssid": "Cafe", "rssi": -40, "secured": False},
                                                          {"ssid": "Home", "rssi": -48, "secured": True}]
    assert steps_named(steps, "connected")[0]["url"] is None
    assert board.board.store.load() == (b"Cafe", b"")


def test_wrong_passphrase_exits_7_unless_a_retry_passphrase_works(make_board):
    board = make_board()
    code, steps = provision(board, "--ssid", "Home", "--passphrase", "wrong-pass")
    assert code == 7 and steps[-1]["error_type"] == "WifiFailed", steps[-1]
    assert "Improv gives no reason" in steps[-1]["error"]
    code, steps = provision(board, "--ssid", "Home", "--passphrase", "wrong-pass", "--retry-passphrase", "right-pass")
    assert code == 0, steps[-1]
    assert len(steps_named(steps, "wifi_failed")) == 1
    assert board.board.store.load() == (b"Home", b"right-pass")


def test_a_network_missing_from_the_scan_exits_8(make_board):
    board = make_board()
    code, steps = provision(board, "--ssid", "Elsewhere", "--passphrase", "x" * 8, "--scan")
    assert code == 8, steps[-1]
    assert board.board.manager.state == 1  # nothing was sent: still started


def test_a_board_without_improv_exits_3(make_board):
    board = make_board(serve=False)
    code, steps = provision(board, "--ssid", "Home", "--passphrase", "right-pass")
    assert code == 3 and "no Improv answer" in steps[-1]["error"], steps[-1]


def test_command_line_checks():
    with pytest.raises(SystemExit):
        cli.parse_args(["--transport", "improv-serial"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--transport", "improv-serial", "--port", "/dev/null", "--reset"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--transport", "softap", "--port", "/dev/null"])
