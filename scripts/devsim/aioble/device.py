"""aioble.device stand-in: connections, their disconnection task, timeouts and MTU."""

import asyncio

from .core import ble, log_error, register_irq_handler

_IRQ_MTU_EXCHANGED = 21


class DeviceDisconnectedError(Exception):
    """Raised by ``with connection.timeout(...)`` when the device went away."""


def _device_irq(event, data):
    if event == _IRQ_MTU_EXCHANGED:
        conn_handle, mtu = data
        connection = DeviceConnection._connected.get(conn_handle)
        if connection is not None:
            connection.mtu = mtu
            if connection._mtu_event is not None:
                connection._mtu_event.set()


register_irq_handler(_device_irq, None)


class DeviceTimeout:
    """Cancels the current task after ``timeout_ms`` or when ``connection`` disconnects (either may be None)."""

    def __init__(self, connection, timeout_ms):
        self._connection = connection
        self._timeout_ms = timeout_ms
        self._timeout_task = None
        self._task = asyncio.current_task()
        if connection is not None:
            connection._timeouts.append(self)

    async def _sleep_then_cancel(self):
        try:
            await asyncio.sleep(self._timeout_ms / 1000)
        except asyncio.CancelledError:
            return
        self._timeout_task = None  # tells __exit__ this was the timeout
        self._task.cancel()

    def __enter__(self):
        if self._timeout_ms:
            self._timeout_task = asyncio.create_task(self._sleep_then_cancel())

    def __exit__(self, exc_type, exc, tb):
        if self._connection is not None:
            self._connection._timeouts.remove(self)
        try:
            if exc_type is asyncio.CancelledError:
                if self._timeout_ms and self._timeout_task is None:
                    raise asyncio.TimeoutError
                if self._connection is not None and self._connection._conn_handle is None:
                    raise DeviceDisconnectedError
        finally:
            if self._timeout_task is not None:
                self._timeout_task.cancel()


class Device:
    """A remote device (address type and 6-byte address)."""

    def __init__(self, addr_type, addr):
        self.addr_type = addr_type
        self.addr = bytes(addr)
        self._connection = None

    def __eq__(self, other):
        return self.addr_type == other.addr_type and self.addr == other.addr

    def __hash__(self):
        return hash((self.addr_type, self.addr))

    def addr_hex(self):
        return self.addr.hex(":")


class DeviceConnection:
    """One connection; ``_connected`` maps connection handles to the live ones (for the IRQs)."""

    _connected = {}

    def __init__(self, device):
        self.device = device
        device._connection = self
        self.encrypted = False
        self.authenticated = False
        self.bonded = False
        self.key_size = False
        self.mtu = None
        self._conn_handle = None
        self._event = None
        self._mtu_event = None
        self._task = None
        self._timeouts = []

    async def device_task(self):
        await self._event.wait()  # set by the disconnect IRQ
        del DeviceConnection._connected[self._conn_handle]
        self._conn_handle = None
        self.device._connection = None
        for timeout in self._timeouts:
            timeout._task.cancel()

    def _run_task(self):
        self._event = self._event or asyncio.ThreadSafeFlag()
        self._task = asyncio.create_task(self.device_task())

    def is_connected(self):
        return self._conn_handle is not None

    async def disconnect(self, timeout_ms=2000):
        await self.disconnected(timeout_ms, disconnect=True)

    async def disconnected(self, timeout_ms=60000, disconnect=False):
        """Wait until the connection is gone (``timeout_ms`` None: for ever)."""
        if not self.is_connected():
            return
        if disconnect:
            try:
                ble.gap_disconnect(self._conn_handle)
            except OSError as exc:
                log_error("Disconnect", exc)
        with DeviceTimeout(None, timeout_ms):
            await self._task

    def timeout(self, timeout_ms):
        return DeviceTimeout(self, timeout_ms)

    async def exchange_mtu(self, mtu=None, timeout_ms=1000):
        if not self.is_connected():
            raise ValueError("Not connected")
        if mtu:
            ble.config(mtu=mtu)
        self._mtu_event = self._mtu_event or asyncio.ThreadSafeFlag()
        ble.gattc_exchange_mtu(self._conn_handle)
        with self.timeout(timeout_ms):
            await self._mtu_event.wait()
        return self.mtu
