"""The simulated ``bluetooth`` module (scripts/devsim/bluetooth.py) behaves as MicroPython's ESP32 NimBLE port.

Each test pins one fact of PLATFORM.md §A5 with a raw IRQ handler, so a transport tested
on the simulator meets the same semantics as on the board.
"""

import asyncio
import errno
import threading
import time

import aioble
import bluetooth
import pytest

SERVICE = bluetooth.UUID("021a9004-0382-4aea-bff4-6b3f1c5adfb4")
CHAR = bluetooth.UUID("021aff53-0382-4aea-bff4-6b3f1c5adfb4")
READ_WRITE = bluetooth.FLAG_READ | bluetooth.FLAG_WRITE
ADV = b"\x02\x01\x06"

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28


class Recorder:
    """An IRQ handler that records events; ``on_read`` decides read requests."""

    def __init__(self, ble):
        self.ble = ble
        self.events = []
        self.on_read = lambda conn, handle: None
        self.on_write = lambda conn, handle: None

    def __call__(self, event, data):
        self.events.append((event, tuple(bytes(x) if isinstance(x, (bytes, memoryview)) else x for x in data)))
        if event == _IRQ_GATTS_READ_REQUEST:
            return self.on_read(*data)
        if event == _IRQ_GATTS_WRITE:
            return self.on_write(*data)
        return None

    def count(self, event):
        return sum(1 for e, _ in self.events if e == event)


@pytest.fixture
def ble():
    bluetooth.air().reset()
    ble = bluetooth.BLE()
    ble.active(True)
    yield ble
    ble.active(False)
    bluetooth.air().reset()


def register(ble, flags=READ_WRITE, descriptors=()):
    ((value, *descs),) = ble.gatts_register_services(((SERVICE, ((CHAR, flags, descriptors),)),))
    return value, descs


def connect(ble, mtu=517, exchange=True):
    ble.gap_advertise(160000, adv_data=ADV, resp_data=b"")
    (advert,) = bluetooth.air().adverts()
    peer = bluetooth.air().connect(advert["addr"], central_mtu=mtu)
    if exchange:
        peer.exchange_mtu()
    return peer


def read_long(peer, handle):
    value = part = peer.read(handle)
    while len(part) == peer.mtu - 1:
        part = peer.read_blob(handle, len(value))
        value += part
    return value


def write_long(peer, handle, data):
    step = peer.mtu - 5
    for offset in range(0, len(data), step):
        peer.prepare_write(handle, offset, data[offset : offset + step])
    peer.execute_write(True)


def test_values_start_with_20_bytes_and_remote_writes_are_cut_silently(ble):
    value, _ = register(ble)
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble)
    peer.write(value, bytes(range(30)))  # no error for the central
    assert ble.gatts_read(value) == bytes(range(20))
    assert peer.read(value) == bytes(range(20))
    ble.gatts_set_buffer(value, 512)
    assert ble.gatts_read(value) == b""  # resizing empties the value
    peer.write(value, bytes(range(30)))
    assert ble.gatts_read(value) == bytes(range(30))


def test_a_longer_local_write_grows_the_buffer(ble):
    value, _ = register(ble)
    ble.gatts_write(value, b"x" * 100)
    assert ble.gatts_read(value) == b"x" * 100
    peer = connect(ble)
    assert read_long(peer, value) == b"x" * 100


def test_write_irq_runs_before_the_write_response_and_its_return_value_is_ignored(ble):
    value, _ = register(ble)
    ble.gatts_set_buffer(value, 512)
    irq = Recorder(ble)
    seen = []
    irq.on_write = lambda conn, handle: seen.append(ble.gatts_read(handle)) or 0x0E
    ble.irq(irq)
    peer = connect(ble)
    peer.write(value, b"request")  # returns only after the handler ran; 0x0E is not an ATT error
    assert seen == [b"request"]
    assert peer.read(value) == b"request"  # nothing stored: the read echoes the request


def test_read_request_irq_fires_once_per_read_or_read_blob_pdu(ble):
    value, _ = register(ble)
    ble.gatts_write(value, bytes(range(100)))
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble, mtu=23, exchange=False)
    assert read_long(peer, value) == bytes(range(100))
    assert irq.count(_IRQ_GATTS_READ_REQUEST) == 5  # 22 + 22 + 22 + 22 + 12 bytes


def test_read_request_return_value_denies_and_gatts_write_in_the_handler_is_served(ble):
    value, _ = register(ble)
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble)
    irq.on_read = lambda conn, handle: 0x0E
    with pytest.raises(bluetooth.AttErrorResponse) as denied:
        peer.read(value)
    assert denied.value.att_error == 0x0E
    irq.on_read = lambda conn, handle: True  # mp_obj_get_int_maybe: True is 1
    with pytest.raises(bluetooth.AttErrorResponse) as denied:
        peer.read(value)
    assert denied.value.att_error == 0x01
    irq.on_read = lambda conn, handle: ble.gatts_write(handle, b"fresh")  # None allows
    assert peer.read(value) == b"fresh"


def test_a_long_write_arrives_as_one_write_irq(ble):
    value, _ = register(ble)
    ble.gatts_set_buffer(value, 512)
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble, mtu=23, exchange=False)
    cmd0 = bytes(i & 0xFF for i in range(406))  # the size of a security 2 Cmd0
    write_long(peer, value, cmd0)
    assert irq.count(_IRQ_GATTS_WRITE) == 1
    assert ble.gatts_read(value) == cmd0


def test_long_writes_stop_at_512_bytes(ble):
    value, _ = register(ble)
    ble.gatts_set_buffer(value, 600)
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble)
    with pytest.raises(bluetooth.AttErrorResponse) as refused:
        write_long(peer, value, b"y" * 513)
    assert refused.value.att_error == 0x0D
    assert irq.count(_IRQ_GATTS_WRITE) == 0


def test_a_write_request_larger_than_the_mtu_is_a_central_bug(ble):
    value, _ = register(ble)
    peer = connect(ble, mtu=23, exchange=False)
    with pytest.raises(ValueError):
        peer.write(value, b"z" * 21)


def test_advertising_payloads_over_31_bytes_fail_loudly(ble):
    with pytest.raises(OSError) as too_long:
        ble.gap_advertise(160000, adv_data=b"\x00" * 61)  # 30 bytes too many
    assert too_long.value.errno == errno.EINVAL and "61 bytes" in str(too_long.value)
    with pytest.raises(OSError):
        ble.gap_advertise(160000, adv_data=ADV, resp_data=b"\x00" * 32)
    assert bluetooth.air().adverts() == []
    ble.gap_advertise(160000, adv_data=b"\x1e\x09" + b"n" * 29, resp_data=b"\x1e\x09" + b"n" * 29)
    assert len(bluetooth.air().adverts()) == 1


def test_none_reuses_the_payload_and_none_interval_stops(ble):
    ble.gap_advertise(160000, adv_data=ADV, resp_data=b"\x02\x09A")
    ble.gap_advertise(None)
    assert bluetooth.air().adverts() == []
    ble.gap_advertise(160000)
    (advert,) = bluetooth.air().adverts()
    assert (advert["adv"], advert["resp"]) == (ADV, b"\x02\x09A")


def test_an_exception_in_the_handler_disables_it_for_good(ble, capsys):
    value, _ = register(ble)
    irq = Recorder(ble)

    def broken(conn, handle):
        raise RuntimeError("bug in the handler")

    irq.on_write = broken
    ble.irq(irq)
    peer = connect(ble)
    peer.write(value, b"a")
    assert "Unhandled exception in IRQ callback handler" in capsys.readouterr().err
    assert isinstance(bluetooth.air().stack.irq_failures[0], RuntimeError)
    before = len(irq.events)
    peer.write(value, b"b")
    peer.read(value)
    peer.disconnect()
    assert len(irq.events) == before  # nothing reaches it any more


def test_connect_and_disconnect_irqs_and_advertising_stops_on_connect(ble):
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble, exchange=False)
    assert irq.events[0][0] == _IRQ_CENTRAL_CONNECT and irq.events[0][1][0] == peer.conn_handle
    assert bluetooth.air().adverts() == []  # one central at a time unless advertised again
    with pytest.raises(ConnectionError):
        bluetooth.air().connect(bluetooth.air().stack.address)
    peer.disconnect()
    assert irq.events[-1] == (_IRQ_CENTRAL_DISCONNECT, (peer.conn_handle, 0, b"\x5c\xf3\x70\x00\x00\x01"))
    assert not peer.connected


def test_the_board_disconnecting_fails_the_centrals_next_request(ble):
    value, _ = register(ble)
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble)
    assert ble.gap_disconnect(peer.conn_handle) is True
    with pytest.raises(ConnectionError):
        peer.read(value)
    deadline = time.monotonic() + 2
    while irq.count(_IRQ_CENTRAL_DISCONNECT) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert irq.count(_IRQ_CENTRAL_DISCONNECT) == 1
    assert ble.gap_disconnect(peer.conn_handle) is False


def test_mtu_exchange(ble):
    irq = Recorder(ble)
    ble.irq(irq)
    assert ble.config("mtu") == 256
    peer = connect(ble, mtu=517)
    assert peer.mtu == 256 and irq.events[-1] == (_IRQ_MTU_EXCHANGED, (peer.conn_handle, 256))
    peer.disconnect()
    ble.config(mtu=512)
    assert connect(ble, mtu=517).mtu == 512
    with pytest.raises(OSError):
        ble.config(mtu=600)


def test_encrypted_flags_need_pairing(ble):
    value, (desc,) = register(ble, READ_WRITE | 0x0200 | 0x1000, ((bluetooth.UUID(0x2901), bluetooth.FLAG_READ),))
    ble.gatts_write(desc, b"proto-ver")
    irq = Recorder(ble)
    ble.irq(irq)
    peer = connect(ble)
    for attempt in (lambda: peer.read(value), lambda: peer.write(value, b"x")):
        with pytest.raises(bluetooth.AttErrorResponse) as refused:
            attempt()
        assert refused.value.att_error == 0x05
    assert peer.read(desc) == b"proto-ver"  # descriptors carry no security options
    peer.pair()
    assert irq.events[-1][0] == _IRQ_ENCRYPTION_UPDATE
    peer.write(value, b"x")
    assert peer.read(value) == b"x"


def test_service_registration_layout_and_descriptor_permissions(ble):
    value, (desc,) = register(ble, READ_WRITE, ((bluetooth.UUID(0x2901), bluetooth.FLAG_READ),))
    assert desc == value + 1
    peer = connect(ble)
    services = peer.services()
    assert [s["uuid"][4:8] for s in services[:2]] == ["1800", "1801"]  # NimBLE's own GAP and GATT
    (char,) = services[2]["characteristics"]
    assert char["handle"] == value and char["properties"] == READ_WRITE
    assert char["descriptors"] == [{"uuid": "00002901-0000-1000-8000-00805f9b34fb", "handle": desc}]
    with pytest.raises(bluetooth.AttErrorResponse) as refused:
        peer.write(desc, b"renamed")
    assert refused.value.att_error == 0x03
    with pytest.raises(OSError) as busy:
        ble.gatts_register_services(((SERVICE, ((CHAR, READ_WRITE),)),))
    assert busy.value.errno == errno.EBUSY


def test_uuid_forms():
    assert bytes(bluetooth.UUID(0x2901)) == b"\x01\x29"
    text = bluetooth.UUID("021a9004-0382-4aea-bff4-6b3f1c5adfb4")
    assert bytes(text) == bytes.fromhex("b4df5a1c3f6bf4bfea4a820304901a02")
    assert bluetooth.UUID(bytes(text)) == text
    with pytest.raises(ValueError):
        bluetooth.UUID(b"\x00\x01\x02")


def test_aioble_advertise_refuses_what_does_not_fit():
    async def too_much():
        await aioble.advertise(160000, name=b"n" * 40, services=[SERVICE])

    bluetooth.air().reset()
    try:
        with pytest.raises(ValueError):
            asyncio.run(too_much())
    finally:
        aioble.stop()
        bluetooth.air().reset()


def test_sleep_ms_in_an_irq_lets_the_main_task_run(ble):
    """The IRQ holds the GIL; the main task's loop can run only while the handler sleeps."""
    ran = []

    async def main_task(flag):
        await flag.wait()
        ran.append("main")

    loop = asyncio.new_event_loop()
    flag = asyncio.ThreadSafeFlag()

    async def attach():
        bluetooth.BLE().active(False)
        bluetooth.BLE().active(True)  # switched on inside the loop: its thread takes the GIL
        return asyncio.create_task(main_task(flag))

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        task = asyncio.run_coroutine_threadsafe(attach(), loop).result(5)
        value, _ = register(bluetooth.BLE())
        irq = Recorder(bluetooth.BLE())

        def on_read(conn, handle):
            flag.set()
            time.sleep(0.3)  # busy, GIL held: the main task cannot run
            ran.append("irq busy")
            time.sleep_ms(300)  # GIL released
            ran.append("irq slept")

        irq.on_read = on_read
        bluetooth.BLE().irq(irq)
        connect(bluetooth.BLE()).read(value)
        assert ran == ["irq busy", "main", "irq slept"]
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(task, 5), loop).result(6)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_thread_safe_flag():
    async def scenario():
        flag = asyncio.ThreadSafeFlag()
        flag.set()
        await asyncio.wait_for(flag.wait(), 1)  # set before the wait: returns at once, and clears
        threading.Timer(0.05, flag.set).start()
        await asyncio.wait_for(flag.wait(), 1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(flag.wait(), 0.1)

    asyncio.run(scenario())
