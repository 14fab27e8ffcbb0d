"""Test bench for the BLE transport: the device library (manager + ``wifiprov.ble``) on the simulated radio.

The board's main task is an asyncio loop in a background thread; its BLE IRQs run on the
simulated NimBLE thread (``scripts/devsim/bluetooth.py``), with the simulated GIL between
them. Tests play the host: the CLI (``provision``) or a ``SimGattLink`` (``link``).
"""

import asyncio
import contextlib
import io
import json
import threading

import aioble
import bluetooth
import network
from ble_central import SimGattLink, open_sim_ble
from fakes import RecordingLog

from wifiprov import config
from wifiprov.ble import BleTransport
from wifiprov.manager import ProvisioningManager
from wifiprov.file_store import FileStore
from wifiprov.wifi import WifiAdapter
from wifiprov_host import cli

TIMEOUT = 30.0
NAME = "PROV_261FCC"  # PROV_ + the last 3 bytes of the world's station MAC
HOME_SSID = "MyHomeWiFiAP"
HOME_PASSPHRASE = "correct-horse-9"
SEC2_USER = "wifiprov"
SEC2_PASSWORD = "abcd1234"  # the example's dev-mode credentials (config.py's default salt/verifier)
POP = "abcd1234"
CREDENTIALS = {0: [], 1: ["--pop", POP], 2: ["--sec2_username", SEC2_USER, "--sec2_pwd", SEC2_PASSWORD]}

# Ten networks, so a scan needs three pages of 4 over BLE; fast timings.
WORLD = {
    "mac": "24:0a:c4:26:1f:cc",
    "ip": "192.168.1.42",
    "scan_ms": 100,
    "connect_ms": 200,
    "no_ap_ms": 300,
    "aps": [{"ssid": HOME_SSID, "bssid": "788a20841996", "channel": 1, "rssi": -45, "auth": "WPA2_PSK",
             "password": HOME_PASSPHRASE}]
    + [{"ssid": "Neighbour%d" % i, "bssid": "0a0b0c0d0e%02x" % i, "channel": 1 + i, "rssi": -50 - 3 * i,
        "auth": "WPA2_PSK", "password": "not-yours-%d" % i} for i in range(9)],
}


def custom_data(session_id, data):
    """The example's ``custom-data`` endpoint."""
    return b"SUCCESS\x00"


class BleBoard:
    """A provisioning manager served by ``BleTransport`` on the simulated radio.

    ``settings`` go to ``wifiprov.config.merge``; ``options`` to ``BleTransport``;
    ``transport_class`` lets a test put another transport on the same bench. ``improv``:
    "beside" or "alone" serves Improv Wi-Fi (``wifiprov.improv_ble``, ``board.improv``)
    beside the provisioning service or instead of it; ``improv_options`` go to ``ImprovBle``.
    """

    def __init__(self, tmp_path, security=1, options=None, transport_class=BleTransport, world=WORLD,
                 endpoints=(("custom-data", custom_data),), improv=None, improv_options=None, **settings):
        bluetooth.air().reset()
        network.configure(world)
        settings.setdefault("pop", POP)
        values = config.merge(dict(settings, transport="ble", security=security))
        self.log = RecordingLog()
        self.store = FileStore(str(tmp_path / "wifi.json"))
        self.manager = ProvisioningManager(values, WifiAdapter(network), self.store, self.log)
        for name, handler in endpoints:
            self.manager.add_endpoint(name, handler)
        self.events = []
        self.manager.add_listener(lambda event, data: self.events.append(event))
        self.links = []
        self.transport = None
        self._transport_class = transport_class
        self._options = dict(options or {})
        self._improv = improv
        self._improv_options = dict(improv_options or {})
        self.improv = None
        self._runner = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="board-main", daemon=True)
        self.thread.start()
        self.call(self._start())

    async def _start(self):
        self.manager.prepare()
        self._options.setdefault("log", self.log)
        self._options.setdefault("on_link", self.links.append)
        protocomm, names = self.manager.protocomm, self.manager.endpoint_names()
        if self._improv is not None:
            from wifiprov.improv import device_info
            from wifiprov.improv_ble import ImprovBle

            self._improv_options.setdefault("log", self.log)
            self.improv = ImprovBle(self.manager, device_info(self.manager.service_name), **self._improv_options)
            self._options["guest"] = self.improv
            if self._improv == "alone":
                protocomm, names = None, ()
        self.transport = self._transport_class(protocomm, names, self.manager.service_name, **self._options)
        await self.transport.start()
        self.manager.start()
        self._runner = asyncio.create_task(self._run())

    async def _run(self):
        await self.manager.wait(50)
        await self.transport.stop()

    def call(self, coro, timeout=TIMEOUT):
        """Run ``coro`` on the board's main task and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def wait_stopped(self, timeout=TIMEOUT):
        """Wait until provisioning ended and the transport stopped."""
        async def runner_done():
            await asyncio.wait_for(asyncio.shield(self._runner), timeout)
        self.call(runner_done(), timeout + 1)

    def close(self):
        """Stop everything (transport, manager, loop) and switch the radio off."""
        async def shutdown():
            if not self._runner.done():
                self._runner.cancel()
                self.manager.stop()
                await self.transport.stop()
            for task in asyncio.all_tasks():  # e.g. aioble's task for a connection it lost track of
                if task is not asyncio.current_task():
                    task.cancel()
        try:
            self.call(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(TIMEOUT)
            self.loop.close()
            aioble.stop()

    def link(self, **options):
        """A connected ``SimGattLink`` (the host's central)."""
        return SimGattLink(bluetooth.air(), self.manager.service_name, scan_timeout=5, **options)

    def provision(self, argv, **link_options):
        """Run the host CLI's BLE code path against the board; returns (exit code, JSON steps)."""
        out, err = io.StringIO(), io.StringIO()
        argv = ["--transport", "ble", "--service_name", self.manager.service_name, "--poll-interval", "0.1",
                "--timeout", "20", "--json"] + list(argv)
        code = cli.main(argv, stdin=io.StringIO(), stdout=out, stderr=err,
                        transport_factory=lambda args: open_sim_ble(args.service_name, bluetooth.air(),
                                                                    args.ble_scan_timeout, **link_options))
        return code, [json.loads(line) for line in out.getvalue().splitlines()]


@contextlib.contextmanager
def board_maker(tmp_path, **defaults):
    """``make(**kwargs)`` builds ``BleBoard``s (``defaults`` for what ``kwargs`` leave out); all closed at the end."""
    boards = []

    def make(**kwargs):
        board = BleBoard(tmp_path, **dict(defaults, **kwargs))
        boards.append(board)
        return board

    try:
        yield make
    finally:
        for board in boards:
            board.close()
