"""Fault injection on the device code over the fakes (simulated flash, Wi-Fi and time):

* power loss at every NVS call of the credential write *inside a provisioning run* (the store's own
  crash tests in host_tests/device/test_store.py cover ``NvsStore.save``/``erase`` alone), then a
  reboot that joins with what was kept or provisions again;
* power loss at every file-system step of ``FileStore.save`` (torn writes, both rename flavours);
* random histories of saves and erases with a crash anywhere (hypothesis), across a sequence wrap;
* Wi-Fi dropping during apply, the AP disappearing between scan and connect, the link dropping
  after the connection was made.
"""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import devicelib
from devicelib import ACCESS_POINTS, HOME_PASSPHRASE, HOME_SSID, WRONG_PASSPHRASE
from fakes import CRASH_AFTER, CRASH_BEFORE, CRASH_TORN, Board, FakeEsp32, FakeFlash, FakeNetwork, PowerLoss
from fuzzlib import examples, tried
from wifiprov import manager as mgr
from wifiprov import file_store, store
from wifiprov.file_store import FileStore
from wifiprov.store import NvsStore
from wifiprov.wifi import WifiAdapter
from wifiprov_host.client import ProvClient
from wifiprov_host.transport_memory import MemoryTransport
from wifiprov_host import security as host_security

OLD = (b"OldNet", b"old-passphrase")
NEW = (HOME_SSID, HOME_PASSPHRASE)
MODES = (CRASH_BEFORE, CRASH_TORN, CRASH_AFTER)


def _sec0_client(board):
    client = ProvClient(MemoryTransport(board.manager.protocomm, 1))
    client.establish_session(host_security.Security0())
    return client


def _until(board, predicate, limit_ms=30000):
    for _ in range(limit_ms // 100):
        if predicate():
            return True
        board.tick(100)
    return predicate()


# ---------------------------------------------------------------- power loss while provisioning


def _provision_with_power_loss(flash, step, mode):
    """Provision NEW on a board over ``flash``, losing power at the ``step``-th NVS call after
    ApplyConfig. Returns True if the power went."""
    board = Board(ACCESS_POINTS, flash=flash, security=0)
    board.manager.start()
    client = _sec0_client(board)
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    flash.arm(step, mode)
    try:
        assert _until(board, lambda: board.manager.state == mgr.STATE_SUCCESS)
    except PowerLoss:
        return True
    flash.disarm()
    return False


def _boot_after(flash):
    """What the example app does at boot: join with stored credentials, or provision first."""
    stored = NvsStore(FakeEsp32(flash)).load()
    if stored is not None:
        network = FakeNetwork(ACCESS_POINTS)
        wifi = WifiAdapter(network)
        wifi.join(*stored)
        network.clock.advance(1000)
        return stored, wifi.isconnected()
    assert not _provision_with_power_loss(flash, 10 ** 6, CRASH_BEFORE)
    return None, NvsStore(FakeEsp32(flash)).load() == NEW


@pytest.mark.parametrize("history", [[], [OLD]], ids=["first-provisioning", "over-old-credentials"])
def test_power_loss_at_every_step_of_the_credential_write_while_provisioning(history):
    allowed = (history[-1] if history else None, NEW)
    step = 1
    checked = 0
    crashed = True
    while crashed:
        crashed = False
        for mode in MODES:
            for keep in (False, True):
                flash = FakeFlash()
                for pair in history:
                    NvsStore(FakeEsp32(flash)).save(*pair)
                crashed |= _provision_with_power_loss(flash, step, mode)
                flash.reboot(keep)
                stored = NvsStore(FakeEsp32(flash)).load()
                label = "NVS call %d, %s, uncommitted %s" % (step, mode, "kept" if keep else "lost")
                assert stored in allowed, label
                found, online = _boot_after(flash)
                # Stored credentials are whole: the right ones join; the old ones belong to a
                # network not on the air here; without any, provisioning runs again and works.
                assert online == (found in (None, NEW)), label
                checked += 1
        step += 1
    assert checked >= 24
    tried("faults: power loss points during a provisioning's credential write", checked)


# ---------------------------------------------------------------- FileStore, step by step


class _CrashingFiles:
    """``open``/``os`` for ``wifiprov.file_store`` that lose power at the ``step``-th file-system call.

    ``mode``: the call is not done, half done (a write keeps half its bytes), or done; then
    PowerLoss. Data not yet flushed by ``fsync`` or ``close`` is kept (harsher: a torn record
    reaches the disk). ``replacing_rename`` False models FAT, whose rename refuses an existing target.
    """

    def __init__(self, step, mode, replacing_rename):
        self.budget = step
        self.mode = mode
        self.replacing_rename = replacing_rename
        self.calls = 0
        outer = self

        class _Os:
            def rename(self, a, b):
                outer._call(lambda: outer._rename(a, b))

            def remove(self, path):
                outer._call(lambda: os.remove(path))

            def fsync(self, fd):
                outer._call(lambda: os.fsync(fd))

        self.os = _Os()

    def _rename(self, a, b):
        if not self.replacing_rename and os.path.exists(b):
            raise OSError(17, "EEXIST")
        os.rename(a, b)

    def _call(self, action, torn=None):
        self.calls += 1
        self.budget -= 1
        if self.budget == 0:
            if self.mode == CRASH_TORN and torn is not None:
                torn()
            elif self.mode in (CRASH_AFTER, CRASH_TORN):
                try:
                    action()
                except OSError:
                    pass
            raise PowerLoss()
        return action()

    def open(self, path, flags="r"):
        outer = self
        real = outer._call(lambda: open(path, flags))
        if "w" not in flags:
            return real

        class _File:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                real.close()  # a crash leaves what was written on the disk (see the class docstring)
                return False

            def write(self, data):
                return outer._call(lambda: real.write(data), torn=lambda: (real.write(data[: len(data) // 2]), real.flush()))

            def flush(self):
                outer._call(real.flush)

            def fileno(self):
                return real.fileno()

        return _File()


@pytest.mark.parametrize("replacing_rename", [True, False], ids=["posix-rename", "fat-rename"])
@pytest.mark.parametrize("history", [[], [OLD]], ids=["empty", "old"])
def test_file_store_power_loss_at_every_step(tmp_path, monkeypatch, history, replacing_rename):
    path = str(tmp_path / "creds.bin")
    allowed = (history[-1] if history else None, NEW)
    checked = 0
    step = 1
    crashed = True
    while crashed:
        crashed = False
        for mode in MODES:
            for name in (path, path + ".tmp"):
                if os.path.exists(name):
                    os.remove(name)
            for pair in history:
                FileStore(path).save(*pair)
            files = _CrashingFiles(step, mode, replacing_rename)
            monkeypatch.setattr(file_store, "open", files.open, raising=False)
            monkeypatch.setattr(file_store, "os", files.os)
            try:
                FileStore(path).save(*NEW)
            except PowerLoss:
                crashed = True
            monkeypatch.undo()
            label = "file call %d, %s" % (step, mode)
            assert FileStore(path).load() in allowed, label
            FileStore(path).save(b"Later", b"later-pass")  # and it keeps working
            assert FileStore(path).load() == (b"Later", b"later-pass"), label
            checked += 1
        step += 1
    assert checked >= 15
    tried("faults: power loss points in FileStore.save", checked)


# ---------------------------------------------------------------- random histories with crashes

_PAIRS = st.tuples(st.binary(min_size=0, max_size=32), st.binary(min_size=0, max_size=64))
_OPS = st.lists(
    st.tuples(st.sampled_from(["save", "erase"]), _PAIRS, st.integers(0, 6), st.sampled_from(MODES), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=examples(150))
@given(ops=_OPS, near_wrap=st.booleans())
def test_random_histories_with_power_loss_keep_old_or_new(ops, near_wrap):
    flash = FakeFlash()
    expected = None
    if near_wrap:  # sequence numbers about to wrap around 2**32
        nvs = FakeEsp32(flash).NVS("wifiprov")
        nvs.set_blob("cred0", store.encode_record(0xFFFFFFFE, *OLD))
        nvs.commit()
        expected = OLD
    for op, pair, crash_at, mode, keep in ops:
        target = pair if op == "save" else None
        if crash_at:
            flash.arm(crash_at, mode)
        try:
            s = NvsStore(FakeEsp32(flash))
            if op == "save":
                s.save(*pair)
            else:
                s.erase()
            flash.disarm()
        except PowerLoss:
            flash.reboot(keep)
        got = NvsStore(FakeEsp32(flash)).load()
        assert got in (expected, target), (op, crash_at, mode, keep)
        expected = got
    tried("faults: random store histories with crashes")


# ---------------------------------------------------------------- Wi-Fi faults during apply


def _board(**settings):
    aps = [devicelib.FakeAccessPoint(ap.ssid, ap.bssid, ap.channel, ap.rssi, ap.auth, ap.password,
                                     connect_ms=ap.connect_ms) for ap in ACCESS_POINTS]
    board = Board(aps, security=0, **settings)
    board.manager.start()
    return board, _sec0_client(board), aps[0]


def _status(board, client, until, limit_ms=60000):
    status = client.get_status()
    for _ in range(limit_ms // 200):
        if until(status):
            return status
        board.tick(200)
        status = client.get_status()
    raise AssertionError("status stuck at %r" % (status.as_dict(),))


def test_ap_disappears_between_scan_and_connect_then_returns():
    board, client, home = _board()
    assert HOME_SSID in [ap.ssid for ap in client.scan()]
    home.behaviour = "absent"  # switched off after the scan
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    status = _status(board, client, lambda s: s.state == "failed")
    assert status.fail_reason == "NetworkNotFound"
    assert board.store.load() is None
    home.behaviour = None  # back on the air: the phone sends the credentials again
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    assert _status(board, client, lambda s: s.state == "connected").connected["ssid"] == HOME_SSID.decode()
    assert board.store.load() == NEW
    tried("faults: Wi-Fi scenarios")


def test_link_drops_during_every_attempt_then_recovers():
    board, client, home = _board(wifi_conn_attempts=3)
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    sta = board.network.sta
    drops = 0
    for _ in range(400):
        board.tick(100)
        attempt = sta._attempt
        if attempt is not None and attempt[2] == 1010:  # about to get an IP: the link drops instead
            sta._attempt = (attempt[0], attempt[1], 200)  # beacon timeout
            drops += 1
        if board.manager.state != mgr.STATE_CRED_RECV:
            break
    assert drops == 3
    status = client.get_status()
    assert status.state == "failed"
    assert board.store.load() is None  # credentials that never connected are not kept
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    assert _status(board, client, lambda s: s.state == "connected")
    assert board.store.load() == NEW
    tried("faults: Wi-Fi scenarios")


def test_link_drops_right_after_connecting():
    board, client, home = _board()
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    assert _until(board, lambda: board.manager.state == mgr.STATE_SUCCESS)
    home.behaviour = "absent"
    board.network.sta._drop(200)  # beacon lost before the phone polled
    status = client.get_status()
    assert status.state == "connected"  # the attempt's result (the driver reconnects by itself)
    assert board.network.sta._conf_reconnects == 0  # reconnects=-1: for ever
    assert board.store.load() == NEW
    board.run_for(3000)
    assert board.manager.done  # auto-stop still happens
    tried("faults: Wi-Fi scenarios")


def test_wrong_password_then_ap_gone_then_right_password():
    board, client, home = _board(wifi_conn_attempts=2)
    assert client.set_config(HOME_SSID, WRONG_PASSPHRASE) == "Success"
    assert client.apply_config() == "Success"
    assert _status(board, client, lambda s: s.state == "failed").fail_reason == "AuthError"
    home.behaviour = "absent"
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    assert _status(board, client, lambda s: s.state == "failed").fail_reason == "NetworkNotFound"
    home.behaviour = None
    assert client.set_config(*NEW) == "Success"
    assert client.apply_config() == "Success"
    assert _status(board, client, lambda s: s.state == "connected")
    tried("faults: Wi-Fi scenarios")
