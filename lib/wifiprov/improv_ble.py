"""Improv Wi-Fi over BLE (revision 2.4): the Improv GATT service and advertisement, a guest of ``BleTransport``.

Five characteristics: current state and error state (read, notify), RPC command (write),
RPC result (read, notify), capabilities (read: device info and scan). The write IRQ only
copies what the client wrote and wakes the main task, which joins the pieces into frames
(a frame may come in several writes) and runs them through ``wifiprov.improv``. Answers go
out as notifications of values stored first, so a client that reads instead sees them too;
every RPC result is one notification, so it must fit the connection's MTU: the board asks
the central for a larger MTU when it connects, and a scan result carries only the networks
that fit. The advertisement is Flags, the Improv service UUID and its service data (state,
capabilities, four reserved bytes) in one 31-byte packet, as Home Assistant's passive
scans need; the name goes to the scan response only when Improv is alone on the radio.
"""

import asyncio

import aioble
import bluetooth
from micropython import const

from wifiprov import ble_layout, improv
from wifiprov.manager import ticks_ms

SERVICE_UUID = "00467768-6228-2272-4663-277478268000"
_SERVICE_DATA_UUID16 = b"\x77\x46"  # 0x4677, little endian
_AD_SERVICE_DATA16 = const(0x16)
_CAPABILITIES = const(0x06)  # improv.CAP_DEVICE_INFO | improv.CAP_SCAN
_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_ATT_MTU_DEFAULT = const(23)
_QUEUE_MAX = const(16)  # writes not yet joined: the longest frame (258 bytes) is 13 writes of 20
_TICK_S = 0.1


def _uuid(n):
    return bluetooth.UUID(SERVICE_UUID[:-1] + str(n))


class ImprovBle:
    """The Improv service over ``manager``; hand it to ``BleTransport(..., guest=...)``.

    ``info``: the device-info strings (the fourth, the device name, is advertised when Improv
    is alone); ``button``: a press (``press()``) must authorize;
    ``redirect_url``, ``log``: as ``wifiprov.improv.Improv`` takes them.
    """

    def __init__(self, manager, info, button=False, redirect_url=None, log=None):
        self._log = log
        self._name = info[3]
        self.service = aioble.Service(bluetooth.UUID(SERVICE_UUID))
        self._state = aioble.Characteristic(self.service, _uuid(1), read=True, notify=True)
        self._error = aioble.Characteristic(self.service, _uuid(2), read=True, notify=True, initial=b"\x00")
        self._rpc = aioble.BufferedCharacteristic(self.service, _uuid(3), write=True, max_len=improv.FRAME_MAX)
        self._result = aioble.Characteristic(self.service, _uuid(4), read=True, notify=True, initial=b"")
        aioble.Characteristic(self.service, _uuid(5), read=True, initial=bytes((_CAPABILITIES,)))
        self._frame = bytearray(improv.FRAME_MAX)  # the frame being joined
        self._n = 0
        self._answer = bytearray(improv.FRAME_MAX)  # the RPC result being sent
        self._error_value = 0
        self._chunks = []  # (link, bytes) written: the IRQ appends, the main task pops
        self._link = 0  # counts connections; changed by the IRQ only
        self._conn = None
        self._mtu = _ATT_MTU_DEFAULT
        self._flag = asyncio.ThreadSafeFlag()
        self.improv = improv.Improv(manager, self, False, info, button, redirect_url, log)
        self._state.write(bytes((self.improv.state,)))

    def press(self):
        """The button was pressed (authorizes, if the board has one)."""
        self.improv.press()

    def advert(self, alone):
        """Advertising data and scan response: the name only when the Improv service is ``alone``."""
        data = _SERVICE_DATA_UUID16 + bytes((self.improv.state, _CAPABILITIES, 0, 0, 0, 0))
        adv = ble_layout.advertising_data(SERVICE_UUID) + ble_layout.ad_structure(_AD_SERVICE_DATA16, data)
        return adv, (ble_layout.scan_response(self._name) if alone else b"")

    # ---- NimBLE task (IRQ)

    def irq(self, event, data):
        """Note links, the MTU and RPC writes; nothing else runs here."""
        if event == _IRQ_GATTS_WRITE:
            if data[1] == self._rpc._value_handle and len(self._chunks) < _QUEUE_MAX:
                self._chunks.append((self._link, aioble.core.ble.gatts_read(data[1])))
                self._flag.set()
        elif event == _IRQ_CENTRAL_CONNECT:
            self._link += 1
            self._conn = data[0]
            self._mtu = _ATT_MTU_DEFAULT
            self._flag.set()
        elif event == _IRQ_CENTRAL_DISCONNECT and data[0] == self._conn:
            self._conn = None
        elif event == _IRQ_MTU_EXCHANGED and data[0] == self._conn:
            self._mtu = data[1]

    # ---- main task

    async def serve(self):
        """Join frames, run them, keep the state current (BleTransport runs this as a task, and
        cancels it when it stops: the service then lets go of the manager)."""
        try:
            await self._serve()
        finally:  # a finished task can stay referenced while the loop runs (MicroPython's asyncio)
            self.improv = None
            self._chunks = []

    async def _serve(self):
        link = self._link
        while True:
            try:
                await asyncio.wait_for(self._flag.wait(), _TICK_S)
            except asyncio.TimeoutError:
                pass
            if link != self._link:  # a new central: a half frame of the last one is void
                link = self._link
                self._n = 0
                conn = self._conn
                if conn is not None:
                    try:  # so that every result fits one notification
                        aioble.core.ble.gattc_exchange_mtu(conn)
                    except OSError:  # the central exchanged already, or left
                        pass
            while self._chunks:
                written, chunk = self._chunks.pop(0)
                if written == link:
                    self._join(chunk)
            self.improv.tick(ticks_ms())

    def _join(self, chunk):
        frame = self._frame
        view = memoryview(chunk)
        i = 0
        while i < len(view):
            take = min(len(view) - i, improv.FRAME_MAX - self._n)
            frame[self._n : self._n + take] = view[i : i + take]
            self._n += take
            i += take
            while self._n >= 2 and self._n >= frame[1] + 3:
                end = frame[1] + 3
                self.improv.frame(frame, end)
                frame[0 : self._n - end] = frame[end : self._n]
                self._n -= end

    # ---- what the client learns (wifiprov.improv calls these)

    def state(self, value):
        self._state.write(bytes((value,)), True)
        self._say("state %d" % value)

    def error(self, value):
        if value or self._error_value:  # an error, or clearing one
            self._error_value = value
            self._error.write(bytes((value,)), True)

    def result(self, command, strings):
        try:
            n = improv.ble_result(self._answer, command, strings, self._mtu - 3)
        except ValueError as exc:  # only a central refusing a larger MTU gets here
            if self._log is not None:
                self._log.warn("Improv: %s (MTU %d)" % (exc, self._mtu))
            self.error(improv.ERROR_UNKNOWN)
            return
        self._result.write(memoryview(self._answer)[:n], True)

    def _say(self, text):
        if self._log is not None:
            self._log.info("Improv: " + text)
