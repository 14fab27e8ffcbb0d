"""Wi-Fi adapter over ``network.WLAN`` (PLATFORM.md §A7): scans, polled connection attempts, the SoftAP,
and the driver-to-protocol mappings (``status()`` code → failure reason, auth mode → ``WifiAuthMode``).

The ESP32 port has no Wi-Fi events, so an attempt is driven from Python: ``connect()`` with
``reconnects=0`` (the driver makes exactly one try), then ``poll()`` until it reports the outcome.
"""

from micropython import const


# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_WPA2_ENTERPRISE = const(5)  # WifiAuthMode.WPA2_ENTERPRISE
_WPA2_WPA3_PSK = const(7)  # WifiAuthMode.WPA2_WPA3_PSK
_AUTH_ERROR = const(0)  # WifiConnectFailedReason.AuthError
_NETWORK_NOT_FOUND = const(1)  # WifiConnectFailedReason.NetworkNotFound

try:
    from time import ticks_diff
except ImportError:  # CPython

    def ticks_diff(a, b):
        return a - b


STAT_IDLE = const(1000)
STAT_CONNECTING = const(1001)
STAT_GOT_IP = const(1010)
_REASON_ASSOC_LEAVE = const(8)

ATTEMPT_CONNECTING = const(0)
ATTEMPT_CONNECTED = const(1)
ATTEMPT_FAILED = const(2)

# An attempt that shows no outcome for this long is abandoned (e.g. an AP that never answers).
_ATTEMPT_TIMEOUT_MS = const(30000)
# connect() does not clear the driver's last disconnect reason, and v1.23+ reports 201/202
# ahead of STAT_CONNECTING: the same code right after connect() is the previous attempt's.
_STALE_SETTLE_MS = const(5000)

_AP_MAX_CLIENTS = const(5)
_AUTH_WPA_WPA2_PSK = const(4)
_SSID_MAX = const(32)

# PROTOCOL.md §10.2: 15 4WAY_HANDSHAKE_TIMEOUT, 14 MIC_FAILURE, 202 AUTH_FAIL (MicroPython also
# reports 205 CONNECTION_FAIL as 202), 204 HANDSHAKE_TIMEOUT.
_AUTH_ERRORS = (14, 15, 202, 204)
# 201 NO_AP_FOUND, and its IDF 5.2+ variants 210-212 (no AP with compatible security /
# within the auth-mode threshold / within the RSSI threshold), which v1.23+ reports as they are.
_NOT_FOUND = (201, 210, 211, 212)

_DESCRIPTIONS = {
    14: "MIC failure",
    15: "4-way handshake timeout",
    200: "beacon timeout",
    201: "access point not found",
    202: "authentication failed",
    203: "association failed",
    204: "handshake timeout",
    210: "no access point with compatible security",
    211: "no access point within the auth mode threshold",
    212: "no access point within the RSSI threshold",
    STAT_IDLE: "idle",
}

# Driver auth modes 8..16 (WAPI_PSK, OWE, WPA3_ENT_192, WPA3_EXT_PSK, WPA3_EXT_PSK_MIXED_MODE, DPP,
# WPA3_ENT, WPA2_WPA3_ENT, WPA_ENT) as WifiAuthMode: esp_prov crashes on values above 7.
# Passwordless OWE → Open; personal (PSK/SAE) modes → the nearest personal mode; enterprise
# modes and anything newer → WPA2_ENTERPRISE.
_AUTH_ABOVE_7 = b"\x03\x00\x05\x06\x06\x06\x05\x05\x05"


def fail_reason(status, previous):
    """The ``WifiConnectFailedReason`` for a failed attempt's ``status``; other codes keep ``previous``."""
    if status in _AUTH_ERRORS:
        return _AUTH_ERROR
    if status in _NOT_FOUND:
        return _NETWORK_NOT_FOUND
    return previous


def describe(status):
    """Short text for a ``WLAN.status()`` code (``None`` = the attempt timed out), for logs."""
    if status is None:
        return "no outcome within %d s" % (_ATTEMPT_TIMEOUT_MS // 1000)
    return _DESCRIPTIONS.get(status, "status %d" % status)


def auth_mode(value):
    """Map the driver's auth mode number to a ``WifiAuthMode`` value (0..7)."""
    if 0 <= value <= _WPA2_WPA3_PSK:
        return value
    index = value - _WPA2_WPA3_PSK - 1
    if 0 <= index < len(_AUTH_ABOVE_7):
        return _AUTH_ABOVE_7[index]
    return _WPA2_ENTERPRISE


def _ssid(raw):
    raw = bytes(raw)
    end = raw.find(b"\x00")
    if end >= 0:
        raw = raw[:end]
    return raw[:_SSID_MAX]


class WifiAdapter:
    """The station and SoftAP interfaces of the ``network`` module handed in (a fake in tests)."""

    def __init__(self, network):
        self._sta = network.WLAN(network.STA_IF)
        self._ap = network.WLAN(network.AP_IF)
        self._started = None  # ticks_ms when the current attempt began
        self._stale = None
        self._refused = False

    def sta_start(self):
        """Turn the station interface on (scans and connections need it)."""
        if not self._sta.active():
            self._sta.active(True)

    def sta_mac(self):
        """The station MAC (6 bytes) = the chip's base MAC."""
        return bytes(self._sta.config("mac"))

    def scan(self):
        """Blocking scan; returns ``(ssid, bssid, channel, rssi, auth)`` tuples in radio order.

        ``ssid`` is cut at its first NUL (hidden networks give ``b""``); ``auth`` is a
        ``WifiAuthMode`` value. Raises ``OSError`` if the driver refuses to scan.
        """
        self.sta_start()
        found = []
        for ap in self._sta.scan():
            found.append((_ssid(ap[0]), bytes(ap[1]), ap[2], ap[3], auth_mode(ap[4])))
        return found

    def connect(self, ssid, passphrase, now_ms):
        """Start one connection attempt (the driver does not retry); follow it with ``poll()``."""
        self.sta_start()
        self._sta.config(reconnects=0)
        self._stale = self._sta.status()
        self._started = now_ms
        self._refused = False
        try:
            self._sta.connect(ssid, passphrase)
        except OSError:
            self._refused = True

    def poll(self, now_ms):
        """``(ATTEMPT_CONNECTING | ATTEMPT_CONNECTED | ATTEMPT_FAILED, status)`` of the current attempt.

        ``status`` is the ``WLAN.status()`` code behind the answer, ``None`` when the
        attempt was refused by the driver or gave no outcome in time.
        """
        if self._started is None:
            return ATTEMPT_FAILED, None
        if self._refused:
            self._started = None
            return ATTEMPT_FAILED, None
        status = self._sta.status()
        if status == STAT_GOT_IP:
            self._started = None
            return ATTEMPT_CONNECTED, status
        elapsed = ticks_diff(now_ms, self._started)
        if status != self._stale:
            # The driver has reported something new since connect(): from now on a code equal
            # to the previous attempt's is this attempt's own outcome.
            self._stale = None
        if status in (STAT_IDLE, STAT_CONNECTING, _REASON_ASSOC_LEAVE) or (
            status == self._stale and elapsed < _STALE_SETTLE_MS
        ):
            if elapsed < _ATTEMPT_TIMEOUT_MS:
                return ATTEMPT_CONNECTING, status
            self.disconnect()
            return ATTEMPT_FAILED, None
        self._started = None
        return ATTEMPT_FAILED, status

    def disconnect(self):
        """Abandon any attempt or connection of the station."""
        self._started = None
        try:
            self._sta.disconnect()
        except OSError:
            pass

    def stay_connected(self):
        """Let the driver reconnect on its own from now on (after provisioning succeeded)."""
        self._sta.config(reconnects=-1)

    def join(self, ssid, passphrase):
        """Connect with stored credentials and keep reconnecting (the already-provisioned boot)."""
        self.sta_start()
        self._sta.config(reconnects=-1)
        self._sta.connect(ssid, passphrase)

    def isconnected(self):
        """True while the station has an IP address."""
        return self._sta.isconnected()

    def ip(self):
        """The station's IPv4 address as text."""
        return self._sta.ifconfig()[0]

    def channel(self):
        """The radio's current channel."""
        return self._sta.config("channel")

    def ap_start(self, ssid, password=None):
        """Start the SoftAP: open, or WPA/WPA2-PSK with ``password`` (8..64 characters)."""
        self._ap.active(True)
        if password:
            self._ap.config(ssid=ssid, key=password, authmode=_AUTH_WPA_WPA2_PSK, max_clients=_AP_MAX_CLIENTS)
        else:
            self._ap.config(ssid=ssid, authmode=0, max_clients=_AP_MAX_CLIENTS)

    def ap_stop(self):
        """Turn the SoftAP off (nothing happens if it is off)."""
        if self._ap.active():
            self._ap.active(False)
