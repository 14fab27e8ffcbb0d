"""aioble.peripheral stand-in: advertising and the incoming connection."""

import asyncio
import struct

from .core import ble, ensure_active, register_irq_handler
from .device import Device, DeviceConnection, DeviceTimeout

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2

_ADV_TYPE_FLAGS = 0x01
_ADV_TYPE_NAME = 0x09
_ADV_TYPE_UUID16_COMPLETE = 0x03
_ADV_TYPE_UUID32_COMPLETE = 0x05
_ADV_TYPE_UUID128_COMPLETE = 0x07
_ADV_TYPE_APPEARANCE = 0x19
_ADV_TYPE_MANUFACTURER = 0xFF

_ADV_PAYLOAD_MAX_LEN = 31

_incoming_connection = None
_connect_event = None


def _peripheral_irq(event, data):
    global _incoming_connection
    if event == _IRQ_CENTRAL_CONNECT:
        conn_handle, addr_type, addr = data
        _incoming_connection = DeviceConnection(Device(addr_type, bytes(addr)))
        _incoming_connection._conn_handle = conn_handle
        DeviceConnection._connected[conn_handle] = _incoming_connection
        _connect_event.set()
    elif event == _IRQ_CENTRAL_DISCONNECT:
        conn_handle = data[0]
        connection = DeviceConnection._connected.get(conn_handle)
        if connection is not None:
            connection._event.set()


def _peripheral_shutdown():
    global _incoming_connection, _connect_event
    _incoming_connection = None
    _connect_event = None


register_irq_handler(_peripheral_irq, _peripheral_shutdown)


def _append(adv_data, resp_data, adv_type, value):
    """Add one structure to the advertising data, else to the scan response (aioble's ``< 31`` test)."""
    field = struct.pack("BB", len(value) + 1, adv_type) + value
    if len(field) + len(adv_data) < _ADV_PAYLOAD_MAX_LEN:
        adv_data += field
        return resp_data
    if len(field) + (len(resp_data) if resp_data else 0) < _ADV_PAYLOAD_MAX_LEN:
        if not resp_data:
            resp_data = bytearray()
        resp_data += field
        return resp_data
    raise ValueError("Advertising payload too long")


async def advertise(interval_us, adv_data=None, resp_data=None, connectable=True, limited_disc=False,
                    br_edr=False, name=None, services=None, appearance=0, manufacturer=None, timeout_ms=None):
    """Advertise until a central connects; returns its ``DeviceConnection`` (None if cancelled)."""
    global _incoming_connection, _connect_event
    ensure_active()
    if not adv_data and not resp_data:
        adv_data = bytearray()
        flags = (0x01 if limited_disc else 0x02) + (0x18 if br_edr else 0x04)
        resp_data = _append(adv_data, resp_data, _ADV_TYPE_FLAGS, struct.pack("B", flags))
        for uuid in services or ():
            raw = bytes(uuid)
            kind = {2: _ADV_TYPE_UUID16_COMPLETE, 4: _ADV_TYPE_UUID32_COMPLETE, 16: _ADV_TYPE_UUID128_COMPLETE}
            if len(raw) in kind:
                resp_data = _append(adv_data, resp_data, kind[len(raw)], raw)
        if name:
            resp_data = _append(adv_data, resp_data, _ADV_TYPE_NAME, name)
        if appearance:
            resp_data = _append(adv_data, resp_data, _ADV_TYPE_APPEARANCE, struct.pack("<H", appearance))
        if manufacturer:
            resp_data = _append(adv_data, resp_data, _ADV_TYPE_MANUFACTURER,
                                struct.pack("<H", manufacturer[0]) + manufacturer[1])
    _connect_event = _connect_event or asyncio.ThreadSafeFlag()
    ble.gap_advertise(interval_us, adv_data=adv_data, resp_data=resp_data, connectable=connectable)
    try:
        with DeviceTimeout(None, timeout_ms):
            await _connect_event.wait()
        result = _incoming_connection
        _incoming_connection = None
        result._run_task()
        return result
    except asyncio.CancelledError:  # aioble stops advertising and returns None
        ble.gap_advertise(None)
    except asyncio.TimeoutError:
        ble.gap_advertise(None)
        raise
