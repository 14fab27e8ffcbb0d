"""Hostile centrals against the BLE transport on the simulated radio (scripts/devsim/bluetooth.py):
raw ATT writes, long (prepared) writes with bad offsets and over-long values, reads and blob
reads at any offset, execute without prepare, disconnects between any two of them — carrying
hostile protobuf for every endpoint. No exception may escape an IRQ handler (that would switch
BLE off for good), every read answers or is denied with an ATT error, the board keeps
answering; afterwards a normal provisioning succeeds. Also: attempt limiting over BLE (refused
handshakes are the read denial, at once)."""

import time

import bluetooth
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzzlib
from ble_board import HOME_PASSPHRASE, HOME_SSID, POP, BleBoard
from fuzzlib import ENDPOINT_MESSAGE, examples, tried
from wifiprov.manager import ENDPOINTS
from wifiprov_host import security as host_security
from wifiprov_host.client import ProvClient
from wifiprov_host.errors import AuthenticationFailed, SessionRejected
from wifiprov_host.transport_ble import AttError, GattTransport

NAMES = ENDPOINTS + ("custom-data",)
# ATT errors a hostile central may be answered with (the stack's and the transport's).
EXPECTED_ATT = {0x07, 0x09, 0x0D, 0x0E}


@pytest.fixture
def board(tmp_path):
    b = BleBoard(tmp_path, security=1, auth_backoff_ms=0, auth_max_failures=0)
    yield b
    b.close()


class Central:
    """One link at a time, reconnecting on demand."""

    def __init__(self, board):
        self.board = board
        self.link = None

    def get(self):
        if self.link is None:
            deadline = time.monotonic() + 5
            while not bluetooth.air().adverts():  # the board advertises again after a disconnect
                assert time.monotonic() < deadline, "the board stopped advertising"
                time.sleep(0.01)
            self.link = self.board.link()
            self.handles = dict((d.decode(), self.link._handles[u]) for u, d in self.link.characteristics())
        return self.link

    def drop(self):
        if self.link is not None:
            self.link.close()
            self.link = None


def _payload(draw, name):
    message = ENDPOINT_MESSAGE.get(name)
    if message is None:
        return draw(st.binary(max_size=520))
    return draw(st.one_of(fuzzlib.hostile(message), st.binary(min_size=500, max_size=520)))


@st.composite
def operations(draw):
    ops = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["write", "write", "read", "read_blob", "prepare", "execute", "drop"]))
        name = draw(st.sampled_from(NAMES))
        if kind == "write":
            ops.append((kind, name, _payload(draw, name)))
        elif kind == "read_blob":
            ops.append((kind, name, draw(st.integers(0, 600))))
        elif kind == "prepare":
            ops.append((kind, name, draw(st.integers(0, 600)), draw(st.binary(max_size=60))))
        else:
            ops.append((kind, name, draw(st.booleans())))
    return ops


def _perform(central, op):
    link = central.get()
    kind, name = op[0], op[1]
    handle = central.handles[name]
    peer = link.peer
    try:
        if kind == "write":
            link.write(link_uuid(link, name), op[2])  # one Write Request, or Prepare Writes + Execute
        elif kind == "read":
            link.read(link_uuid(link, name))
        elif kind == "read_blob":
            link._call(peer.read_blob, handle, op[2])
        elif kind == "prepare":
            link._call(peer.prepare_write, handle, op[2], op[3])
        elif kind == "execute":
            link._call(peer.execute_write, op[2])
        else:
            central.drop()
    except AttError as exc:
        assert exc.code in EXPECTED_ATT, "ATT error 0x%02x for %r" % (exc.code, op[:2])


def link_uuid(link, name):
    for uuid, description in link.characteristics():
        if description == name.encode():
            return uuid
    raise KeyError(name)


def test_hostile_gatt_operations_then_a_normal_provisioning(board):
    central = Central(board)
    stack = bluetooth.air().stack

    @settings(max_examples=examples(60))
    @given(ops=operations())
    def hostile(ops):
        for op in ops:
            _perform(central, op)
            assert stack.handler is not None and stack.irq_failures == [], stack.irq_failures
        central.drop()  # a clean link for the check and the next example
        transport = GattTransport(central.get())
        assert transport.send("proto-ver", b"ESP").startswith(b"{")
        central.link = None
        transport.close()
        tried("ble: hostile GATT operations", len(ops))

    hostile()
    central.drop()
    code, steps = board.provision(["--sec_ver", "1", "--pop", POP, "--ssid", HOME_SSID, "--passphrase",
                                   HOME_PASSPHRASE])
    assert code == 0, steps[-1]
    assert stack.irq_failures == []


def _attempt(board, pop):
    transport = GattTransport(board.link())
    client = ProvClient(transport)
    started_at = time.monotonic()
    try:
        client.establish_session(host_security.Security1(pop.encode()))
        outcome = "ok"
    except AuthenticationFailed:
        outcome = "wrong"
    except SessionRejected:
        outcome = "refused"
    finally:
        transport.close()
    deadline = time.monotonic() + 5
    while not bluetooth.air().adverts():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return outcome, time.monotonic() - started_at


def _accepting_again(board, backoff_s):
    """Wait until the manager takes handshakes again (its tick ends the back-off)."""
    started_at = time.monotonic()
    while not board.manager.accepting_sessions():
        assert time.monotonic() - started_at < backoff_s + 10, "the back-off never ended"
        time.sleep(0.02)


def test_attempt_limiting_over_ble(tmp_path):
    board = BleBoard(tmp_path, security=1, auth_free_failures=1, auth_backoff_ms=1000, auth_max_failures=4)
    try:
        assert _attempt(board, "wrong-pop")[0] == "wrong"
        assert _attempt(board, "wrong-pop")[0] == "wrong"
        outcome, seconds = _attempt(board, POP)
        assert outcome == "refused" and seconds < 1.0, (outcome, seconds)  # read denied, no crypto
        _accepting_again(board, 1.0)
        assert _attempt(board, POP)[0] == "ok"
        for n in range(4):
            assert _attempt(board, "wrong-pop")[0] == "wrong"
            if n in (1, 2):
                _accepting_again(board, 1.0 * 2 ** (n - 1))
        assert _attempt(board, POP)[0] == "refused"  # closed
        board.manager.unlock()
        assert _attempt(board, POP)[0] == "ok"
        assert "secure sessions refused for 1000 ms" in board.log.text()
        assert POP not in board.log.text() and "wrong-pop" not in board.log.text()
    finally:
        board.close()
    tried("limit: BLE sessions", 9)
