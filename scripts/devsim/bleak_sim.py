"""bleak on the simulated radio: a client backend and a scanner backend, so libraries written for bleak
(py-improv-ble-client, bleak-retry-connector) talk to a virtual board unchanged.

``SimBleakClient`` and ``SimBleakScanner`` implement bleak's backend interfaces over
``scripts/devsim/bluetooth.py``'s ``air()``: bleak's own ``BleakClient``/``BleakScanner``,
``BLEDevice``, ``AdvertisementData`` and GATT objects sit on top, as on BlueZ. The client
does what BlueZ does for a central: exchanges the MTU (517) on connect, discovers every
service, writes the CCCD for notifications, uses Read Blob and Prepare/Execute Write for
long values, and reports a link the board ends. The scanner reports every advertisement it
hears (active: with the scan response; passive: the advertising data alone, as Home
Assistant's passive scans do). ``use_sim_radio()`` makes a plain ``BleakClient(...)`` pick
this backend, which is how a library that builds its own clients reaches it, and chooses the
radio: this process's, or a virtual board's in another process ("host:port" of its
``AirServer``; one connection to it per central, as each is one central there).
"""

import asyncio
import sys

import bleak
import bluetooth
from ble_central import Advert, RemoteAir
from wifiprov_host.transport import DeviceNotFound
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError

CENTRAL_MTU = 517  # what BlueZ asks for
SCAN_PERIOD_S = 0.05
_PROPERTIES = ((0x02, "read"), (0x04, "write-without-response"), (0x08, "write"), (0x10, "notify"),
               (0x20, "indicate"))
_CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
_radio = None  # "host:port" of a board's AirServer, or None: this process's air


def _air():
    """A way onto the radio: a new central for a remote board, this process's air otherwise."""
    return RemoteAir(_radio) if _radio else bluetooth.air()


def address_text(address):
    """``AA:BB:...`` for 6 address bytes, as bleak shows addresses."""
    return ":".join("%02X" % b for b in address)


def device_and_advertisement(advert, rssi=-50):
    """bleak's ``BLEDevice`` and ``AdvertisementData`` for a ``ble_central.Advert``."""
    data = AdvertisementData(local_name=advert.name, manufacturer_data=dict(advert.manufacturer_data),
                             service_data=dict(advert.service_data), service_uuids=list(advert.service_uuids),
                             tx_power=None, rssi=rssi, platform_data=(advert,))
    device = BLEDevice(address_text(advert.address), advert.name, {"sim_address": advert.address})
    return device, data


class SimBleakScanner(BaseBleakScanner):
    """bleak's scanner backend over the simulated air (``BleakScanner(..., backend=SimBleakScanner)``)."""

    def __init__(self, detection_callback, service_uuids, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)
        self._passive = scanning_mode == "passive"
        self._task = None

    async def start(self):
        self.seen_devices = {}
        self._task = asyncio.create_task(self._listen())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def set_scanning_filter(self, **kwargs):
        raise NotImplementedError("no scanning filters on the simulated radio")

    async def _listen(self):
        air = _air()
        while True:
            for seen in air.adverts():
                advert = Advert(seen["addr"], seen["adv"], seen["resp"], seen["connectable"], self._passive)
                _, data = device_and_advertisement(advert)
                if not self.is_allowed_uuid(data.service_uuids):
                    continue
                device = self.create_or_update_device(advert.address.hex(), address_text(advert.address),
                                                      advert.name, {"sim_address": advert.address}, data)
                self.call_detection_callbacks(device, data)
            await asyncio.sleep(SCAN_PERIOD_S)


class SimBleakClient(BaseBleakClient):
    """bleak's client backend over the simulated air; the ATT exchanges run on a worker thread."""

    def __init__(self, address_or_ble_device, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        details = getattr(address_or_ble_device, "details", None)
        if isinstance(details, dict) and "sim_address" in details:
            self._board_address = details["sim_address"]
        else:
            self._board_address = bytes.fromhex(self.address.replace(":", ""))
        self._peer = None
        self._connected = False  # until the disconnected callback has run
        self._callbacks = {}  # value handle -> callback(bytearray)
        self._loop = None

    @property
    def name(self):
        return self.address

    @property
    def mtu_size(self):
        return self._peer.mtu if self._peer is not None else 23

    @property
    def is_connected(self):
        return self._connected and self._peer.connected

    async def connect(self, pair, **kwargs):
        self._loop = asyncio.get_running_loop()
        try:
            self._peer = await self._att(lambda: _air().connect(self._board_address, central_mtu=CENTRAL_MTU))
        except (BleakError, DeviceNotFound) as exc:
            raise BleakDeviceNotFoundError(self.address, str(exc)) from exc
        self._connected = True
        self._callbacks = {}
        await self._att(self._peer.listen, self._notified, self._lost)
        await self._att(self._peer.exchange_mtu, CENTRAL_MTU)
        self.services = self._collection(await self._att(self._peer.services))
        if pair:
            await self.pair()

    async def disconnect(self):
        if self._connected and self._peer.connected:
            await self._att(self._peer.disconnect)

    async def pair(self, *args, **kwargs):
        await self._att(self._peer.pair)

    async def unpair(self):
        raise NotImplementedError("the simulated radio keeps no bonds")

    async def read_gatt_char(self, characteristic, **kwargs):
        return bytearray(await self._att(self._read_long, characteristic.handle))

    async def read_gatt_descriptor(self, descriptor, **kwargs):
        return bytearray(await self._att(self._read_long, descriptor.handle))

    async def write_gatt_char(self, characteristic, data, response):
        await self._att(self._write_long, characteristic.handle, bytes(data))

    async def write_gatt_descriptor(self, descriptor, data):
        await self._att(self._peer.write, descriptor.handle, bytes(data))

    async def start_notify(self, characteristic, callback, **kwargs):
        cccd = characteristic.get_descriptor(_CCCD_UUID)
        if cccd is None:
            raise BleakError("characteristic %s cannot notify" % characteristic.uuid)
        self._callbacks[characteristic.handle] = callback
        await self._att(self._peer.write, cccd.handle, b"\x01\x00")

    async def stop_notify(self, characteristic):
        self._callbacks.pop(characteristic.handle, None)
        await self._att(self._peer.write, characteristic.get_descriptor(_CCCD_UUID).handle, b"\x00\x00")

    # ---- the radio's threads

    def _notified(self, value_handle, data):
        callback = self._callbacks.get(value_handle)
        if callback is not None:
            self._to_loop(callback, bytearray(data))

    def _lost(self):
        self._to_loop(self._link_lost)

    def _to_loop(self, function, *args):
        try:
            self._loop.call_soon_threadsafe(function, *args)
        except RuntimeError:  # the client's loop has ended: nobody is listening
            pass

    def _link_lost(self):
        """Whichever side ended the link, bleak's disconnected callback runs once (as on BlueZ)."""
        if self._connected:
            self._connected = False
            if self._disconnected_callback is not None:
                self._disconnected_callback()

    # ---- helpers

    async def _att(self, operation, *args, **kwargs):
        """One blocking exchange with the radio, off the event loop; its errors as bleak's."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, lambda: operation(*args, **kwargs))
        except ConnectionError as exc:
            raise BleakError("Not connected: %s" % exc) from exc
        except Exception as exc:
            code = getattr(exc, "att_error", None)
            if code is None:
                raise
            raise BleakGATTProtocolError(code) from exc

    def _read_long(self, handle):
        value = self._peer.read(handle)
        part = value
        while len(part) == self._peer.mtu - 1:
            part = self._peer.read_blob(handle, len(value))
            value += part
        return value

    def _write_long(self, handle, data):
        if len(data) <= self._peer.mtu - 3:
            self._peer.write(handle, data)
            return
        step = self._peer.mtu - 5
        for offset in range(0, len(data), step):
            self._peer.prepare_write(handle, offset, data[offset : offset + step])
        self._peer.execute_write(True)

    def _collection(self, services):
        collection = BleakGATTServiceCollection()
        for entry in services:
            service = BleakGATTService(entry, entry["start"], entry["uuid"])
            collection.add_service(service)
            for char in entry["characteristics"]:
                properties = [name for bit, name in _PROPERTIES if char["properties"] & bit]
                characteristic = BleakGATTCharacteristic(char, char["handle"], char["uuid"], properties,
                                                         lambda: self.mtu_size - 3, service)
                collection.add_characteristic(characteristic)
                for desc in char["descriptors"]:
                    collection.add_descriptor(BleakGATTDescriptor(desc, desc["handle"], desc["uuid"], characteristic))
        return collection


def use_sim_radio(monkeypatch, radio=None):
    """Make ``bleak.BleakClient`` use ``SimBleakClient`` unless told otherwise (pytest's ``monkeypatch``),
    on ``radio``: None (this process's air) or "host:port" of a virtual board's radio."""
    monkeypatch.setattr(bleak, "get_platform_client_backend_type", lambda: (SimBleakClient, "sim"))
    monkeypatch.setattr(sys.modules[__name__], "_radio", radio)
