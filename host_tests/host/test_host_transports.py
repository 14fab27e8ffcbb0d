"""Transports: HTTP against a local http.server, BLE GATT logic against a fake link and a fake bleak, in-memory."""

import http.server
import sys
import threading
import types

import pytest

from wifiprov_host.transport import ConnectionDropped, DeviceNotFound, RequestFailed
from wifiprov_host.transport_ble import AttError, BleakLink, GattLink, GattTransport, LinkLost
from wifiprov_host.transport_http import HttpTransport, address_for
from wifiprov_host.transport_memory import MemoryTransport


# --- HTTP ----------------------------------------------------------------------------------------

class DeviceHandler(http.server.BaseHTTPRequestHandler):
    """A provisioning server in the style of PROTOCOL.md §8.1, recording what it sees."""

    protocol_version = "HTTP/1.1"
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({"port": self.client_address[1], "path": self.path, "cookie": self.headers.get("Cookie"),
                          "content_type": self.headers.get("Content-type"), "body": body})
        if self.path == "/fail":  # protocol failure: close without any HTTP response
            self.close_connection = True
            return
        if self.path == "/slow":
            threading.Event().wait(1.0)
        if self.path not in ("/proto-ver", "/prov-session", "/slow"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body) + 1))
        if self.headers.get("Cookie") is None:
            self.send_header("Set-Cookie", "session=305419896")
        self.end_headers()
        self.wfile.write(b"<" + body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    DeviceHandler.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DeviceHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_http_persistent_connection_and_cookie(server):
    transport = HttpTransport(server)
    assert transport.send("proto-ver", b"none") == b"<none"
    assert transport.send("prov-session", b"\x01\x02") == b"<\x01\x02"
    assert transport.send("proto-ver", b"x") == b"<x"
    transport.close()
    seen = DeviceHandler.seen
    assert len({s["port"] for s in seen}) == 1 and transport.connections_opened == 1
    assert [s["cookie"] for s in seen] == [None, "session=305419896", "session=305419896"]
    assert seen[0]["content_type"] == "application/x-www-form-urlencoded"


def test_http_closed_without_response_is_request_failed_and_session_continues(server):
    transport = HttpTransport(server)
    transport.send("proto-ver", b"none")
    with pytest.raises(RequestFailed, match="closed the connection without answering /fail"):
        transport.send("fail", b"x")
    assert transport.send("prov-session", b"y") == b"<y"  # new socket, same session cookie
    seen = DeviceHandler.seen
    assert transport.connections_opened == 2 and seen[-1]["cookie"] == "session=305419896"
    assert seen[-1]["port"] != seen[0]["port"]


def test_http_error_status_is_request_failed(server):
    transport = HttpTransport(server)
    with pytest.raises(RequestFailed, match="HTTP 404"):
        transport.send("custom-data", b"x")
    assert transport.send("proto-ver", b"z") == b"<z"


def test_http_timeout_is_connection_dropped(server):
    transport = HttpTransport(server, timeout=0.2)
    with pytest.raises(ConnectionDropped, match="no answer"):
        transport.send("slow", b"x")


def test_http_unreachable_device_is_device_not_found():
    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(DeviceNotFound):
        HttpTransport("127.0.0.1:%d" % port, timeout=2).send("proto-ver", b"none")


def test_http_refuses_empty_body_and_maps_service_names():
    with pytest.raises(ValueError):
        HttpTransport().send("proto-ver", b"")
    assert address_for(None) == "192.168.4.1:80"
    assert address_for("PROV_1A2B3C") == "192.168.4.1:80"
    assert address_for("192.168.4.1:8080") == "192.168.4.1:8080"
    assert address_for("esp.local") == "esp.local"


def test_set_cookie_attributes_are_not_copied():
    class Response:
        def getheaders(self):
            return [("set-cookie", "session=7; Path=/")]

    transport = HttpTransport()
    transport._take_cookie(Response())
    assert transport.cookie == "session=7"


# --- BLE (GATT logic) -----------------------------------------------------------------------------

UUID = "021a%s-0382-4aea-bff4-6b3f1c5adfb4"
NAMES = {"ff4f": b"prov-ctrl", "ff50": b"prov-scan", "ff51": b"prov-session", "ff52": b"prov-config",
         "ff53": b"proto-ver", "ff54": b"custom-data"}


class FakeGatt(GattLink):
    """Characteristics with 0x2901 names; a write stores the device's answer for the following read."""

    def __init__(self, device, names=NAMES, deny_read_on_failure=True):
        self.device = device
        self.names = names
        self.values = {}
        self.deny = set()
        self.deny_read_on_failure = deny_read_on_failure
        self.ops = []
        self.connected = True

    def characteristics(self):
        chars = [(UUID % short, name.upper() if short == "ff53" else name) for short, name in self.names.items()]
        return chars + [(UUID % "ff99", None)]

    def write(self, char_uuid, data):
        self.ops.append(("write", char_uuid, data))
        if not self.connected:
            raise LinkLost("disconnected")
        name = self.names[char_uuid[4:8]].decode()
        answer = self.device.handle(1, name, data)
        if answer is None:
            if not self.deny_read_on_failure:
                raise AttError(0x04)  # NimBLE: the write fails
            self.deny.add(char_uuid)  # MicroPython device: deny the next read with 0x0E
        else:
            self.values[char_uuid] = answer

    def read(self, char_uuid):
        self.ops.append(("read", char_uuid))
        if char_uuid in self.deny:
            self.deny.discard(char_uuid)
            raise AttError(0x0E)
        return self.values.get(char_uuid, b"")


class Echo:
    def handle(self, session_id, endpoint, data):
        return None if data == b"bad" else endpoint.encode() + b":" + data


@pytest.mark.parametrize("deny_read", [True, False])
def test_gatt_write_then_read_and_failures(deny_read):
    link = FakeGatt(Echo(), deny_read_on_failure=deny_read)
    transport = GattTransport(link)
    assert transport.kind == "ble" and transport.scan_page_size == 4
    assert transport.send("proto-ver", b"ESP") == b"proto-ver:ESP"  # name read as "PROTO-VER", lower-cased
    assert link.ops[-2:] == [("write", UUID % "ff53", b"ESP"), ("read", UUID % "ff53")]
    with pytest.raises(RequestFailed, match="ATT error 0x%02x" % (0x0E if deny_read else 0x04)):
        transport.send("prov-session", b"bad")
    assert transport.send("prov-session", b"ok") == b"prov-session:ok"
    with pytest.raises(RequestFailed, match="no endpoint"):
        transport.send("custom-other", b"x")
    link.connected = False
    with pytest.raises(ConnectionDropped):
        transport.send("prov-config", b"x")


def test_gatt_without_required_endpoints_is_not_a_provisioning_device():
    names = {"ff51": b"prov-session", "ff53": b"proto-ver"}
    with pytest.raises(DeviceNotFound, match="prov-config"):
        GattTransport(FakeGatt(Echo(), names=names))


# --- BLE (bleak adapter against a fake bleak module) -----------------------------------------------

def fake_bleak(advertised_name="PROV_1A2B3C", adv_uuids=(UUID % "9004",), fail_read=False):
    exc = types.SimpleNamespace()

    class BleakError(Exception):
        pass

    class BleakGATTProtocolError(BleakError):
        def __init__(self, code):
            super().__init__(code)
            self.code = code

    exc.BleakError, exc.BleakGATTProtocolError = BleakError, BleakGATTProtocolError

    def ns(**kw):
        return types.SimpleNamespace(**kw)

    descriptors = {}
    chars = []
    for handle, (short, name) in enumerate(NAMES.items(), start=10):
        descriptors[handle] = name
        chars.append(ns(uuid=UUID % short, descriptors=[ns(uuid="00002901-0000-1000-8000-00805f9b34fb", handle=handle)]))
    services = [ns(uuid="0000180a-0000-1000-8000-00805f9b34fb", characteristics=[]),
                ns(uuid=UUID % "9004", characteristics=chars)]

    class BleakScanner:
        @staticmethod
        async def find_device_by_filter(match, timeout):
            for name in ("Other", advertised_name):
                device = ns(name=name, address="AA")
                if match(device, ns(local_name=name, service_uuids=list(adv_uuids))):
                    return device
            return None

    class BleakClient:
        def __init__(self, device, timeout):
            self.services, self.is_connected, self.value = services, False, b""
            self.log = module.log

        async def connect(self):
            self.is_connected = True

        async def disconnect(self):
            self.log.append("disconnect")
            self.is_connected = False

        async def read_gatt_descriptor(self, handle):
            return bytearray(descriptors[handle])

        async def write_gatt_char(self, uuid, data, response):
            self.log.append(("write", uuid, bytes(data), response))
            self.value = b"answer:" + bytes(data)

        async def read_gatt_char(self, uuid):
            self.log.append(("read", uuid))
            if fail_read:
                raise BleakGATTProtocolError(0x0E)
            return bytearray(self.value)

    module = types.ModuleType("bleak")
    module.BleakScanner, module.BleakClient, module.exc, module.log = BleakScanner, BleakClient, exc, []
    return module


def test_bleak_link_discovers_by_name_and_reads_endpoint_names(monkeypatch):
    module = fake_bleak()
    monkeypatch.setitem(sys.modules, "bleak", module)
    transport = GattTransport(BleakLink("PROV_1A2B3C", scan_timeout=1))
    assert transport.endpoints["prov-config"] == UUID % "ff52"
    assert transport.send("prov-session", b"\x01") == b"answer:\x01"
    assert module.log == [("write", UUID % "ff51", b"\x01", True), ("read", UUID % "ff51")]
    transport.close()
    assert module.log[-1] == "disconnect"


def test_bleak_link_maps_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "bleak", fake_bleak(fail_read=True))
    transport = GattTransport(BleakLink("PROV_1A2B3C", scan_timeout=1))
    with pytest.raises(RequestFailed, match="0x0e"):
        transport.send("proto-ver", b"ESP")
    transport.close()
    monkeypatch.setitem(sys.modules, "bleak", fake_bleak(advertised_name="PROV_OTHER"))
    with pytest.raises(DeviceNotFound, match="no BLE device named 'PROV_1A2B3C'"):
        BleakLink("PROV_1A2B3C", scan_timeout=1)


# --- in memory --------------------------------------------------------------------------------------

def test_memory_transport_opens_and_closes_the_session():
    class Device(Echo):
        events = []

        def open_session(self, sid):
            self.events.append(("open", sid))

        def close_session(self, sid):
            self.events.append(("close", sid))

    device = Device()
    with MemoryTransport(device, session_id=7, profile="ble") as transport:
        assert transport.scan_page_size == 4 and transport.scan_group_channels == 0
        assert transport.send("x", b"1") == b"x:1"
        with pytest.raises(RequestFailed):
            transport.send("x", b"bad")
    assert device.events == [("open", 7), ("close", 7)]
