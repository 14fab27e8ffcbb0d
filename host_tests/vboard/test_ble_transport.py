"""wifiprov.ble on the simulated radio: GATT layout, advertising, race-free request/response, failures, links.

The simulator (scripts/devsim/bluetooth.py) serves the central's read right after the
Write Response, before the board's main task could run (``read_race``), so every test
here would see a stale value or the echoed request if the transport answered late --
``test_the_simulator_catches_a_transport_that_answers_late`` shows it does.
"""

import asyncio
import threading
import time

import aioble
import aioble.core
import bluetooth
import pytest
from ble_board import NAME, board_maker
from ble_central import Advert, ad_fields

from wifiprov import ble as ble_transport
from wifiprov import ble_layout
from wifiprov.manager import ENDPOINTS
from wifiprov_host.security import Security2
from wifiprov_host.transport import RequestFailed
from wifiprov_host.transport_ble import AttError, GattTransport

EXAMPLE = ble_layout.EXAMPLE_SERVICE_UUID
READ_WRITE = bluetooth.FLAG_READ | bluetooth.FLAG_WRITE
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4


class HandlerFailure(Exception):
    pass


def echo(session_id, data):
    return b"answer to " + bytes(data)


def fail(session_id, data):
    raise HandlerFailure("asked to fail")


def slow(session_id, data):
    for _ in range(30):  # 300 ms of "crypto" that lets the GIL go now and then, as the VM does
        time.sleep_ms(10)
    return b"slow " + bytes(data)


TEST_ENDPOINTS = (("custom-data", echo), ("fail", fail), ("slow", slow))


@pytest.fixture
def make_board(tmp_path):
    with board_maker(tmp_path, endpoints=TEST_ENDPOINTS) as make:
        yield make


def uuid_of(link, name):
    (uuid,) = [uuid for uuid, description in link.characteristics() if description == name.encode()]
    return uuid


def handle_of(link, name):
    return link._handles[uuid_of(link, name)]


class Spy:
    """Wraps the transport's protocomm: records which thread ran each request, and its size."""

    def __init__(self, protocomm):
        self._protocomm = protocomm
        self.requests = []

    def handle(self, session_id, endpoint, request):
        self.requests.append((threading.current_thread().name, endpoint, len(request)))
        return self._protocomm.handle(session_id, endpoint, request)

    def __getattr__(self, name):
        return getattr(self._protocomm, name)


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ---------------------------------------------------------------- GATT layout and advertising (§8.2, §13a)


def test_gatt_layout_meets_the_phone_apps_rules(make_board):
    board = make_board(security=1)
    link = board.link()
    services = link.peer.services()
    ours = [s for s in services if s["uuid"] == EXAMPLE]
    assert len(ours) == 1 and len(services) == 3  # NimBLE's GAP and GATT services, then ours
    names = list(ENDPOINTS) + [name for name, _ in TEST_ENDPOINTS]
    expected = [(name, ble_layout.endpoint_uuid(EXAMPLE, i)) for name, i in ble_layout.endpoint_ids(names)]
    chars = ours[0]["characteristics"]
    assert [c["uuid"] for c in chars] == [uuid for _, uuid in expected]
    assert [uuid for _, uuid in expected][:6] == [
        "021aff4f-0382-4aea-bff4-6b3f1c5adfb4", "021aff50-0382-4aea-bff4-6b3f1c5adfb4",
        "021aff51-0382-4aea-bff4-6b3f1c5adfb4", "021aff52-0382-4aea-bff4-6b3f1c5adfb4",
        "021aff53-0382-4aea-bff4-6b3f1c5adfb4", "021aff54-0382-4aea-bff4-6b3f1c5adfb4"]
    seen = []
    for char, (name, _) in zip(chars, expected):
        assert char["properties"] == READ_WRITE, name  # Read + Write (with response), nothing else
        (desc,) = char["descriptors"]  # exactly one descriptor: the 0x2901
        assert desc["uuid"] == "00002901-0000-1000-8000-00805f9b34fb"
        description = link.peer.read(desc["handle"])
        assert description == name.encode()  # exact: lower case, no NUL
        seen.append(description)
        with pytest.raises(bluetooth.AttErrorResponse):
            link.peer.write(desc["handle"], b"renamed")  # read-only
    assert len(set(seen)) == len(seen)
    link.close()


def test_advertisement_service_uuid_first_and_name_in_the_scan_response(make_board):
    board = make_board()
    (entry,) = bluetooth.air().adverts()
    assert len(entry["adv"]) <= 31 and len(entry["resp"]) <= 31
    assert ad_fields(entry["adv"]) == [(0x01, b"\x06"), (0x07, bytes(reversed(bytes.fromhex(EXAMPLE.replace("-", "")))))]
    assert ad_fields(entry["resp"]) == [(0x09, NAME.encode())]
    advert = Advert(entry["addr"], entry["adv"], entry["resp"])
    assert advert.service_uuids == [EXAMPLE] and advert.name == NAME


def test_configured_service_uuid_custom_endpoints_and_manufacturer_data(make_board):
    uuid = "1775244d-6b43-439b-877c-060f2d9bed07"
    board = make_board(options={"service_uuid": uuid, "manufacturer_data": b"\xe5\x02" + b"m" * 30},
                       endpoints=(("custom-data", echo), ("second", echo)))
    (entry,) = bluetooth.air().adverts()
    assert ad_fields(entry["resp"]) == [(0x09, NAME.encode()), (0xFF, b"\xe5\x02" + b"m" * 14)]
    link = board.link()
    chars = dict((description.decode(), uuid) for uuid, description in link.characteristics())
    assert chars["proto-ver"] == "1775ff53-6b43-439b-877c-060f2d9bed07"
    assert chars["custom-data"] == "1775ff54-6b43-439b-877c-060f2d9bed07"
    assert chars["second"] == "1775ff55-6b43-439b-877c-060f2d9bed07"
    link.close()


def test_a_name_that_does_not_fit_the_scan_response_fails_loudly():
    with pytest.raises(ValueError) as refused:
        ble_transport.BleTransport(None, ENDPOINTS, "PROV_" + "X" * 25)  # 30 bytes, 29 fit
    assert "29" in str(refused.value)


def test_encrypted_characteristics_with_force_encryption(make_board):
    board = make_board(security=0, options={"force_encryption": True})
    flags = [c[1] for c in board.transport._service._tuple()[1]]
    assert all(f == READ_WRITE | 0x0200 | 0x1000 for f in flags)
    assert bluetooth.BLE().config("io") == 3 and bluetooth.BLE().config("mitm") is True
    link = board.link(pair_when_asked=False)  # descriptors can be read without encryption
    with pytest.raises(AttError) as refused:
        link.write(uuid_of(link, "custom-data"), b"x")
    assert refused.value.code == 0x05
    link.close()
    wait_for(lambda: bluetooth.air().adverts())
    link = board.link()  # pairs when asked, as BlueZ does
    transport = GattTransport(link)
    assert transport.send("custom-data", b"x") == b"answer to x" and link.paired
    transport.close()


# ---------------------------------------------------------------- request/response


@pytest.mark.parametrize("read_race", [True, False], ids=["read-before-main-task", "free-timing"])
@pytest.mark.parametrize("mtu", [23, 517])
def test_a_read_never_sees_a_stale_value_or_the_echoed_request(make_board, read_race, mtu):
    board = make_board(security=0)
    bluetooth.air().stack.read_race = read_race
    link = board.link(mtu=mtu)
    transport = GattTransport(link)
    for i in range(25):
        request = b"%03d:" % i + b"r" * (i * 19)  # 4 .. 460 bytes: short, long, one and many PDUs
        assert transport.send("custom-data", request) == b"answer to " + request, "request %d" % i
    assert transport.send("slow", b"s") == b"slow s"
    assert transport.send("custom-data", b"after slow") == b"answer to after slow"
    transport.close()


def test_a_second_write_before_the_read_gets_the_second_answer(make_board):
    board = make_board(security=0)
    link = board.link()
    char = uuid_of(link, "slow")
    link.write(char, b"one")
    link.write(char, b"two")
    assert link.read(char) == b"slow two"
    link.close()


def test_a_read_before_any_write_is_empty(make_board):
    board = make_board(security=0)
    link = board.link()
    assert link.read(uuid_of(link, "prov-config")) == b""
    link.close()


def test_a_failed_request_denies_the_next_read_with_0x0e(make_board):
    board = make_board(security=0)
    link = board.link()
    char = uuid_of(link, "fail")
    link.write(char, b"secret request")  # a write cannot carry an ATT error on MicroPython
    with pytest.raises(AttError) as denied:
        link.read(char)
    assert denied.value.code == 0x0E
    assert link.read(char) == b""  # once denied, the value is empty, never the request
    transport = GattTransport(link)
    with pytest.raises(RequestFailed):
        transport.send("fail", b"again")
    assert transport.send("custom-data", b"next") == b"answer to next"  # the link lives on
    with pytest.raises(RequestFailed):
        transport.send("prov-session", b"\xff garbage")  # protocomm's failure, same path
    assert transport.send("custom-data", b"still") == b"answer to still"
    transport.close()


def test_a_held_read_is_bounded_well_below_the_att_timeout(make_board, monkeypatch):
    assert ble_transport._HOLD_STEP_MS * ble_transport._HOLD_STEPS <= 20000
    monkeypatch.setattr(ble_transport, "_HOLD_STEPS", 5)  # 50 ms instead of 20 s for the test
    board = make_board(security=0)
    link = board.link()
    char = uuid_of(link, "slow")
    link.write(char, b"late")
    started = time.monotonic()
    with pytest.raises(AttError) as denied:
        link.read(char)
    assert denied.value.code == 0x0E and time.monotonic() - started < 0.25

    def answered():
        try:
            return link.read(char) == b"slow late"
        except AttError:  # still being computed: held, and denied again after 50 ms
            return False

    wait_for(answered)  # stored once it is ready
    link.close()


def test_a_406_byte_sec2_cmd0_arrives_in_one_write(make_board):
    board = make_board(security=2)
    spy = board.transport.protocomm = Spy(board.transport.protocomm)
    link = board.link(mtu=23)  # no MTU exchange: Prepare Write x 23 + Execute
    captured = []

    def capture(request):
        captured.append(request)
        raise RequestFailed("captured")

    with pytest.raises(Exception):
        Security2(b"wifiprov", b"abcd1234").establish(capture)
    cmd0 = captured[0]
    assert len(cmd0) >= 400
    bluetooth.air().stack.trace_irqs = True
    link.write(uuid_of(link, "prov-session"), cmd0)
    resp0 = link.read(uuid_of(link, "prov-session"))  # Read + Read Blobs of 22 bytes
    assert len(resp0) > 400
    assert bluetooth.air().stack.irq_stats[_IRQ_GATTS_WRITE]["calls"] == 1
    assert ("board-main", "prov-session", len(cmd0)) in spy.requests
    link.close()


def test_no_protocomm_or_crypto_runs_on_the_nimble_task(make_board):
    board = make_board(security=2)
    spy = board.transport.protocomm = Spy(board.transport.protocomm)
    stack = bluetooth.air().stack
    stack.trace_irqs = True
    code, steps = board.provision(["--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234",
                                   "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]
    assert stack.irq_sleeps > 0, "no read was ever held: the simulator did not race the main task"
    assert {thread for thread, _, _ in spy.requests} == {"board-main"}
    for event in (_IRQ_GATTS_WRITE, _IRQ_GATTS_READ_REQUEST):
        stats = stack.irq_stats[event]
        assert stats["calls"] > 5
        assert stats["modules"] <= {"wifiprov.ble", "aioble.core", "aioble.device", "aioble.peripheral",
                                    "aioble.server"}, stats["modules"]
        assert stats["max_depth"] <= 5, stats  # guard -> aioble chain -> server -> on_read (sleep_ms is C)


class NaiveTransport:
    """aioble's documented write pattern, no read hold: ``await written()``, then answer (a test double)."""

    def __init__(self, protocomm, endpoints, name, log=None, on_link=None):
        self.protocomm = protocomm
        self.service = aioble.Service(bluetooth.UUID(EXAMPLE))
        self.chars = []
        for endpoint, endpoint_id in ble_layout.endpoint_ids(endpoints):
            char = aioble.BufferedCharacteristic(self.service, bluetooth.UUID(ble_layout.endpoint_uuid(EXAMPLE, endpoint_id)),
                                                 read=True, write=True, max_len=512)
            aioble.Descriptor(char, bluetooth.UUID(0x2901), read=True, initial=endpoint.encode())
            char.endpoint = endpoint
            self.chars.append(char)
        self.payloads = (ble_layout.advertising_data(EXAMPLE), ble_layout.scan_response(name))
        self.tasks = []

    async def start(self):
        aioble.register_services(self.service)
        self.tasks = [asyncio.create_task(self._serve(c)) for c in self.chars]
        self.tasks.append(asyncio.create_task(self._advertise()))

    async def _advertise(self):
        connection = await aioble.advertise(160000, adv_data=self.payloads[0], resp_data=self.payloads[1])
        if connection is not None:
            self.protocomm.open_session(connection._conn_handle)

    async def _serve(self, char):
        while True:
            connection = await char.written()
            char.write(self.protocomm.handle(connection._conn_handle, char.endpoint, char.read()) or b"")

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        aioble.stop()


def test_the_simulator_catches_a_transport_that_answers_late(make_board):
    board = make_board(security=0, transport_class=NaiveTransport)
    link = board.link()
    char = uuid_of(link, "custom-data")
    link.write(char, b"first")
    assert link.read(char) == b"first"  # the echoed request
    link.write(char, b"second")
    assert link.read(char) in (b"second", b"answer to first")  # echoed or stale, never right
    link.close()


# ---------------------------------------------------------------- IRQ guard


def test_an_exception_in_an_irq_handler_does_not_switch_ble_off(make_board):
    board = make_board(security=1)
    stack = bluetooth.air().stack

    def broken(event, data):
        if event in (1, 2, 3):
            raise RuntimeError("bug in some BLE handler")

    aioble.core.register_irq_handler(broken, None)
    try:
        code, steps = board.provision(["--pop", "abcd1234", "--custom_data", "hi"] +
                                      ["--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
        assert code == 0, steps[-1]
        assert stack.handler is not None and stack.irq_failures == []
        assert "BLE IRQ handler failed: RuntimeError" in board.log.text()
    finally:
        aioble.core._irq_handlers.remove(broken)


def test_without_the_guard_one_exception_ends_ble(make_board):
    """What the guard prevents: aioble's bare IRQ chain lets the exception out and BLE goes deaf."""
    make_board(security=0)
    stack = bluetooth.air().stack
    aioble.core.ble.irq(aioble.core.ble_irq)

    def broken(event, data):
        raise RuntimeError("bug in some BLE handler")

    aioble.core.register_irq_handler(broken, None)
    try:
        bluetooth.air().connect(stack.address)
        assert stack.handler is None and len(stack.irq_failures) == 1
    finally:
        aioble.core._irq_handlers.remove(broken)


# ---------------------------------------------------------------- links and sessions


def test_one_central_at_a_time_and_a_session_per_connection(make_board):
    board = make_board(security=1)
    first = GattTransport(board.link())
    assert bluetooth.air().adverts() == []  # connected: not advertising
    with pytest.raises(ConnectionError):
        bluetooth.air().connect(bluetooth.air().stack.address)
    wait_for(lambda: board.transport.protocomm.session_id == first.link.peer.conn_handle)
    first.close()
    wait_for(lambda: bluetooth.air().adverts())  # advertising again
    assert board.transport.protocomm.session_id is None  # the session went with the connection
    second = GattTransport(board.link())
    with pytest.raises(RequestFailed):
        second.send("prov-scan", b"\x00" * 8)  # security 1: nothing works before a handshake
    second.close()
    assert board.links == [True, False, True, False] or board.links[:3] == [True, False, True]


def test_a_central_leaving_mid_handshake_leaves_the_board_ready(make_board):
    board = make_board(security=2)
    link = board.link()
    captured = []

    def capture(request):
        captured.append(request)
        raise RequestFailed("captured")

    with pytest.raises(Exception):
        Security2(b"wifiprov", b"abcd1234").establish(capture)
    link.write(uuid_of(link, "prov-session"), captured[0])  # Cmd0 sent ...
    link.close()  # ... and gone before reading Resp0
    wait_for(lambda: bluetooth.air().adverts())
    code, steps = board.provision(["--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234",
                                   "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]


def test_a_central_leaving_between_cmd0_and_cmd1_cannot_continue_the_old_session(make_board):
    board = make_board(security=2)
    transport = GattTransport(board.link())
    exchanges = []

    def first_step_only(request):
        exchanges.append(request)
        if len(exchanges) == 2:
            raise RequestFailed("leave before Cmd1")
        return transport.send("prov-session", request)

    with pytest.raises(Exception):
        Security2(b"wifiprov", b"abcd1234").establish(first_step_only)
    transport.close()
    wait_for(lambda: bluetooth.air().adverts())
    again = GattTransport(board.link())
    with pytest.raises(RequestFailed):
        again.send("prov-session", exchanges[1])  # Cmd1 of the old session: the new one expects Cmd0
    again.close()
    wait_for(lambda: bluetooth.air().adverts())
    code, steps = board.provision(["--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234", "--custom_data", "x",
                                   "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]


def test_mtu_exchange_gives_512(make_board):
    board = make_board(security=0)
    link = board.link(mtu=517)
    assert link.mtu == 512 and bluetooth.BLE().config("mtu") == 512
    link.close()
    slow_link = board.link(mtu=23)  # a central that never exchanges still works (Read Blob, Prepare Write)
    assert slow_link.mtu == 23
    assert GattTransport(slow_link).send("custom-data", b"q" * 300) == b"answer to " + b"q" * 300
    slow_link.close()


def test_ble_is_switched_off_after_provisioning(make_board):
    board = make_board(security=1)
    code, steps = board.provision(["--pop", "abcd1234", "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]
    board.wait_stopped()
    assert not bluetooth.BLE().active()
    assert "BLE stack switched off" in board.log.text()


def test_keep_ble_leaves_the_stack_on_but_stops_the_service(make_board):
    board = make_board(security=1, options={"keep_ble": True})
    code, steps = board.provision(["--pop", "abcd1234", "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]
    board.wait_stopped()
    assert bluetooth.BLE().active() and bluetooth.air().adverts() == []
    assert bluetooth.air().stack.handler == aioble.core.ble_irq  # aioble's own chain again, for the app


def test_stopping_releases_a_held_read_at_once(make_board):
    board = make_board(security=0)
    link = board.link()
    char = uuid_of(link, "custom-data")

    async def stall_the_main_task():
        board.transport._tasks[0].cancel()  # requests are queued from now on, never answered

    board.call(stall_the_main_task())
    link.write(char, b"never answered")
    outcome = []

    def read():
        try:
            outcome.append(link.read(char))
        except Exception as exc:  # the outcome is what the test checks
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    assert not outcome  # held
    started = time.monotonic()
    board.call(board.transport.stop())
    reader.join(5)
    assert isinstance(outcome[0], (AttError, ConnectionError)) and time.monotonic() - started < 1


def test_a_central_that_leaves_before_the_main_task_ran_leaves_the_board_advertising(make_board):
    board = make_board(security=2)
    air = bluetooth.air()
    with air.main_task_starved():  # e.g. busy in a blocking Wi-Fi scan or SRP arithmetic
        peer = air.connect(air.stack.address)
        peer.disconnect()
    wait_for(lambda: air.adverts())
    # aioble itself loses that disconnect (its event does not exist yet); the guard absorbed the error.
    assert "BLE IRQ handler failed: AttributeError" in board.log.text()
    assert air.stack.handler is not None
    code, steps = board.provision(["--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234",
                                   "--ssid", "MyHomeWiFiAP", "--passphrase", "correct-horse-9"])
    assert code == 0, steps[-1]


def test_a_request_written_before_the_main_task_ran_is_answered(make_board):
    board = make_board(security=0)
    link = board.link()
    char = uuid_of(link, "custom-data")
    with bluetooth.air().main_task_starved():
        link.write(char, b"early")  # the write IRQ queued it; nothing else could run
    assert link.read(char) == b"answer to early"
    link.close()
