"""Simulated ``network`` module of MicroPython's ESP32 port, driven by a "world" of access points.

The virtual board (``scripts/vboard.py``) calls ``configure(world)`` before the board
code runs. Behaviour follows ``ports/esp32/network_wlan.c`` (PLATFORM.md §A7) in real
time; the station's connection logic (attempts that end ``connect_ms`` later, sticky
status codes, driver reconnects) is ``wlan_station.StationLink``, the same model the
device tests use. ``scan()`` blocks and needs an active STA.

World JSON (every key but ``aps`` optional)::

    {
      "mac": "24:0a:c4:26:1f:cc",   # base MAC = STA MAC (AP MAC = base + 1)
      "ip": "192.168.1.42",         # station address once connected
      "gateway": "192.168.1.1",
      "ap_ip": "192.168.4.1",       # SoftAP address (the virtual board serves on 127.0.0.1)
      "scan_ms": 1500,              # how long scan() blocks
      "connect_ms": 1500,           # how long an attempt takes (default for every AP)
      "no_ap_ms": 2500,             # how long until "no AP found" for an SSID not on the air
      "aps": [
        {"ssid": "MyHomeWiFiAP",    # text, or "ssid_hex" for raw bytes ("" = hidden network)
         "bssid": "788a20841996",   # 12 hex digits, ":" allowed
         "channel": 1, "rssi": -45,
         "auth": "WPA2_PSK",        # OPEN WEP WPA_PSK WPA2_PSK WPA_WPA2_PSK WPA2_ENTERPRISE WPA3_PSK
                                    # WPA2_WPA3_PSK WAPI_PSK OWE ... or the driver's number
         "password": "mypassword",  # null / absent for open networks
         "behaviour": null,         # "absent": listed but not on the air (not scanned, 201 on connect)
                                    # "refuses": every association fails (reason "refuse_reason", 203)
                                    # "slow": the right password connects after "slow_ms" (8000)
         "connect_ms": 1500,        # per-AP override
         "wrong_password_reason": 15  # disconnect reason for a wrong key: 15 4-way handshake
                                      # timeout (WPA/WPA2 default), 202 auth fail (WPA3 default), 204
        }
      ]
    }
"""

import time

import hostsys
from wlan_station import (  # the board reads these status codes from this module
    STAT_ASSOC_FAIL,
    STAT_CONNECTING,
    STAT_GOT_IP,
    STAT_IDLE,
    STAT_NO_AP_FOUND,
    STAT_WRONG_PASSWORD,
    StationLink,
)

STA_IF = 0
AP_IF = 1

STAT_BEACON_TIMEOUT = 200
STAT_HANDSHAKE_TIMEOUT = 204
STAT_CONNECT_FAIL = 203

AUTH_NAMES = (
    "OPEN", "WEP", "WPA_PSK", "WPA2_PSK", "WPA_WPA2_PSK", "WPA2_ENTERPRISE", "WPA3_PSK", "WPA2_WPA3_PSK",
    "WAPI_PSK", "OWE", "WPA3_ENT_192", "WPA3_EXT_PSK", "WPA3_EXT_PSK_MIXED_MODE", "DPP",
)
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA_PSK = 2
AUTH_WPA2_PSK = 3
AUTH_WPA_WPA2_PSK = 4
AUTH_WPA2_ENTERPRISE = 5
AUTH_WPA3_PSK = 6
AUTH_WPA2_WPA3_PSK = 7
AUTH_WAPI_PSK = 8
AUTH_OWE = 9
AUTH_MAX = 10

_REASON_4WAY_HANDSHAKE_TIMEOUT = 15
_WPA3 = (6, 11)

DEFAULTS = {
    "mac": "24:0a:c4:26:1f:cc",
    "ip": "192.168.1.42",
    "gateway": "192.168.1.1",
    "ap_ip": "192.168.4.1",
    "scan_ms": 1500,
    "connect_ms": 1500,
    "no_ap_ms": 2500,
}
_AP_KEYS = ("ssid", "ssid_hex", "bssid", "channel", "rssi", "auth", "password", "behaviour", "connect_ms",
            "slow_ms", "wrong_password_reason", "refuse_reason")
_BEHAVIOURS = (None, "absent", "refuses", "slow")

_world = None
_interfaces = {}


def _mac_bytes(text, what):
    raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError("%s must be 6 bytes: %r" % (what, text))
    return raw


class _AccessPoint:
    def __init__(self, entry, world):
        unknown = set(entry) - set(_AP_KEYS)
        if unknown:
            raise ValueError("unknown access point key(s): %s" % ", ".join(sorted(unknown)))
        if "ssid_hex" in entry:
            self.ssid = bytes.fromhex(entry["ssid_hex"])
        else:
            self.ssid = entry["ssid"].encode()
        if len(self.ssid) > 32:
            raise ValueError("SSID longer than 32 bytes: %r" % self.ssid)
        self.bssid = _mac_bytes(entry["bssid"], "bssid")
        self.channel = int(entry.get("channel", 1))
        self.rssi = int(entry.get("rssi", -60))
        auth = entry.get("auth", "OPEN")
        self.auth = AUTH_NAMES.index(auth.upper()) if isinstance(auth, str) else int(auth)
        password = entry.get("password")
        self.password = None if password is None or self.auth == 0 else password.encode()
        self.behaviour = entry.get("behaviour")
        if self.behaviour not in _BEHAVIOURS:
            raise ValueError("behaviour must be one of %s" % (_BEHAVIOURS,))
        self.connect_ms = entry.get("connect_ms", world["connect_ms"])
        self.slow_ms = entry.get("slow_ms", 8000)
        default_reason = STAT_WRONG_PASSWORD if self.auth in _WPA3 else _REASON_4WAY_HANDSHAKE_TIMEOUT
        self.wrong_password_reason = entry.get("wrong_password_reason", default_reason)
        self.refuse_reason = entry.get("refuse_reason", STAT_ASSOC_FAIL)

    def outcome(self, key):
        """(duration ms, disconnect reason or STAT_GOT_IP) of one attempt with ``key``."""
        if self.behaviour == "refuses":
            return self.connect_ms, self.refuse_reason
        if self.password is not None and key != self.password:
            return self.connect_ms, self.wrong_password_reason
        if self.behaviour == "slow":
            return self.slow_ms, STAT_GOT_IP
        return self.connect_ms, STAT_GOT_IP


def configure(world):
    """Install ``world`` (a dict as in the module docstring) and reset both interfaces."""
    global _world
    settings = dict(DEFAULTS)
    settings.update({k: v for k, v in world.items() if k != "aps"})
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError("unknown world key(s): %s" % ", ".join(sorted(unknown)))
    settings["mac"] = _mac_bytes(settings["mac"], "mac")
    settings["aps"] = [_AccessPoint(entry, settings) for entry in world.get("aps", [])]
    _world = settings
    _interfaces.clear()


def world():
    """The installed world (MAC as bytes, access points as objects)."""
    if _world is None:
        configure({})
    return _world


class WLAN:
    """``network.WLAN(interface)``: one object per interface, as on the board."""

    IF_STA = STA_IF
    IF_AP = AP_IF
    SEC_OPEN = AUTH_OPEN
    SEC_WEP = AUTH_WEP
    SEC_WPA = AUTH_WPA_PSK
    SEC_WPA2 = AUTH_WPA2_PSK
    SEC_WPA_WPA2 = AUTH_WPA_WPA2_PSK
    SEC_WPA2_ENT = AUTH_WPA2_ENTERPRISE
    SEC_WPA3 = AUTH_WPA3_PSK
    SEC_WPA2_WPA3 = AUTH_WPA2_WPA3_PSK
    SEC_WAPI = AUTH_WAPI_PSK
    SEC_OWE = AUTH_OWE

    def __new__(cls, interface=STA_IF):
        if interface not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        if interface not in _interfaces:
            obj = super().__new__(_Station if interface == STA_IF else _SoftAP)
            obj._setup()
            _interfaces[interface] = obj
        return _interfaces[interface]


class _Station(WLAN, StationLink):
    def _setup(self):
        self._reset_link()

    def _now_ms(self):
        return hostsys.now_ms()

    def _air(self):
        return world()["aps"]

    def _no_ap_ms(self):
        return world()["no_ap_ms"]

    def scan(self):
        if not self._active:
            raise OSError("STA must be active")
        time.sleep(world()["scan_ms"] / 1000)
        return [(ap.ssid, ap.bssid, ap.channel, ap.rssi, ap.auth, False)
                for ap in world()["aps"] if ap.behaviour != "absent"]

    def config(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("either pos or kw args are allowed")
        if args:
            if args[0] == "mac":
                return world()["mac"]
            return self._link_config(args[0])
        for key, value in kwargs.items():
            if key == "reconnects":
                self._set_reconnects(value)
            elif key not in ("pm", "txpower", "hostname", "dhcp_hostname", "protocol"):
                raise ValueError("unknown config param")

    def ifconfig(self, settings=None):
        if settings is not None:
            raise OSError("static addresses are not simulated")
        if self.isconnected():
            return (world()["ip"], "255.255.255.0", world()["gateway"], world()["gateway"])
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")


class _SoftAP(WLAN):
    def _setup(self):
        self._active = False
        self._settings = {"ssid": "ESP_" + world()["mac"][3:].hex().upper(), "key": "", "authmode": 0,
                          "max_clients": 10, "channel": 1, "hidden": False}

    def active(self, flag=None):
        if flag is not None:
            self._active = bool(flag)
        return self._active

    def config(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("either pos or kw args are allowed")
        aliases = {"essid": "ssid", "password": "key", "security": "authmode"}
        if args:
            key = aliases.get(args[0], args[0])
            if key == "mac":
                mac = bytearray(world()["mac"])
                mac[5] = (mac[5] + 1) & 0xFF
                return bytes(mac)
            if key == "key":
                raise ValueError("can't get password")
            if key not in self._settings:
                raise ValueError("unknown config param")
            return self._settings[key]
        for key, value in kwargs.items():
            key = aliases.get(key, key)
            if key not in self._settings:
                raise ValueError("unknown config param")
            if key == "key" and value and not 8 <= len(value) <= 64:
                raise OSError("Wifi Invalid Argument")
            self._settings[key] = value

    def ifconfig(self, settings=None):
        if settings is not None:
            raise OSError("static addresses are not simulated")
        ip = world()["ap_ip"]
        return (ip, "255.255.255.0", ip, "0.0.0.0")

    def status(self, param=None):
        if param == "stations":
            return []
        raise ValueError("unknown status param")

    def isconnected(self):
        return False
