"""aioble.server stand-in: GATT services, characteristics and descriptors on the local database."""

import asyncio

from .core import ble, ensure_active, register_irq_handler
from .device import DeviceConnection, DeviceTimeout

_registered_characteristics = {}

_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4

_FLAG_READ = 0x0002
_FLAG_WRITE_NO_RESPONSE = 0x0004
_FLAG_WRITE = 0x0008
_FLAG_NOTIFY = 0x0010
_FLAG_INDICATE = 0x0020


def _server_irq(event, data):
    if event == _IRQ_GATTS_WRITE:
        conn_handle, attr_handle = data
        BaseCharacteristic._remote_write(conn_handle, attr_handle)
        return None
    if event == _IRQ_GATTS_READ_REQUEST:
        conn_handle, attr_handle = data
        return BaseCharacteristic._remote_read(conn_handle, attr_handle)
    return None


def _server_shutdown():
    global _registered_characteristics
    _registered_characteristics = {}


register_irq_handler(_server_irq, _server_shutdown)


class Service:
    """A primary service; characteristics add themselves."""

    def __init__(self, uuid):
        self.uuid = uuid
        self.characteristics = []

    def _tuple(self):
        return (self.uuid, tuple(c._tuple() for c in self.characteristics))


class BaseCharacteristic:
    """What characteristics and descriptors share: the value handle, local read/write, the IRQ hooks."""

    def _register(self, value_handle):
        self._value_handle = value_handle
        _registered_characteristics[value_handle] = self
        if self._initial is not None:
            self.write(self._initial)
            self._initial = None

    def _tuple(self):
        return (self.uuid, self.flags)

    def read(self):
        if self._value_handle is None:
            return self._initial or b""
        return ble.gatts_read(self._value_handle)

    def write(self, data, send_update=False):
        if self._value_handle is None:
            self._initial = data
        else:
            ble.gatts_write(self._value_handle, data, send_update)

    async def written(self, timeout_ms=None):
        """Wait for a remote write; returns the connection that wrote (the value is read separately)."""
        if not hasattr(self, "_write_event"):
            return None
        with DeviceTimeout(None, timeout_ms):
            await self._write_event.wait()
        data, self._write_data = self._write_data, None
        return data

    def on_read(self, connection):
        """Override: runs inside the read-request IRQ; non-zero denies the read with that ATT code."""
        return 0

    @staticmethod
    def _remote_write(conn_handle, value_handle):
        characteristic = _registered_characteristics.get(value_handle)
        if characteristic is not None and hasattr(characteristic, "_write_event"):
            characteristic._write_data = DeviceConnection._connected.get(conn_handle)
            characteristic._write_event.set()

    @staticmethod
    def _remote_read(conn_handle, value_handle):
        characteristic = _registered_characteristics.get(value_handle)
        if characteristic is not None:
            return characteristic.on_read(DeviceConnection._connected.get(conn_handle))
        return None


class Characteristic(BaseCharacteristic):
    """A characteristic; OR encryption flags into ``flags`` before ``register_services``."""

    def __init__(self, service, uuid, read=False, write=False, write_no_response=False, notify=False,
                 indicate=False, initial=None, capture=False):
        if capture:
            raise NotImplementedError("write capture is not simulated")
        service.characteristics.append(self)
        self.descriptors = []
        flags = 0
        if read:
            flags |= _FLAG_READ
        if write or write_no_response:
            flags |= (_FLAG_WRITE if write else 0) | (_FLAG_WRITE_NO_RESPONSE if write_no_response else 0)
            self._write_event = asyncio.ThreadSafeFlag()
            self._write_data = None
        if notify:
            flags |= _FLAG_NOTIFY
        if indicate:
            flags |= _FLAG_INDICATE
        self.uuid = uuid
        self.flags = flags
        self._value_handle = None
        self._initial = initial

    def _tuple(self):
        if self.descriptors:
            return (self.uuid, self.flags, tuple(d._tuple() for d in self.descriptors))
        return (self.uuid, self.flags)


class BufferedCharacteristic(Characteristic):
    """A characteristic whose value buffer is ``max_len`` bytes (``gatts_set_buffer`` at registration)."""

    def __init__(self, *args, max_len=20, append=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._max_len = max_len
        self._append = append

    def _register(self, value_handle):
        super()._register(value_handle)
        ble.gatts_set_buffer(value_handle, self._max_len, self._append)


class Descriptor(BaseCharacteristic):
    """A descriptor of ``characteristic`` (read/write permission only)."""

    def __init__(self, characteristic, uuid, read=False, write=False, initial=None):
        characteristic.descriptors.append(self)
        flags = 0
        if read:
            flags |= _FLAG_READ
        if write:
            flags |= _FLAG_WRITE
            self._write_event = asyncio.ThreadSafeFlag()
            self._write_data = None
        self.uuid = uuid
        self.flags = flags
        self._value_handle = None
        self._initial = initial


def register_services(*services):
    """Register ``services`` (replacing any earlier ones) and give every characteristic its handle."""
    ensure_active()
    _registered_characteristics.clear()
    handles = ble.gatts_register_services(tuple(s._tuple() for s in services))
    for service, service_handles in zip(services, handles):
        n = 0
        for characteristic in service.characteristics:
            characteristic._register(service_handles[n])
            n += 1
            for descriptor in characteristic.descriptors:
                descriptor._register(service_handles[n])
                n += 1
