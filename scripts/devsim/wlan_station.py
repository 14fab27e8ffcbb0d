"""The connection logic of MicroPython's ESP32 station interface, on any clock.

One model of ``ports/esp32/network_wlan.c`` (PLATFORM.md §A7) serves both simulators:
the virtual board's ``network`` module (real time) and the device tests' fakes
(simulated time, also run on the MicroPython WebAssembly port, so this module keeps to
the MicroPython subset).

``connect()`` returns at once and the outcome arrives later; the driver joins the first
matching access point of a fast scan (channel order, the strongest on a channel), as it
does with the zeroed ``wifi_config_t`` MicroPython passes. ``status()`` reports the last
disconnect reason; v1.23+ firmware checks the "sticky" reasons (201 and 210-212,
202/205, 8) *before* ``STAT_CONNECTING``, so a new ``connect()`` keeps showing the
previous failure until the next event. ``config(reconnects=N)`` lets the driver retry
N times by itself (-1, the default, for ever).
"""

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
REASON_ASSOC_LEAVE = 8
REASON_CONNECTION_FAIL = 205
_STICKY_NO_AP = (201, 210, 211, 212)


class StationLink:
    """``WLAN(STA_IF)``'s active / connect / disconnect / isconnected / status and reconnects.

    A subclass supplies the world: ``_now_ms()``, ``_air()`` (the access points; each has
    ``ssid``, ``channel``, ``rssi``, ``behaviour`` and ``outcome(key)`` giving
    ``(ms, STAT_GOT_IP or a disconnect reason, or None for never answers)``) and
    ``_no_ap_ms()``. ``old_status_order`` makes ``status()`` behave as before v1.23.
    """

    old_status_order = False

    def _reset_link(self):
        self._active = False
        self._conf_reconnects = 0  # as the C code keeps it: 0 = for ever, else reconnects + 1
        self._reconnects = 0
        self._requested = False
        self._joined = None  # the access point once connected
        self._reason = 0
        self._attempt = None  # (done at ms, access point or None, outcome)
        self._target = None  # (ssid, key) of the last connect()

    def active(self, flag=None):
        if flag is not None:
            self._active = bool(flag)
            if not flag:
                self._drop(REASON_ASSOC_LEAVE)
        return self._active

    def connect(self, ssid=None, key=None, *, bssid=None):
        if not self._active:
            raise OSError("Wifi Not Started")
        if ssid is not None:
            self._target = (_as_bytes(ssid)[:32], _as_bytes(key)[:64])
        if self._target is None:
            raise OSError("Wifi Invalid Argument")
        self._reconnects = 0
        self._requested = True
        self._joined = None
        self._schedule(self._now_ms())

    def _schedule(self, start):
        ssid, key = self._target
        candidates = [ap for ap in self._air() if ap.ssid == ssid and ap.behaviour != "absent"]
        if not candidates:
            self._attempt = (start + self._no_ap_ms(), None, STAT_NO_AP_FOUND)
            return
        candidates.sort(key=lambda ap: (ap.channel, -ap.rssi))
        ap = candidates[0]
        duration, outcome = ap.outcome(key)
        self._attempt = (start + duration, ap, outcome)

    def _advance(self):
        """Deliver the events whose time has come (the driver may retry by itself)."""
        now = self._now_ms()
        while self._attempt is not None and self._attempt[2] is not None and now >= self._attempt[0]:
            done_at, ap, outcome = self._attempt
            self._attempt = None
            if outcome == STAT_GOT_IP:
                self._joined = ap
                self._reason = 0
                return
            self._reason = outcome
            if not self._requested:
                return
            if self._conf_reconnects:
                self._reconnects += 1
                if self._reconnects >= self._conf_reconnects:
                    return
            self._schedule(done_at)

    def _drop(self, reason):
        """The link goes down (or the attempt is abandoned) with disconnect ``reason``."""
        if self._joined is not None or self._attempt is not None:
            self._reason = reason
        self._joined = None
        self._attempt = None

    def disconnect(self):
        self._advance()
        self._requested = False
        self._drop(REASON_ASSOC_LEAVE)

    def isconnected(self):
        self._advance()
        return self._joined is not None

    def status(self, param=None):
        self._advance()
        if param == "rssi":
            if self._joined is None:
                raise OSError("Wifi Not Connected")
            return self._joined.rssi
        if param is not None:
            raise ValueError("unknown status param")
        if self._joined is not None:
            return STAT_GOT_IP
        reason = self._reason
        if not self.old_status_order:
            if reason in _STICKY_NO_AP:
                return reason
            if reason in (STAT_WRONG_PASSWORD, REASON_CONNECTION_FAIL):
                return STAT_WRONG_PASSWORD
            if reason == REASON_ASSOC_LEAVE:
                return STAT_IDLE
        if self._requested and (self._conf_reconnects == 0 or self._reconnects < self._conf_reconnects):
            return STAT_CONNECTING
        return STAT_IDLE if reason == 0 else reason

    def _link_config(self, key):
        """The value of a ``config(key)`` query the link answers, or raise ValueError."""
        self._advance()
        if key == "channel":
            return self._joined.channel if self._joined else 1
        if key in ("ssid", "essid"):
            return self._target[0].decode() if self._target else ""
        if key == "reconnects":
            return self._conf_reconnects - 1
        raise ValueError("unknown config param")

    def _set_reconnects(self, value):
        self._conf_reconnects = 0 if value == -1 else value + 1


def _as_bytes(value):
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else bytes(value)
