"""Improv Wi-Fi over the simulated BLE radio, driven by Home Assistant's own client library.

The board is the device library (manager + ``BleTransport`` with ``wifiprov.improv_ble`` as
its guest) on the simulated radio; the client is PyPI ``py-improv-ble-client`` on real
bleak and bleak-retry-connector, whose backend is ``scripts/devsim/bleak_sim.py``.
Discovery goes the way Home Assistant's does: a passive ``BleakScanner`` and the library's
``device_filter``.
"""

import asyncio
import os
import signal
import subprocess
import sys

import bluetooth
import pytest
from ble_board import HOME_PASSPHRASE, HOME_SSID, NAME, WORLD, board_maker
from ble_central import Advert, ad_fields
from bleak import BleakScanner
from bleak_sim import SimBleakScanner, device_and_advertisement, use_sim_radio
from improv_ble_client import SERVICE_DATA_UUID, SERVICE_UUID, Error, ImprovBLEClient, State, device_filter
from improv_ble_client.errors import ProvisioningFailed
from improv_ble_client.protocol import Capabilities

from wifiprov import manager as mgr

ESPRESSIF_UUID = "021a9004-0382-4aea-bff4-6b3f1c5adfb4"
WRONG_PASSPHRASE = "wrong-battery-7"
TIMEOUT = 30


@pytest.fixture
def make_board(tmp_path, monkeypatch):
    use_sim_radio(monkeypatch)
    with board_maker(tmp_path, improv="beside") as make:
        yield make


async def discover(passive=True, timeout=5.0):
    """The first advertisement Improv's ``device_filter`` accepts, as Home Assistant finds it."""
    found = asyncio.get_running_loop().create_future()

    def seen(device, data):
        if device_filter(data) and not found.done():
            found.set_result((device, data))

    scanner = BleakScanner(seen, scanning_mode="passive" if passive else "active", backend=SimBleakScanner)
    await scanner.start()
    try:
        return await asyncio.wait_for(found, timeout)
    finally:
        await scanner.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def test_discovery_device_info_and_scan(make_board):
    board = make_board(security=1)

    async def scenario():
        device, data = await discover()
        assert data.service_data[SERVICE_DATA_UUID] == bytes((State.AUTHORIZED, 0x06, 0, 0, 0, 0))
        client = ImprovBLEClient(device, data)
        # The library reads the capabilities when it connects, and its capability checks come
        # before it connects (client.py:214): Home Assistant asks need_authorization() first.
        assert not await client.need_authorization()
        assert client.capabilities == Capabilities.DEVICE_INFO | Capabilities.SCAN_WIFI
        info = await client.get_device_info()
        assert (info.firmware_name, info.hardware_chip, info.device_name) == (b"wifiprov", b"linux", NAME.encode())
        networks = (await client.scan_wifi()).networks
        await client._execute_disconnect(None)
        return networks

    networks = run(scenario())
    assert networks[0] == (HOME_SSID.encode(), b"-45", b"WPA2")
    assert len(networks) == len(WORLD["aps"])  # ten networks fit one notification at MTU 517


def test_wrong_password_then_the_right_one_as_home_assistant_does(make_board):
    board = make_board(security=2, wifi_conn_attempts=2)
    states = []

    async def scenario():
        device, data = await discover()
        client = ImprovBLEClient(device, data)
        with pytest.raises(ProvisioningFailed) as failed:
            await client.provision(HOME_SSID, WRONG_PASSPHRASE, states.append)
        assert failed.value.error == Error.UNABLE_TO_CONNECT
        # The client hung up after the error; its next call connects again.
        assert not await client.need_authorization()
        url = await client.provision(HOME_SSID, HOME_PASSPHRASE, states.append)
        await client._execute_disconnect(None)
        return url

    assert run(scenario()) is None  # no redirect_url configured
    assert State.PROVISIONING in states and states[-1] == State.PROVISIONED
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())
    events = board.events
    assert events.count(mgr.EVENT_CRED_FAIL) == 1 and events.count(mgr.EVENT_CRED_SUCCESS) == 1
    assert "Wi-Fi attempt 2 of 2 failed" in board.log.text()
    assert WRONG_PASSPHRASE not in board.log.text() and HOME_PASSPHRASE not in board.log.text()
    board.wait_stopped()
    assert not bluetooth.BLE().active()


def test_authorization_with_a_button(make_board):
    board = make_board(security=1, improv_options={"button": True})
    states = []

    async def scenario():
        device, data = await discover()
        assert data.service_data[SERVICE_DATA_UUID][0] == State.AUTHORIZATION_REQUIRED
        client = ImprovBLEClient(device, data)
        assert await client.need_authorization()
        info = await client.get_device_info()  # needs no authorization
        assert info.device_name == NAME.encode()
        with pytest.raises(ProvisioningFailed) as refused:
            await client.provision(HOME_SSID, HOME_PASSPHRASE, None)
        assert refused.value.error == Error.NOT_AUTHORIZED
        # The library hangs up after an error in a background task, which drops every
        # subscription (client.py:381, 555-560): a subscription made before that is lost.
        await asyncio.sleep(0.5)
        authorized = asyncio.get_running_loop().create_future()

        def on_state(state):
            states.append(state)
            if state == State.AUTHORIZED and not authorized.done():
                authorized.set_result(None)

        await client.subscribe_state_updates(on_state)  # Home Assistant waits for the press this way
        board.loop.call_soon_threadsafe(board.improv.press)
        await authorized
        url = await client.provision(HOME_SSID, HOME_PASSPHRASE, None)
        await client._execute_disconnect(None)
        return url

    run(scenario())
    assert states[:2] == [State.AUTHORIZATION_REQUIRED, State.AUTHORIZED]
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())
    assert "Button" not in board.log.text()  # the press came from the test, not the service


def test_espressif_clients_provision_the_same_board_while_the_advertisements_alternate(make_board):
    board = make_board(security=1)
    seen = {}
    air = bluetooth.air()
    for _ in range(40):  # two seconds: both turns come round
        for advert in air.adverts():
            seen[advert["adv"]] = advert["resp"]
        asyncio.run(asyncio.sleep(0.05))
    assert len(seen) == 2
    improv_adv = [adv for adv in seen if len(adv) == 31][0]
    assert [t for t, _ in ad_fields(improv_adv)] == [0x01, 0x07, 0x16]  # flags, UUID and service data together
    assert seen[improv_adv] == b""  # no name: a phone app listing PROV_ names never lists this turn
    espressif_adv = [adv for adv in seen if adv != improv_adv][0]
    named = Advert(b"\x00" * 6, espressif_adv, seen[espressif_adv])
    # The ESP Android app takes the first advertised UUID of a record that has the name.
    assert named.name == NAME and named.service_uuids == [ESPRESSIF_UUID]
    _, data = device_and_advertisement(Advert(b"\x00" * 6, improv_adv, b"", passive=True))
    assert device_filter(data) and data.service_uuids == [SERVICE_UUID]
    # The iOS app takes the first service it discovers: the provisioning service comes first.
    link_services = [s["uuid"] for s in board_services()]
    assert link_services.index(ESPRESSIF_UUID) < link_services.index(SERVICE_UUID)
    code, steps = board.provision(["--pop", "abcd1234", "--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE])
    assert code == 0, steps[-1]


def board_services():
    """The board's primary services, in handle order, as a central discovers them."""
    air = bluetooth.air()
    for _ in range(100):  # a central that came and went: advertising starts again
        if air.adverts():
            break
        asyncio.run(asyncio.sleep(0.05))
    peer = air.connect(air.adverts()[0]["addr"])
    try:
        return peer.services()
    finally:
        peer.disconnect()


def test_improv_alone_advertises_its_name_and_offers_no_provisioning_service(make_board):
    board = make_board(improv="alone", security=0)
    adverts = bluetooth.air().adverts()
    advert = Advert(adverts[0]["addr"], adverts[0]["adv"], adverts[0]["resp"])
    assert advert.name == NAME and advert.service_uuids == [SERVICE_UUID]
    assert [s["uuid"] for s in board_services()][2:] == [SERVICE_UUID]  # after NimBLE's GAP and GATT
    code, steps = board.provision(["--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE])
    assert code == 3 and "provisioning service" in steps[-1]["error"]

    async def scenario():
        device, data = await discover(passive=False)
        assert data.local_name == NAME
        client = ImprovBLEClient(device, data)
        assert not await client.need_authorization()
        await client.provision(HOME_SSID, HOME_PASSPHRASE, None)
        await client._execute_disconnect(None)

    run(scenario())
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())


class RawCentral:
    """A central that speaks ATT by hand: notifications kept per characteristic (last digit of the UUID)."""

    def __init__(self, central_mtu=517, exchange=True):
        air = bluetooth.air()
        for _ in range(100):
            adverts = air.adverts()
            if adverts:
                break
            asyncio.run(asyncio.sleep(0.05))
        self.peer = air.connect(adverts[0]["addr"], central_mtu=central_mtu)
        self.notes = {1: [], 2: [], 4: []}
        self.handles = {}
        self.cccds = {}
        for service in self.peer.services():
            if service["uuid"] == SERVICE_UUID:
                for char in service["characteristics"]:
                    digit = int(char["uuid"][-1])
                    self.handles[digit] = char["handle"]
                    for desc in char["descriptors"]:
                        if desc["uuid"].startswith("00002902"):
                            self.cccds[digit] = desc["handle"]
        by_handle = dict((handle, digit) for digit, handle in self.handles.items())
        self.peer.listen(lambda handle, data: self.notes[by_handle[handle]].append(data))
        if exchange:
            self.peer.exchange_mtu(central_mtu)
        for digit in (1, 2, 4):
            self.peer.write(self.cccds[digit], b"\x01\x00")

    def wait(self, digit, count=1, timeout=10):
        for _ in range(int(timeout / 0.05)):
            if len(self.notes[digit]) >= count:
                return self.notes[digit]
            asyncio.run(asyncio.sleep(0.05))
        raise AssertionError("no notification on ...800%d: %r" % (digit, self.notes))


def rpc(command, data=b""):
    body = bytes((command, len(data))) + data
    return body + bytes((sum(body) & 0xFF,))


def test_a_frame_in_twenty_byte_writes_from_a_central_with_the_default_mtu(make_board):
    board = make_board(improv="alone", security=0)
    central = RawCentral(central_mtu=23, exchange=False)
    assert central.peer.read(central.handles[5]) == b"\x06"
    assert central.peer.read(central.handles[1]) == bytes((State.AUTHORIZED,))
    frame = rpc(1, bytes((len(HOME_SSID),)) + HOME_SSID.encode() + bytes((len(HOME_PASSPHRASE),)) +
                HOME_PASSPHRASE.encode())
    for i in range(0, len(frame), 20):
        central.peer.write(central.handles[3], frame[i : i + 20])
    assert central.wait(1, 2)[:2] == [b"\x03", b"\x04"]
    assert central.wait(4) == [rpc(1)]  # success, no redirect URL
    assert board.store.load() == (HOME_SSID.encode(), HOME_PASSPHRASE.encode())
    assert bluetooth.air().stack.irq_failures == []


def test_results_fit_one_notification_of_the_mtu(make_board):
    board = make_board(improv="alone", security=0)
    small = RawCentral(central_mtu=23)  # refuses anything larger
    small.peer.write(small.handles[3], rpc(4))  # scan: as many networks as 20 bytes hold, here none
    assert small.wait(4) == [rpc(4)]
    small.peer.write(small.handles[3], rpc(3))  # device info does not fit 20 bytes: "unknown error"
    assert small.wait(2) == [b"\xff"]
    assert "does not fit" in board.log.text()
    small.peer.disconnect()
    # A central that never starts an MTU exchange (iOS-like 185): the board asks for one.
    phone = RawCentral(central_mtu=185, exchange=False)
    phone.peer.write(phone.handles[3], rpc(3))
    (note,) = phone.wait(4)
    assert note[0] == 3 and len(note) > 20 and note[-1] == sum(note[:-1]) & 0xFF


def test_bad_frames_are_errors_and_no_irq_handler_ever_fails(make_board):
    board = make_board(improv="alone", security=0)
    central = RawCentral()
    broken = bytearray(rpc(3))
    broken[-1] ^= 0x55
    central.peer.write(central.handles[3], bytes(broken))
    central.peer.write(central.handles[3], rpc(0x42))
    assert central.wait(2, 3) == [b"\x01", b"\x00", b"\x02"]  # every command clears the error first
    central.peer.write(central.handles[3], rpc(3))
    assert central.wait(2, 4)[3] == b"\x00"
    central.wait(4)
    for size in (1, 257, 510):  # too long for a frame: the 258-byte buffer keeps the start
        long_write = bytes((1, 0xFF)) + bytes(size)
        for offset in range(0, len(long_write), 500):
            central.peer.prepare_write(central.handles[3], offset, long_write[offset : offset + 500])
        central.peer.execute_write(True)
    central.peer.disconnect()
    assert bluetooth.air().stack.irq_failures == []
    fresh = RawCentral()  # a half frame of the last central does not spoil the next one
    fresh.peer.write(fresh.handles[3], rpc(3))
    assert fresh.wait(4)[0][0] == 3


def test_virtual_board_with_improv_beside_the_provisioning_service(tmp_path, monkeypatch):
    from vboard_harness import HOME_PASSPHRASE as PASSPHRASE
    from vboard_harness import HOME_SSID as SSID
    from vboard_harness import ROOT, VirtualBoard, free_port

    port = free_port()
    use_sim_radio(monkeypatch, "127.0.0.1:%d" % port)
    board = VirtualBoard(tmp_path, "--transport", "ble", "--ble-port", str(port), "--sec", "1",
                         "--set", "improv_ble=true", "--set", "improv_redirect_url=http://{ip}/",
                         "--set", "wifi_conn_attempts=2")
    try:
        name = board.expect(r"Provisioning started with service name : (PROV_\w{6})").group(1)
        board.expect(r'"transport":"ble"')  # the QR payload: Espressif clients still get their transport

        async def scenario():
            device, data = await discover()
            client = ImprovBLEClient(device, data)
            assert not await client.need_authorization()
            info = await client.get_device_info()
            with pytest.raises(ProvisioningFailed):
                await client.provision(SSID, WRONG_PASSPHRASE, None)
            await asyncio.sleep(0.5)
            return info, await client.provision(SSID, PASSPHRASE, None)

        info, url = run(scenario())
        assert info.device_name == name.encode()
        assert url == "http://192.168.1.42/"
        board.expect(r"app: Provisioning failed!")
        board.expect(r"app: Provisioning successful")
        board.expect(r"wifi_prov_scheme_ble: BLE stack switched off")
        assert WRONG_PASSPHRASE not in board.console and PASSPHRASE not in board.console
    finally:
        board.power_off()
    # The Espressif client on the same board, on another boot: the advertisements take turns.
    board = VirtualBoard(tmp_path, "--transport", "ble", "--ble-port", str(port), "--sec", "1",
                         "--set", "improv_ble=true")
    try:
        name = board.expect(r"Provisioning started with service name : (PROV_\w{6})").group(1)
        proc = subprocess.run(
            [sys.executable, os.path.join(ROOT, "scripts", "prov.py"), "--transport", "ble", "--service_name", name,
             "--ble-sim", "127.0.0.1:%d" % port, "--pop", "abcd1234", "--ssid", SSID, "--passphrase", PASSPHRASE,
             "--poll-interval", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=90)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        board.expect(r"app: Provisioning successful")
    finally:
        board.power_off()


def test_the_virtual_boards_button_authorizes_improv(tmp_path, monkeypatch):
    from vboard_harness import HOME_PASSPHRASE as PASSPHRASE
    from vboard_harness import HOME_SSID as SSID
    from vboard_harness import VirtualBoard, free_port

    port = free_port()
    use_sim_radio(monkeypatch, "127.0.0.1:%d" % port)
    board = VirtualBoard(tmp_path, "--transport", "ble", "--ble-port", str(port), "--sec", "1",
                         "--set", "improv_ble=true", "--set", "unlock_button_pin=0")
    try:
        board.expect(r"Provisioning started with service name")

        async def scenario():
            device, data = await discover()
            assert data.service_data[SERVICE_DATA_UUID][0] == State.AUTHORIZATION_REQUIRED
            client = ImprovBLEClient(device, data)
            assert await client.need_authorization()
            authorized = asyncio.get_running_loop().create_future()

            def on_state(state):
                if state == State.AUTHORIZED and not authorized.done():
                    authorized.set_result(None)

            await client.subscribe_state_updates(on_state)
            os.kill(board.process.pid, signal.SIGUSR1)  # the board's button (scripts/vboard.py)
            await authorized
            await client.provision(SSID, PASSPHRASE, None)

        run(scenario())
        board.expect(r"app: Provisioning successful")
    finally:
        board.power_off()
