"""Simulated BLE central: the host client's BLE link to a virtual board, doing what bleak does on a real radio.

:class:`SimGattLink` is a ``wifiprov_host.transport_ble.GattLink``, so the host client's
BLE code path (``GattTransport``: endpoints by their 0x2901 names, write with response
then read) runs unchanged over it. Like a BlueZ/bleak central it scans for the device by
its advertised name, takes the provisioning service from the advertisement when exactly
one service UUID is advertised (esp_prov's rule), exchanges the MTU, reads every 0x2901
descriptor, uses Prepare/Execute Write for long values and Read Blob for long reads, and
pairs (Just Works) when the device answers "insufficient authentication". It issues its
read right after the Write Response, with no delay.

The radio is ``scripts/devsim/bluetooth.py``'s ``air()``: in this process (tests), or in
the virtual board's process over TCP -- the board runs an :class:`AirServer`, the host a
:class:`RemoteAir` (``prov.py --transport ble --ble-sim HOST:PORT``).
"""

import json
import queue
import socket
import threading
import time

from wifiprov_host.transport import DeviceNotFound
from wifiprov_host.transport_ble import USER_DESCRIPTION_UUID16, AttError, GattLink, GattTransport, LinkLost

_AD_UUID16_SOME = 0x02
_AD_UUID16_COMPLETE = 0x03
_AD_UUID128_SOME = 0x06
_AD_UUID128_COMPLETE = 0x07
_AD_NAME_SHORT = 0x08
_AD_NAME_COMPLETE = 0x09
_AD_SERVICE_DATA16 = 0x16
_AD_MANUFACTURER = 0xFF
_ATT_INSUFFICIENT_AUTHENTICATION = 0x05
_ATT_INSUFFICIENT_ENCRYPTION = 0x0F
_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"
_SCAN_POLL_S = 0.05
_REMOTE_TIMEOUT_S = 60.0  # longer than any read the board may hold (~20 s)


def ad_fields(payload):
    """``[(type, value), ...]`` of an advertising payload (a truncated structure ends the list)."""
    fields = []
    i = 0
    while i + 1 < len(payload) and payload[i]:
        length = payload[i]
        fields.append((payload[i + 1], bytes(payload[i + 2 : i + 1 + length])))
        i += 1 + length
    return fields


def _uuid_text(uuid_le):
    if len(uuid_le) == 2:
        return "0000%s%s" % (uuid_le[::-1].hex(), _BASE_UUID_TAIL)
    h = uuid_le[::-1].hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


class Advert:
    """One advertiser as a scanning central sees it (advertising data and scan response merged;
    ``passive``: the advertising data alone, as a passive scan hears it)."""

    def __init__(self, address, adv, resp, connectable=True, passive=False):
        self.address = bytes(address)
        self.adv = bytes(adv)
        self.resp = b"" if passive else bytes(resp)
        self.connectable = connectable
        self.name = None
        self.service_uuids = []
        self.service_data = {}  # 16-bit UUID as text -> data
        self.manufacturer_data = {}  # company id -> data
        for ad_type, value in ad_fields(self.adv) + ad_fields(self.resp):
            if ad_type in (_AD_NAME_COMPLETE, _AD_NAME_SHORT) and self.name is None:
                self.name = value.decode("utf-8", "replace")
            elif ad_type == _AD_SERVICE_DATA16 and len(value) >= 2:
                self.service_data[_uuid_text(value[:2])] = value[2:]
            elif ad_type == _AD_MANUFACTURER and len(value) >= 2:
                self.manufacturer_data[int.from_bytes(value[:2], "little")] = value[2:]
            elif ad_type in (_AD_UUID128_SOME, _AD_UUID128_COMPLETE):
                self.service_uuids += [_uuid_text(value[i : i + 16]) for i in range(0, len(value) - 15, 16)]
            elif ad_type in (_AD_UUID16_SOME, _AD_UUID16_COMPLETE):
                self.service_uuids += [_uuid_text(value[i : i + 2]) for i in range(0, len(value) - 1, 2)]


def scan(air, timeout):
    """Every :class:`Advert` seen within ``timeout`` seconds (stops early once something is seen)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [Advert(a["addr"], a["adv"], a["resp"], a["connectable"]) for a in air.adverts()]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(_SCAN_POLL_S)


def find(air, device_name, timeout):
    """The advertiser named exactly ``device_name`` (None if not seen within ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        for advert in scan(air, 0):
            if advert.name == device_name and advert.connectable:
                return advert
        if time.monotonic() >= deadline:
            return None
        time.sleep(_SCAN_POLL_S)


class SimGattLink(GattLink):
    """A connected central on the simulated air, found by its advertised name.

    ``mtu``: what the central asks for in the MTU exchange (BlueZ 517, Android 512; 23 =
    no exchange); ``pair_when_asked``: pair and retry once on ATT 0x05/0x0F, as BlueZ does.
    """

    def __init__(self, air, device_name, scan_timeout=10.0, mtu=517, pair_when_asked=True):
        self.pair_when_asked = pair_when_asked
        self.paired = False
        self.peer = None
        self._handles = {}
        self._chars = []
        advert = find(air, device_name, scan_timeout)
        if advert is None:
            raise DeviceNotFound("no BLE device named %r found within %g s" % (device_name, scan_timeout))
        self.advert = advert
        try:
            self.peer = air.connect(advert.address, central_mtu=mtu)
        except ConnectionError as exc:
            raise DeviceNotFound("cannot connect to %r: %s" % (device_name, exc)) from exc
        try:
            self._discover(device_name, mtu)
        except BaseException:
            self.close()
            raise

    def _discover(self, device_name, mtu):
        if mtu > 23:
            self._call(self.peer.exchange_mtu, mtu)
        services = self._call(self.peer.services)
        uuids = self.advert.service_uuids
        for service in services:
            if len(uuids) == 1 and service["uuid"] != uuids[0]:
                continue
            chars = []
            handles = {}
            for char in service["characteristics"]:
                description = None
                for desc in char["descriptors"]:
                    if desc["uuid"][4:8] == USER_DESCRIPTION_UUID16:
                        description = self._procedure(self._read_long, desc["handle"])
                        break
                chars.append((char["uuid"], description))
                handles[char["uuid"]] = char["handle"]
            if any(description == b"prov-session" for _, description in chars):
                self._chars = chars
                self._handles = handles
                return
        raise DeviceNotFound("%r does not offer the provisioning service" % device_name)

    @property
    def mtu(self):
        return self.peer.mtu

    def characteristics(self):
        return list(self._chars)

    def write(self, char_uuid, data):
        self._procedure(self._write_long, self._handles[char_uuid], bytes(data))

    def read(self, char_uuid):
        return self._procedure(self._read_long, self._handles[char_uuid])

    def close(self):
        if self.peer is not None:
            try:
                self.peer.disconnect()
            except (ConnectionError, OSError):  # already gone
                pass

    def _read_long(self, handle):
        """GATT Read Long Characteristic Value: Read, then Read Blob while the answer filled the PDU."""
        value = self._call(self.peer.read, handle)
        part = value
        while len(part) == self.mtu - 1:
            part = self._call(self.peer.read_blob, handle, len(value))
            value += part
        return value

    def _write_long(self, handle, data):
        """GATT Write (with response): one Write Request, or Prepare Writes + Execute when it does not fit."""
        if len(data) <= self.mtu - 3:
            self._call(self.peer.write, handle, data)
            return
        step = self.mtu - 5
        try:
            for offset in range(0, len(data), step):
                self._call(self.peer.prepare_write, handle, offset, data[offset : offset + step])
        except AttError:
            self._call(self.peer.execute_write, False)
            raise
        self._call(self.peer.execute_write, True)

    def _procedure(self, procedure, *args):
        try:
            return procedure(*args)
        except AttError as exc:
            if exc.code not in (_ATT_INSUFFICIENT_AUTHENTICATION, _ATT_INSUFFICIENT_ENCRYPTION):
                raise
            if not self.pair_when_asked or self.paired:
                raise
        self._call(self.peer.pair)
        self.paired = True
        return procedure(*args)

    @staticmethod
    def _call(operation, *args):
        """One ATT exchange; the radio's errors become the GattLink's ``AttError`` / ``LinkLost``."""
        try:
            return operation(*args)
        except ConnectionError as exc:
            raise LinkLost(str(exc) or "disconnected") from exc
        except Exception as exc:
            code = getattr(exc, "att_error", None)
            if code is None:
                raise
            raise AttError(code) from exc


def open_sim_ble(device_name, air, scan_timeout=10.0, **link_options):
    """A ``GattTransport`` to ``device_name`` on ``air`` (an ``air()`` object, or "host:port" of an AirServer)."""
    if isinstance(air, str):
        air = RemoteAir(air)
    return GattTransport(SimGattLink(air, device_name, scan_timeout, **link_options))


# ---------------------------------------------------------------- across processes


class _RemoteAttError(Exception):
    def __init__(self, code):
        super().__init__("ATT error 0x%02x" % code)
        self.att_error = code


class AirServer:
    """Offers this process's simulated air to centrals in other processes (one TCP connection = one central).

    Requests and answers are JSON lines; bytes travel as hex. After a ``listen`` request the
    board's notifications and the end of the link also come as lines, whenever they happen:
    ``{"event": "notify", "handle": h, "data": hex}`` and ``{"event": "lost"}``.
    """

    def __init__(self, air, host="127.0.0.1", port=0):
        self.air = air
        self._server = socket.create_server((host, port))
        self.port = self._server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, name="ble-air-server", daemon=True).start()

    def close(self):
        self._closed = True
        self._server.close()

    def _accept(self):
        while not self._closed:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        stream = sock.makefile("rwb")
        lock = threading.Lock()

        def send(message):
            with lock:
                try:
                    stream.write(json.dumps(message).encode() + b"\n")
                    stream.flush()
                except (OSError, ValueError):  # the central went away
                    pass

        state = {"peer": None, "send": send}
        try:
            for line in stream:
                try:
                    answer = {"ok": self._perform(state, json.loads(line))}
                except ConnectionError as exc:
                    answer = {"lost": str(exc) or "disconnected"}
                except Exception as exc:
                    code = getattr(exc, "att_error", None)
                    answer = {"att_error": code} if code is not None else {"error": "%s: %s" % (type(exc).__name__, exc)}
                send(answer)
        except OSError:
            pass
        finally:
            peer = state["peer"]
            if peer is not None and peer.connected:
                try:
                    peer.disconnect()
                except ConnectionError:
                    pass
            sock.close()

    def _perform(self, state, request):
        op = request["op"]
        if op == "adverts":
            return [{"addr": a["addr"].hex(), "adv": a["adv"].hex(), "resp": a["resp"].hex(),
                     "connectable": a["connectable"]} for a in self.air.adverts()]
        if op == "connect":
            state["peer"] = self.air.connect(bytes.fromhex(request["addr"]), central_mtu=request["mtu"])
            return state["peer"].conn_handle
        peer = state["peer"]
        if peer is None:
            raise ConnectionError("not connected")
        if op == "exchange_mtu":
            return peer.exchange_mtu(request["mtu"])
        if op == "services":
            return peer.services()
        if op == "read":
            return peer.read(request["handle"]).hex()
        if op == "read_blob":
            return peer.read_blob(request["handle"], request["offset"]).hex()
        if op == "write":
            return peer.write(request["handle"], bytes.fromhex(request["data"]))
        if op == "prepare_write":
            return peer.prepare_write(request["handle"], request["offset"], bytes.fromhex(request["data"])).hex()
        if op == "execute_write":
            return peer.execute_write(request["commit"])
        if op == "pair":
            return peer.pair()
        if op == "listen":
            send = state["send"]
            return peer.listen(lambda handle, data: send({"event": "notify", "handle": handle, "data": data.hex()}),
                               lambda: send({"event": "lost"}))
        if op == "disconnect":
            return peer.disconnect()
        raise ValueError("unknown op %r" % op)


class RemoteAir:
    """The air of a board in another process, through its :class:`AirServer` at "host:port"."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        try:
            self._sock = socket.create_connection((host or "127.0.0.1", int(port)))
        except (OSError, ValueError) as exc:
            raise DeviceNotFound("no simulated BLE radio at %s: %s" % (address, exc)) from exc
        self._stream = self._sock.makefile("rwb")
        self._lock = threading.Lock()
        self._answers = queue.Queue()
        self.on_notify = None  # callback(handle, data) once a peer listens
        self.on_lost = None
        threading.Thread(target=self._read, name="ble-air-client", daemon=True).start()

    def _read(self):
        """Answers go to the request waiting for them, events to the listener."""
        try:
            for line in self._stream:
                message = json.loads(line)
                event = message.get("event")
                if event == "notify" and self.on_notify is not None:
                    self.on_notify(message["handle"], bytes.fromhex(message["data"]))
                elif event == "lost" and self.on_lost is not None:
                    self.on_lost()
                elif event is None:
                    self._answers.put(message)
        except (OSError, ValueError):
            pass
        self._answers.put(None)

    def request(self, op, **fields):
        fields["op"] = op
        with self._lock:
            try:
                self._stream.write(json.dumps(fields).encode() + b"\n")
                self._stream.flush()
                answer = self._answers.get(timeout=_REMOTE_TIMEOUT_S)
            except (OSError, queue.Empty) as exc:
                raise ConnectionError("simulated radio unreachable: %s" % exc) from exc
        if answer is None:
            raise ConnectionError("the virtual board went away")
        if "ok" in answer:
            return answer["ok"]
        if "lost" in answer:
            raise ConnectionError(answer["lost"])
        if "att_error" in answer:
            raise _RemoteAttError(answer["att_error"])
        raise RuntimeError("simulated radio: " + answer["error"])

    def adverts(self):
        return [{"addr": bytes.fromhex(a["addr"]), "adv": bytes.fromhex(a["adv"]), "resp": bytes.fromhex(a["resp"]),
                 "connectable": a["connectable"]} for a in self.request("adverts")]

    def connect(self, board_address, central_mtu=517):
        self.request("connect", addr=bytes(board_address).hex(), mtu=central_mtu)
        return _RemotePeer(self, central_mtu)


class _RemotePeer:
    """``bluetooth.Peer``'s methods, forwarded to the board's process."""

    def __init__(self, remote, central_mtu):
        self._remote = remote
        self.central_mtu = central_mtu
        self.mtu = 23
        self._connected = True

    def exchange_mtu(self, mtu=None):
        self.mtu = self._remote.request("exchange_mtu", mtu=mtu or self.central_mtu)
        return self.mtu

    def services(self):
        return self._remote.request("services")

    def read(self, handle):
        return bytes.fromhex(self._remote.request("read", handle=handle))

    def read_blob(self, handle, offset):
        return bytes.fromhex(self._remote.request("read_blob", handle=handle, offset=offset))

    def write(self, handle, data):
        self._remote.request("write", handle=handle, data=bytes(data).hex())

    def prepare_write(self, handle, offset, data):
        return bytes.fromhex(self._remote.request("prepare_write", handle=handle, offset=offset,
                                                  data=bytes(data).hex()))

    def execute_write(self, commit=True):
        self._remote.request("execute_write", commit=commit)

    def pair(self):
        return self._remote.request("pair")

    def listen(self, on_notify, on_lost=None):
        def lost():
            self._connected = False
            if on_lost is not None:
                on_lost()

        self._remote.on_notify = on_notify
        self._remote.on_lost = lost
        self._remote.request("listen")

    @property
    def connected(self):
        return self._connected

    def disconnect(self):
        try:
            self._remote.request("disconnect")
        finally:
            self._connected = False
            self._remote._sock.close()
