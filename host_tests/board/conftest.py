"""The board fixture: scenario tests written once, run on the virtual board (default) or a real one (``--port``).

pytest-embedded drives the console in both cases: its ``serial`` service is selected here
(``embedded_services``), so plain ``pytest host_tests`` works, and its ``port`` is the
real board's ``--port`` or else the pseudo-terminal of a virtual board started for the
test (scripts/vboard.py --pty). ``board`` wraps ``dut`` with the REPL steps and the host
client (board_harness.Board).

Real-board options (give them with ``pytest host_tests/board ...``, as ``make hil`` does):
``--port`` (pytest-embedded's), ``--ble-name NAME|auto`` or ``--softap-host HOST:PORT``
(how the host client reaches the board), ``--wifi-ssid``/``--wifi-passphrase`` (a real
access point; also env WIFIPROV_HIL_SSID / WIFIPROV_HIL_PASSPHRASE), ``--board-config``
(the settings deployed on the board, for the client's credentials).

Markers: ``hardware`` (a real board only; skipped without ``--port``), ``ble`` (also
``--ble-name``), ``virtual_board(flash=True)`` (the virtual board starts with an empty
file system, as a freshly flashed board, instead of running the repository's code).
"""

import json
import os
import re

import pytest
from pytest_embedded.plugin import parametrize_fixtures  # noqa: F401 - in force here even if a parent turns it off

from board_harness import Board, WifiNetwork, ble_transport, http_transport
from vboard_harness import FAST_WORLD, HOME_PASSPHRASE, HOME_SSID, VirtualBoard
from wifiprov import config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIRTUAL_TIMEOUT = 20.0
REAL_TIMEOUT = 60.0  # BLE start, Wi-Fi association and SRP on a 160 MHz ESP32 are slow


def pytest_addoption(parser):
    group = parser.getgroup("wifiprov board", "the board under test (host_tests/board); --port is pytest-embedded's")
    group.addoption("--ble-name", help="reach the real board over BLE (bleak): its name, or 'auto' for the "
                    "PROV_xxxxxx it announces on the console")
    group.addoption("--softap-host", help="reach the real board over its SoftAP: HOST:PORT as seen from this "
                    "host once joined to the board's access point, e.g. 192.168.4.1:80")
    group.addoption("--wifi-ssid", default=os.environ.get("WIFIPROV_HIL_SSID"),
                    help="the access point a real board is provisioned onto (env WIFIPROV_HIL_SSID)")
    group.addoption("--wifi-passphrase", default=os.environ.get("WIFIPROV_HIL_PASSPHRASE"),
                    help="its passphrase (env WIFIPROV_HIL_PASSPHRASE)")
    group.addoption("--board-config", help="the wifiprov.json deployed on the real board (default: ./wifiprov.json "
                    "if present, else the example's defaults: security 1, PoP abcd1234)")


def pytest_configure(config):
    config.addinivalue_line("markers", "hardware: needs a real board (--port); skipped on the virtual board")
    config.addinivalue_line("markers", "ble: needs a real board reachable over BLE (--port and --ble-name, bleak)")
    config.addinivalue_line("markers", "virtual_board(flash): how the virtual board starts (flash=True: nothing "
                            "deployed yet)")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for item in items:
        if str(item.path).startswith(here):  # pytest-embedded's own set-up warns about a pytest API it uses
            item.add_marker(pytest.mark.filterwarnings("ignore:record_xml_attribute is an experimental feature"))


def _option(config, name):
    return config.getoption(name, default=None)


def pytest_runtest_setup(item):
    real = _option(item.config, "port")
    if item.get_closest_marker("hardware") and not real:
        pytest.skip("real board only: give --port /dev/ttyUSB0 (make hil PORT=/dev/ttyUSB0)")
    if item.get_closest_marker("ble") and not (real and _option(item.config, "ble_name")):
        pytest.skip("BLE on a real board only: give --port and --ble-name (make hil PORT=... BLE_NAME=auto)")


def _board_config(config):
    """``(path or None, settings given in it)`` of the board's /wifiprov.json.

    A real board's default is ./wifiprov.json, what ``make deploy`` copies; the virtual
    board keeps the example's defaults unless ``--board-config`` names a file.
    """
    path = _option(config, "board_config")
    if path is None and _option(config, "port") and os.path.exists(os.path.join(ROOT, "wifiprov.json")):
        path = os.path.join(ROOT, "wifiprov.json")
    if not path:
        return None, {}
    with open(path) as f:
        return os.path.abspath(path), json.load(f)


@pytest.fixture
def embedded_services(request):
    """pytest-embedded's services: ``serial`` unless the command line says otherwise."""
    return _option(request.config, "embedded_services") or "serial"


@pytest.fixture
def virtual_board(request, tmp_path):
    """A virtual board on a pty for this test (None with ``--port``), powered off afterwards."""
    if _option(request.config, "port"):
        yield None
        return
    marker = request.node.get_closest_marker("virtual_board")
    args = ["--pty"]
    if marker is not None and marker.kwargs.get("flash"):
        args += ["--flash", str(tmp_path / "flash")]
    else:
        for key, value in _board_config(request.config)[1].items():
            if key not in ("transport", "http_port"):  # the virtual board serves SoftAP on its own port
                args += ["--set", "%s=%s" % (key, json.dumps(value))]
    board = VirtualBoard(tmp_path, *args)
    try:
        board.pty = board.pty_path()
        yield board
    finally:
        board.power_off()


@pytest.fixture
def port(request):
    """pytest-embedded's serial port: ``--port``, else the virtual board's pty (only for tests that use ``dut``)."""
    given = _option(request.config, "port")
    if given or "dut" not in request.fixturenames:
        return given
    return request.getfixturevalue("virtual_board").pty


@pytest.fixture
def board(request, dut, port, virtual_board):
    """The board under test, with its console on ``dut`` (see board_harness.Board)."""
    path, given = _board_config(request.config)
    # The client needs only the credentials; "softap" keeps merge() from probing for a bluetooth module.
    settings = config.merge(dict(given, transport="softap"))
    if virtual_board is not None:
        wifi = WifiNetwork(HOME_SSID, HOME_PASSPHRASE, re.escape(FAST_WORLD["ip"]))
        return Board("virtual", dut, port, settings, path, wifi, http_transport(virtual_board.address()),
                     VIRTUAL_TIMEOUT)
    wifi = WifiNetwork(_option(request.config, "wifi_ssid") or "", _option(request.config, "wifi_passphrase") or "")
    ble_name = _option(request.config, "ble_name")
    softap = _option(request.config, "softap_host")
    transport = ble_transport(ble_name) if ble_name else http_transport(softap) if softap else None
    return Board("real", dut, port, settings, path, wifi, transport, REAL_TIMEOUT)


@pytest.fixture
def provisioning_board(board):
    """``board`` for a provisioning scenario: on a real board that needs a way in and an access point."""
    if board.kind == "real" and not board.reachable:
        pytest.skip("real board: give --ble-name or --softap-host, and --wifi-ssid/--wifi-passphrase "
                    "(make hil PORT=... BLE_NAME=auto SSID=... PASSPHRASE=...)")
    return board
