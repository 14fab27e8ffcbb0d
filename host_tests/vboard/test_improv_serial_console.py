"""``wifiprov.improv_serial`` on a console under CPython: stdin a pipe, stdout raw bytes, the manager on simulated
time. (The same front door on MicroPython's unix port, with the serial SDK as the client, is
``test_improv_serial.py``.)"""

import asyncio
import io
import os
import subprocess
import sys
import textwrap

import micropython
from fakes import Board, FakeAccessPoint

from wifiprov import improv
from wifiprov.improv_serial import ImprovSerial

HOME = FakeAccessPoint(b"Home", b"\x10\x20\x30\x40\x50\x60", 6, -48, 3, b"right-pass", connect_ms=500)
INFO = (b"wifiprov", b"0.1.0", b"ESP32", b"PROV_261FCC")


def packet(packet_type, data):
    body = b"IMPROV\x01" + bytes((packet_type, len(data))) + data
    return body + bytes((sum(body) & 0xFF,)) + b"\n"


def rpc(command, data=b""):
    return packet(improv.TYPE_RPC, bytes((command, len(data))) + data)


class Console:
    """A board's console: what the host types goes into a pipe, what the board writes is collected."""

    def __init__(self, **settings):
        settings.setdefault("security", 0)
        self.board = Board((HOME,), **settings)
        self.board.manager.start()
        read_end, self._write_end = os.pipe()
        self.stdin = os.fdopen(read_end, "rb", buffering=0)
        self.stdout = io.BytesIO()
        self.door = ImprovSerial(self.board.manager, INFO, "http://{ip}/", self.board.log, self.stdin, self.stdout)

    def type(self, data):
        os.write(self._write_end, data)

    async def run(self, seconds):
        """Tick the manager on simulated time (100 ms per 10 ms) while the front door serves."""
        for _ in range(int(seconds * 100)):
            self.board.tick(100)
            await asyncio.sleep(0.01)

    def packets(self):
        """The packets written so far, checked byte for byte: (type, data)."""
        out = self.stdout.getvalue()
        found = []
        while out:
            assert out.startswith(b"IMPROV\x01"), out
            size = out[8]
            assert size != 10
            body = out[: 9 + size]
            assert out[9 + size] == sum(body) & 0xFF and out[10 + size] == 10  # a bare \n, no \r
            found.append((out[7], out[9 : 9 + size]))
            out = out[11 + size :]
        return found


def test_state_scan_and_provisioning_on_the_console():
    console = Console()

    async def scenario():
        await console.door.start()
        assert micropython.interrupt_char == -1  # every RPC packet carries a 0x03
        console.type(b"garbage typed by a person\r\n" + rpc(2) + rpc(3))
        await console.run(0.3)
        console.type(rpc(1, b"\x04Home\x0aright-pass"))  # a length byte of 10 inside the packet
        await console.run(3)
        await console.door.stop()
        assert micropython.interrupt_char == 3

    asyncio.run(scenario())
    got = console.packets()
    assert got[:3] == [(2, b"\x00"), (1, b"\x02"), (2, b"\x00")]
    assert got[3] == (4, bytes((3, 33, 8)) + b"wifiprov\x050.1.0\x05ESP32\x0bPROV_261FCC")
    assert got[4:] == [(2, b"\x00"), (1, b"\x03"), (1, b"\x04"), (4, b"\x01\x15\x14http://192.168.1.42/")]
    assert console.board.store.load() == (b"Home", b"right-pass")


def test_ctrl_c_outside_a_packet_still_interrupts():
    # In a process of its own: a KeyboardInterrupt out of asyncio.run leaves CPython's compiler
    # in a state that breaks pytest's later imports.
    script = textwrap.dedent("""
        import asyncio, micropython, test_improv_serial_console as t
        console = t.Console()
        async def scenario():
            await console.door.start()
            console.type(b"IMPROV\\x01\\x03\\x05\\x01")  # half a packet: its 0x03 is data
            await console.run(0.3)
            print("packets", console.packets())
            await asyncio.sleep(1.2)  # abandoned after a second
            console.type(b"\\r\\x03")
            await console.run(1)
            print("not interrupted")
        try:
            asyncio.run(scenario())
        except KeyboardInterrupt:
            print("KeyboardInterrupt, kbd_intr", micropython.interrupt_char)
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == ["packets []", "KeyboardInterrupt, kbd_intr 3"], proc.stdout + proc.stderr


def test_improv_off_loads_no_improv_code():
    from wifiprov import config, service

    for name in [name for name in sys.modules if name.startswith("wifiprov.improv")]:
        del sys.modules[name]
    board = Board((HOME,), security=0)
    off = config.merge({"transport": "softap"})
    assert service._improv_serial(board.manager, off) == [] and service._improv_ble(board.manager, off) is None
    assert [name for name in sys.modules if name.startswith("wifiprov.improv")] == []
    on = config.merge({"transport": "softap", "improv_serial": True})
    (door,) = service._improv_serial(board.manager, on)
    assert sorted(name for name in sys.modules if name.startswith("wifiprov.improv")) == [
        "wifiprov.improv", "wifiprov.improv_serial"]
