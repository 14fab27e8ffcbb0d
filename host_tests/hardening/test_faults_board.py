"""Fault injection on the virtual board: clients vanishing mid-handshake / mid-request / before reading
the answer, and power cuts (SIGKILL of the board) at every step of a provisioning, including
around the credential write. After each, the board boots into a sane state (joins with whole
credentials, or provisions again) and a normal provisioning succeeds; nothing secret is printed."""

import os
import signal
import socket
import time

import pytest

from boardlib import (
    POP,
    SEC2_PASSWORD,
    SEC2_USER,
    KeyedSecurity1,
    board_pid,
    boards,  # noqa: F401  (fixture)
    connect,
    open_sockets,
    post,
    session_key,
    started,
)
from fuzzlib import measured, tried
from vboard_harness import HOME_PASSPHRASE, HOME_SSID
from wifiprov_host import security as host_security

import session_pb2
import sec1_pb2
import sec2_pb2


def _provision(board, boards, security=None):
    client = board.client()
    security = security or KeyedSecurity1(POP.encode())
    client.establish_session(security)
    boards.extra_secrets.append(session_key(security))
    assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=0.2, timeout=30).state == "connected"
    board.expect(r"app: Provisioning successful")


def _no_tracebacks(board):
    assert "Traceback" not in board.console, board.console


def _cmd0(level):
    message = session_pb2.SessionData(sec_ver=level)
    if level == 1:
        message.sec1.msg = sec1_pb2.Session_Command0
        message.sec1.sc0.client_pubkey = os.urandom(32)
    else:
        message.sec2.msg = sec2_pb2.S2Session_Command0
        message.sec2.sc0.client_username = SEC2_USER.encode()
        message.sec2.sc0.client_pubkey = os.urandom(384)
    return message.SerializeToString()


@pytest.mark.parametrize("level", [1, 2])
def test_clients_vanishing_mid_handshake(boards, level):
    if level == 1:
        board = boards.boot("--sec", "1", "--pop", POP, pop=POP)
        security = lambda: KeyedSecurity1(POP.encode())  # noqa: E731
    else:
        board = boards.boot("--sec2-user", SEC2_USER, "--sec2-pass", SEC2_PASSWORD)
        security = lambda: host_security.Security2(SEC2_USER.encode(), SEC2_PASSWORD.encode())  # noqa: E731
    started(board)
    pid = board_pid(board)
    baseline = open_sockets(pid)
    cmd0 = _cmd0(level)
    vanishing = [
        post("prov-session", cmd0),  # Cmd0, then gone before the answer
        post("prov-session", cmd0)[:-10],  # gone inside the body
        post("prov-session", cmd0)[:40],  # gone inside the head
        b"",  # connected, said nothing, gone
    ]
    for data in vanishing:
        sock = connect(board)
        if data:
            sock.sendall(data)
        sock.close()
    # Cmd0 answered, then gone before Cmd1 (the device waits in WAIT_CMD1 for nobody).
    sock = connect(board)
    sock.sendall(post("prov-session", cmd0))
    sock.settimeout(10)
    assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    # An abort with RST (SO_LINGER 0) in the middle of a keep-alive connection.
    sock = connect(board)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.sendall(post("proto-ver", b"ESP") + post("prov-session", cmd0)[:50])
    time.sleep(0.1)
    sock.close()
    # A session established, the client gone; the next one takes over.
    gone = board.client()
    gone.establish_session(security())
    gone.transport.close()
    time.sleep(0.5)
    _provision(board, boards, security())
    deadline = time.monotonic() + 5
    while open_sockets(pid) > baseline + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_sockets(pid) <= baseline + 1
    _no_tracebacks(board)
    tried("faults: vanishing clients", len(vanishing) + 3)


def _cut_power(board):
    """Power loss: the whole board process group dies at once (SIGKILL, no clean-up)."""
    os.killpg(board.process.pid, signal.SIGKILL)
    board.process.wait(10)
    board.process = None


def _boot_state(board):
    """After a boot: "provisioned" (joins the stored network) or "provisioning"."""
    found = board.expect(r"app: (Already provisioned, starting Wi-Fi STA|Starting provisioning)")
    if found.group(1).startswith("Already"):
        board.expect(r"app: Connected with IP Address:192\.168\.1\.42")  # the stored credentials are whole
        return "provisioned"
    started(board)
    return "provisioning"


STEPS = ("after-handshake", "after-set-config", "right-after-apply", "while-connecting", "after-connected")


@pytest.mark.parametrize("step", STEPS)
def test_power_cut_while_provisioning(boards, step):
    board = boards.boot("--sec", "1", "--pop", POP, pop=POP)
    started(board)
    client = board.client()
    security = KeyedSecurity1(POP.encode())
    client.establish_session(security)
    boards.extra_secrets.append(session_key(security))
    if step == "while-connecting":
        # The "slow" hotspot takes 1.5 s to connect after the 1 s connect delay: cut at 1.75 s.
        assert client.set_config(b"MobileHotspot", b"hotspot-pass") == "Success"
    elif step != "after-handshake":
        assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
    if step in ("right-after-apply", "while-connecting", "after-connected"):
        assert client.apply_config() == "Success"
    if step == "while-connecting":
        time.sleep(1.75)
    if step == "after-connected":
        assert client.wait_connected(poll_interval=0.2, timeout=30).state == "connected"
    _cut_power(board)
    board.boot()
    state = _boot_state(board)
    # Only credentials that connected are stored, and once the client has seen "connected" they are.
    assert state == ("provisioned" if step == "after-connected" else "provisioning"), step
    if state == "provisioning":
        _provision(board, boards)
    _no_tracebacks(board)
    tried("faults: power cuts at provisioning steps")


def test_power_cut_at_random_moments_around_the_credential_write(boards):
    """The write happens when the station gets its IP (1 s connect delay + 0.3 s attempt + ticks after
    ApplyConfig here, never before 1.3 s); cut the power at 8 moments from 1.2 to 2.6 s: every boot finds
    whole credentials or none, and both outcomes occur."""
    board = boards.boot("--sec", "0")
    started(board)
    outcomes = []
    for i in range(8):
        client = board.client()
        client.establish_session(host_security.Security0())
        assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
        assert client.apply_config() == "Success"
        time.sleep(1.2 + 0.2 * i)
        _cut_power(board)
        board.boot()
        state = _boot_state(board)
        outcomes.append(state)
        if state == "provisioned":
            # Start over: erase the NVS (the state directory) and boot into provisioning again.
            _cut_power(board)
            os.remove(os.path.join(board.state, "nvs.json"))
            board.boot()
            started(board)
    _no_tracebacks(board)
    measured("faults: random power cuts that found credentials stored (of 8)", outcomes.count("provisioned"))
    assert "provisioned" in outcomes and "provisioning" in outcomes, outcomes
    tried("faults: random power cuts around the credential write", len(outcomes))
