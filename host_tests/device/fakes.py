"""Fakes of the ESP32 ``network`` and ``esp32`` modules for the device tests (CPython and MicroPython).

``FakeNetwork`` models what the MicroPython ESP32 port really does (PLATFORM.md §A7):
the station's connection logic is ``scripts/devsim/wlan_station.py``, shared with the
virtual board, here on simulated time from a ``FakeClock``; ``scan()`` needs an active
STA and can be made to fail (``scan_error``).

``FakeEsp32`` gives ``NVS`` handles over a ``FakeFlash`` that can lose power after any
call: the call is skipped, half-done (a torn blob) or done, and uncommitted changes are
then lost or kept, so a test can check every crash point of a store update.
"""

# The tests take the driver's status codes from here too.
from wlan_station import STAT_ASSOC_FAIL, STAT_GOT_IP, STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD, StationLink


class FakeClock:
    """Milliseconds of simulated time, shared by the fakes and the code under test."""

    def __init__(self, now=100000):
        self.now = now

    def advance(self, ms):
        self.now += ms
        return self.now


class FakeAccessPoint:
    """One access point of the simulated world.

    ``password`` None = open network. ``wrong_password_status`` is the disconnect
    reason a wrong key produces (202 AUTH_FAIL, or 15 / 204 handshake timeouts).
    ``behaviour``: None, "absent" (not on the air), "refuses" (association fails, 203),
    "silent" (never answers). ``connect_ms`` is how long an attempt takes.
    """

    def __init__(self, ssid, bssid, channel, rssi, auth, password=None, behaviour=None,
                 connect_ms=2000, wrong_password_status=STAT_WRONG_PASSWORD):
        self.ssid = ssid
        self.bssid = bssid
        self.channel = channel
        self.rssi = rssi
        self.auth = auth
        self.password = password
        self.behaviour = behaviour
        self.connect_ms = connect_ms
        self.wrong_password_status = wrong_password_status

    def outcome(self, key):
        """(ms, STAT_GOT_IP or a disconnect reason, None if it never answers) of one attempt."""
        if self.behaviour == "silent":
            return self.connect_ms, None
        if self.behaviour == "refuses":
            return self.connect_ms, STAT_ASSOC_FAIL
        if self.password is not None and key != self.password:
            return self.connect_ms, self.wrong_password_status
        return self.connect_ms, STAT_GOT_IP


def access_points_from_vector(entries, password=b"mypassword", connect_ms=2000):
    """``FakeAccessPoint`` list from ``wifi_flow.json`` entries; secured ones share ``password``."""
    from devtest import unhex

    aps = []
    for e in entries:
        auth = e["auth_value"]
        aps.append(FakeAccessPoint(unhex(e["ssid_hex"]), unhex(e["bssid_hex"]), e["channel"], e["rssi"], auth,
                                   None if auth == 0 else password, connect_ms=connect_ms))
    return aps


class _FakeSta(StationLink):
    def __init__(self, net):
        self._net = net
        self._reset_link()
        self.connect_calls = []
        self.scans = 0

    @property
    def old_status_order(self):
        return self._net.old_status_order

    def _now_ms(self):
        return self._net.clock.now

    def _air(self):
        return self._net.aps

    def _no_ap_ms(self):
        return self._net.no_ap_ms

    def config(self, *args, **kwargs):
        if args:
            if args[0] == "mac":
                return self._net.mac
            return self._link_config(args[0])
        for key, value in kwargs.items():
            if key != "reconnects":
                raise ValueError("unknown config param")
            self._set_reconnects(value)

    def connect(self, ssid=None, key=None, *, bssid=None):
        super().connect(ssid, key, bssid=bssid)
        self.connect_calls.append(self._target)

    def scan(self):
        if not self._active:
            raise OSError("STA must be active")
        self.scans += 1
        if self._net.scan_error is not None:
            raise self._net.scan_error
        return [(ap.ssid, ap.bssid, ap.channel, ap.rssi, ap.auth, False)
                for ap in self._net.aps if ap.behaviour != "absent"]

    def ifconfig(self):
        self._advance()
        if self._joined is None:
            return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
        return (self._net.ip, "255.255.255.0", "192.168.1.1", "192.168.1.1")


class _FakeApIf:
    def __init__(self, net):
        self._net = net
        self._active = False
        self.settings = {}

    def active(self, flag=None):
        if flag is not None:
            self._active = bool(flag)
        return self._active

    def config(self, *args, **kwargs):
        if args:
            if args[0] == "mac":
                return self._net.mac[:5] + bytes([(self._net.mac[5] + 1) & 0xFF])
            return self.settings[args[0]]
        for key in kwargs:
            if key not in ("ssid", "essid", "key", "password", "authmode", "security", "max_clients", "channel", "hidden"):
                raise ValueError("unknown config param")
        self.settings.update(kwargs)


class FakeNetwork:
    """Stands in for the ``network`` module: ``WLAN(STA_IF)`` / ``WLAN(AP_IF)`` are singletons."""

    STA_IF = 0
    AP_IF = 1

    def __init__(self, aps=(), clock=None, mac=b"\x24\x0a\xc4\x26\x1f\xcc", ip="192.168.1.42",
                 old_status_order=False, no_ap_ms=2500):
        self.aps = list(aps)
        self.clock = clock or FakeClock()
        self.mac = mac
        self.ip = ip
        self.old_status_order = old_status_order
        self.no_ap_ms = no_ap_ms
        self.scan_error = None
        self.sta = _FakeSta(self)
        self.ap = _FakeApIf(self)

    def WLAN(self, interface=0):
        return self.sta if interface == self.STA_IF else self.ap


class PowerLoss(BaseException):
    """The simulated board lost power in the middle of a flash operation."""


ESP_ERR_NVS_NOT_FOUND = -4354
ESP_ERR_NVS_INVALID_LENGTH = -4364

# What happens to the call during which power is lost.
CRASH_BEFORE = "before"  # not performed at all
CRASH_TORN = "torn"  # a blob write leaves a truncated value behind (harsher than real NVS)
CRASH_AFTER = "after"  # performed, then power goes


class FakeFlash:
    """The NVS partition: committed entries survive a power loss, pending ones may not."""

    def __init__(self):
        self.committed = {}
        self.handles = []
        self.calls = 0
        self._budget = None
        self._mode = CRASH_BEFORE

    def arm(self, calls, mode):
        """Lose power during the ``calls``-th NVS call from now (1 = the next one)."""
        self._budget = calls
        self._mode = mode

    def disarm(self):
        self._budget = None

    def reboot(self, keep_uncommitted):
        """Power comes back: open handles die; their pending writes vanish unless kept."""
        for handle in self.handles:
            if keep_uncommitted:
                handle.commit_into(self.committed)
            handle.dead = True
        self.handles = []
        self._budget = None

    def call(self, handle, op, key, value):
        """Run one NVS operation, honouring an armed power loss."""
        self.calls += 1
        crash = False
        if self._budget is not None:
            self._budget -= 1
            crash = self._budget <= 0
        if crash:
            self._budget = None
            if self._mode == CRASH_TORN and op == "set":
                handle.pending[key] = bytes(value[: len(value) // 2])
                handle.commit_into(self.committed)
            elif self._mode == CRASH_AFTER:
                try:
                    handle.perform(op, key, value)
                except OSError:  # the call failed as it would have; then the power went
                    pass
            raise PowerLoss()
        return handle.perform(op, key, value)


class _FakeNVS:
    def __init__(self, flash, namespace):
        if len(namespace) > 15:
            raise ValueError("namespace too long")
        self._flash = flash
        self._ns = namespace
        self.pending = {}
        self.dead = False
        flash.handles.append(self)

    def _view(self, key):
        if key in self.pending:
            return self.pending[key]
        return self._flash.committed.get((self._ns, key))

    def commit_into(self, store):
        for key, value in self.pending.items():
            if value is None:
                store.pop((self._ns, key), None)
            else:
                store[(self._ns, key)] = value
        self.pending = {}

    def perform(self, op, key, value):
        if self.dead:
            raise RuntimeError("NVS handle used after a power loss")
        if op == "commit":
            self.commit_into(self._flash.committed)
            return None
        if len(key) > 15:
            raise OSError(-4357)  # ESP_ERR_NVS_KEY_TOO_LONG
        current = self._view(key)
        if op == "set":
            self.pending[key] = value
            return None
        if op == "erase":
            if current is None:
                raise OSError(ESP_ERR_NVS_NOT_FOUND)
            self.pending[key] = None
            return None
        if op == "get_i32":
            if not isinstance(current, int):
                raise OSError(ESP_ERR_NVS_NOT_FOUND)
            return current
        if not isinstance(current, bytes):
            raise OSError(ESP_ERR_NVS_NOT_FOUND)
        if len(current) > len(value):
            raise OSError(ESP_ERR_NVS_INVALID_LENGTH)
        value[: len(current)] = current
        return len(current)

    def set_blob(self, key, value):
        self._flash.call(self, "set", key, bytes(value))

    def get_blob(self, key, buf):
        return self._flash.call(self, "get_blob", key, buf)

    def set_i32(self, key, value):
        self._flash.call(self, "set", key, int(value))

    def get_i32(self, key):
        return self._flash.call(self, "get_i32", key, 0)

    def erase_key(self, key):
        self._flash.call(self, "erase", key, None)

    def commit(self):
        self._flash.call(self, "commit", None, None)


class FakeEsp32:
    """Stands in for the ``esp32`` module: ``NVS(namespace)`` over one ``FakeFlash``."""

    def __init__(self, flash=None):
        self.flash = flash or FakeFlash()

    def NVS(self, namespace):
        return _FakeNVS(self.flash, namespace)


class Board:
    """A provisioning manager wired to the fakes: ``board.manager``, ``board.events``, simulated time.

    ``settings`` override ``wifiprov.config.defaults()`` (``transport`` defaults to "softap").
    """

    def __init__(self, aps=(), clock=None, flash=None, **settings):
        from wifiprov import config
        from wifiprov.manager import ProvisioningManager
        from wifiprov.store import NvsStore
        from wifiprov.wifi import WifiAdapter

        self.clock = clock or FakeClock()
        self.network = FakeNetwork(aps, self.clock)
        self.esp32 = FakeEsp32(flash)
        self.store = NvsStore(self.esp32)
        self.wifi = WifiAdapter(self.network)
        settings.setdefault("transport", "softap")
        values = config.merge(settings)
        self.log = RecordingLog()
        self.manager = ProvisioningManager(values, self.wifi, self.store, self.log)
        self.events = []
        self.manager.add_listener(lambda event, data: self.events.append((event, data)))

    def tick(self, ms=100):
        """Let ``ms`` of time pass, then run one ``tick`` of the manager."""
        self.manager.tick(self.clock.advance(ms))

    def run_for(self, ms, step=100):
        """Let ``ms`` of time pass in ``step`` ticks (the application's loop)."""
        for _ in range(ms // step):
            self.tick(step)


class RecordingLog:
    """Logger double: keeps ``(level, text)`` lines."""

    def __init__(self):
        self.lines = []

    def info(self, text):
        self.lines.append(("I", text))

    def warn(self, text):
        self.lines.append(("W", text))

    def text(self):
        return "\n".join(line for _, line in self.lines)
