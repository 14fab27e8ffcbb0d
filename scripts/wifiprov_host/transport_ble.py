"""BLE GATT transport (PROTOCOL.md §8.2): endpoints found by their 0x2901 names, write-with-response then read.

The protocol logic sits in :class:`GattTransport`, which needs only a small
:class:`GattLink` (list characteristics, write, read). :class:`BleakLink` is that link
over a real radio via ``bleak`` (imported lazily, so the rest of the package works
without it); the virtual board's simulated BLE link implements the same three methods.
"""

import asyncio
import threading

from wifiprov_host.transport import (
    LINK_PROFILES,
    ConnectionDropped,
    DeviceNotFound,
    RequestFailed,
    Transport,
)

USER_DESCRIPTION_UUID16 = "2901"
REQUIRED_ENDPOINTS = ("prov-session", "prov-config", "proto-ver")


class AttError(Exception):
    """The peer answered a write or read with an ATT error ``code``."""

    def __init__(self, code, message=""):
        super().__init__(code, message or "ATT error 0x%02x" % code)
        self.code = code


class LinkLost(Exception):
    """The BLE connection is gone."""


class GattLink:
    """What :class:`GattTransport` needs from a connected BLE central.

    ``characteristics()`` returns ``[(char_uuid, user_description_bytes or None), ...]``
    for the provisioning service; ``write`` is a write *with* response; both ``write``
    and ``read`` raise :class:`AttError` or :class:`LinkLost`.
    """

    def characteristics(self):
        raise NotImplementedError

    def write(self, char_uuid, data):
        raise NotImplementedError

    def read(self, char_uuid):
        raise NotImplementedError

    def close(self):
        pass


class GattTransport(Transport):
    """Provisioning over a :class:`GattLink`.

    Endpoint names come from the 0x2901 descriptors, lower-cased as esp_prov does;
    ``prov-session``, ``prov-config`` and ``proto-ver`` must exist. A request is one
    write with response followed by one read of the same characteristic; an ATT error on
    either is the device's protocol failure (NimBLE fails the write with 0x04, a
    MicroPython device denies the read with 0x0E).
    """

    kind = "ble"
    scan_page_size, scan_group_channels = LINK_PROFILES["ble"]

    def __init__(self, link):
        self.link = link
        self.endpoints = {}
        for char_uuid, description in link.characteristics():
            if description is None:
                continue
            name = bytes(description).decode("latin-1").lower()
            self.endpoints[name] = char_uuid
        missing = [name for name in REQUIRED_ENDPOINTS if name not in self.endpoints]
        if missing:
            link.close()
            raise DeviceNotFound("device has no provisioning endpoint(s) %s" % ", ".join(missing))

    def send(self, endpoint, data):
        """Write ``data`` to the endpoint's characteristic, then read the response from it."""
        char_uuid = self.endpoints.get(endpoint)
        if char_uuid is None:
            raise RequestFailed("device has no endpoint %r" % endpoint)
        try:
            self.link.write(char_uuid, bytes(data))
            return bytes(self.link.read(char_uuid))
        except AttError as exc:
            raise RequestFailed("device refused %s (ATT error 0x%02x)" % (endpoint, exc.code)) from exc
        except LinkLost as exc:
            raise ConnectionDropped("BLE connection lost during %s: %s" % (endpoint, exc)) from exc

    def close(self):
        """Disconnect."""
        self.link.close()


class BleakLink(GattLink):
    """A :class:`GattLink` over ``bleak``; runs bleak's asyncio calls on a private loop thread."""

    def __init__(self, device_name, scan_timeout=10.0, connect_timeout=30.0):
        try:
            import bleak
        except ImportError as exc:
            raise DeviceNotFound("BLE needs the 'bleak' package (pip install bleak)") from exc
        self._bleak = bleak
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bleak-loop", daemon=True)
        self._thread.start()
        self._client = None
        self._chars = []
        try:
            self._run(self._connect(device_name, scan_timeout, connect_timeout))
        except BaseException:
            self.close()
            raise

    async def _connect(self, device_name, scan_timeout, connect_timeout):
        bleak = self._bleak
        found = {}

        def match(device, adv):
            if (adv.local_name or device.name) == device_name:
                found["adv"] = adv
                return True
            return False

        try:
            device = await bleak.BleakScanner.find_device_by_filter(match, timeout=scan_timeout)
        except (bleak.exc.BleakError, OSError) as exc:
            raise DeviceNotFound("BLE scan failed (is Bluetooth available?): %s" % exc) from exc
        if device is None:
            raise DeviceNotFound("no BLE device named %r found within %g s" % (device_name, scan_timeout))
        # The provisioning service is the one UUID advertised (esp_prov's rule).
        uuids = list(found["adv"].service_uuids)
        client = bleak.BleakClient(device, timeout=connect_timeout)
        try:
            await client.connect()
        except (bleak.exc.BleakError, asyncio.TimeoutError, OSError) as exc:
            raise DeviceNotFound("cannot connect to %r: %s" % (device_name, exc)) from exc
        self._client = client
        services = [s for s in client.services if len(uuids) != 1 or s.uuid == uuids[0]]
        for service in services:
            chars = []
            for char in service.characteristics:
                description = None
                for desc in char.descriptors:
                    if desc.uuid[4:8] == USER_DESCRIPTION_UUID16:
                        description = bytes(await client.read_gatt_descriptor(desc.handle))
                        break
                chars.append((char.uuid, description))
            if any(desc == b"prov-session" for _, desc in chars):
                self._chars = chars
                return
        raise DeviceNotFound("%r does not offer the provisioning service" % device_name)

    def characteristics(self):
        return list(self._chars)

    def write(self, char_uuid, data):
        self._run(self._io(self._client.write_gatt_char(char_uuid, data, response=True)))

    def read(self, char_uuid):
        return self._run(self._io(self._client.read_gatt_char(char_uuid)))

    async def _io(self, operation):
        bleak = self._bleak
        try:
            return await operation
        except bleak.exc.BleakGATTProtocolError as exc:
            raise AttError(int(exc.code)) from exc
        except (bleak.exc.BleakError, asyncio.TimeoutError, OSError, EOFError) as exc:
            if self._client is None or not self._client.is_connected:
                raise LinkLost(str(exc)) from exc
            raise AttError(0, str(exc)) from exc

    def close(self):
        if self._client is not None and self._loop.is_running():
            client, self._client = self._client, None
            try:
                self._run(client.disconnect())
            except Exception:  # already gone: nothing left to release
                pass
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


def open_ble(device_name, scan_timeout=10.0):
    """Discover ``device_name`` by its advertised name, connect, and return a :class:`GattTransport`."""
    return GattTransport(BleakLink(device_name, scan_timeout=scan_timeout))
