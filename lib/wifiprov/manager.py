"""Provisioning manager: the state machine and events of PROTOCOL.md §10, the endpoints behind protocomm,
Wi-Fi attempts with retries, stored credentials and auto-stop.

Sans-I/O like protocomm: transports call ``manager.protocomm.handle(...)``; the application
calls ``tick(now_ms)`` often (every ~100 ms) to drive connection attempts and timers, and
listens for events. Beyond the reference (PROTOCOL.md §13a): after a failed attempt new
credentials are accepted without prov-ctrl Reset (same session or a new one), only
credentials that connected are stored, and GetStatus keeps reporting the failure with its
reason until the next ApplyConfig. Wrong-PoP / wrong-password sessions are limited
(``wifiprov.attempts``): past the free ones every handshake fails for a doubling back-off,
and at the limit until ``unlock()`` or a reboot.
"""

from micropython import const
from binascii import unhexlify

from wifiprov import release
from wifiprov import wifi as wifi_adapter
from wifiprov.attempts import LOCKED, AttemptLimiter, HandshakeBudget
from wifiprov.config_handler import ConfigEndpoint
from wifiprov.ctrl_handler import CtrlEndpoint
from wifiprov.protocomm import Protocomm
from wifiprov.scan_handler import ScanEndpoint, find_ap
from wifiprov.security import EVENT_CREDENTIALS_MISMATCH, EVENT_SETUP_OK

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_SUCCESS = const(0)  # Status.Success
_INTERNAL_ERROR = const(5)  # Status.InternalError
_AUTH_ERROR = const(0)  # WifiConnectFailedReason.AuthError
_NETWORK_NOT_FOUND = const(1)  # WifiConnectFailedReason.NetworkNotFound
_CONNECTED = const(0)  # WifiStationState.Connected
_CONNECTING = const(1)  # WifiStationState.Connecting
_CONNECTION_FAILED = const(3)  # WifiStationState.ConnectionFailed

try:
    from time import ticks_add, ticks_diff, ticks_ms
except ImportError:  # CPython
    import time

    def ticks_add(a, b):
        return a + b

    def ticks_diff(a, b):
        return a - b

    def ticks_ms():
        return int(time.monotonic() * 1000)


# Manager states (PROTOCOL.md §10.4).
STATE_IDLE = const(0)
STATE_STARTED = const(1)
STATE_CRED_RECV = const(2)
STATE_FAIL = const(3)
STATE_SUCCESS = const(4)
STATE_STOPPING = const(5)

# Events, delivered to every listener as ``listener(event, data)``.
EVENT_START = const(1)  # data None
EVENT_CRED_RECV = const(2)  # data: the SSID (bytes); the passphrase is never handed out
EVENT_CRED_FAIL = const(3)  # data: pbenums.AuthError or pbenums.NetworkNotFound
EVENT_CRED_SUCCESS = const(4)  # data: the station's IPv4 address (str)
EVENT_END = const(5)  # data None
EVENT_SESSIONS_CLOSED = const(6)  # data: failed sessions so far; handshakes fail until unlock()
# Security session events arrive as SECURITY_EVENT_BASE + security.EVENT_*, data None.
SECURITY_EVENT_BASE = const(10)
EVENT_SESSION_SETUP_OK = const(11)
EVENT_SESSION_INVALID_PARAMS = const(12)
EVENT_SESSION_CREDENTIALS_MISMATCH = const(13)

# Built-in endpoints in BLE characteristic order (0xFF4F ...); custom ones follow.
ENDPOINTS = ("prov-ctrl", "prov-scan", "prov-session", "prov-config", "proto-ver")

# What GetStatus reports.
_WIFI_CONNECTING = const(0)
_WIFI_ATTEMPT_FAILED = const(1)
_WIFI_CONNECTED = const(2)
_WIFI_FAILED = const(3)

_CONNECT_DELAY_MS = const(1000)  # lets the Apply answer out before the radio changes channel
# The next session's key pair / SRP b and B are made once clients have been quiet this long,
# so no handshake waits for them (making them blocks the loop for a moment).
_PREPARE_IDLE_MS = const(1000)
_AUTOSTOP_TIMEOUT_MS = const(30000)  # stop this long after got-IP even if nobody asked


class _Timer:
    """A deadline armed without a clock: the first ``due(now)`` after ``arm`` fixes it."""

    def __init__(self):
        self._delay = None
        self._at = None

    def arm(self, delay_ms):
        self._delay = delay_ms
        self._at = None

    def cancel(self):
        self._delay = None

    def armed(self):
        return self._delay is not None

    def due(self, now):
        if self._delay is None:
            return False
        if self._at is None:
            self._at = ticks_add(now, self._delay)
        if ticks_diff(now, self._at) < 0:
            return False
        self._delay = None
        return True


def service_name(prefix, mac):
    """``prefix`` + the last 3 bytes of the station MAC in upper-case hex (``PROV_261FCC``)."""
    return "%s%02X%02X%02X" % (prefix, mac[3], mac[4], mac[5])


class ProvisioningManager:
    """One provisioning service: ``start()``, ``tick(now_ms)`` until ``done``, or ``stop()``.

    ``config`` is a dict from ``wifiprov.config.load``; ``wifi`` a ``WifiAdapter``; ``store``
    an ``NvsStore`` or ``file_store.FileStore``; ``log`` an object with ``info(text)`` and ``warn(text)``
    (e.g. ``wifiprov.log.Logger("wifi_prov_mgr")``) or None.
    """

    def __init__(self, config, wifi, store, log=None):
        self.config = config
        self._wifi = wifi
        self._store = store
        self._log = log
        self._listeners = []
        self._custom = []
        self._scan = None
        self.state = STATE_IDLE
        self.done = False
        self.protocomm = None
        self.service_name = config["service_name"] or service_name(config["service_prefix"], wifi.sta_mac())
        # Failed sessions count across provisioning runs until a reboot or unlock().
        self._limiter = AttemptLimiter(
            config["auth_free_failures"],
            config["auth_max_failures"],
            config["auth_backoff_ms"],
            config["auth_backoff_max_ms"],
        )
        self._backoff_timer = _Timer()
        self._idle_timer = _Timer()
        self._requests_seen = -1
        self._handshakes = HandshakeBudget(config["handshake_burst"])
        self._refill_timer = _Timer()
        self._rationing = False  # a refusal was logged since the last refill
        self._new_run()

    def _new_run(self):
        self._candidate = None
        self._credentials = None
        self._wifi_state = _WIFI_CONNECTING
        self._reason = _AUTH_ERROR
        self._failures = 0
        self._attempting = False
        self._connected = None
        self._connect_timer = _Timer()
        self._stop_timer = _Timer()
        self._autostop_timer = _Timer()

    # ---- application API

    def add_listener(self, listener):
        """Call ``listener(event, data)`` for every event (EVENT_* constants of this module)."""
        self._listeners.append(listener)

    def add_endpoint(self, name, handler):
        """Serve ``handler(session_id, data) -> bytes`` at ``name`` (custom endpoint; before ``start``)."""
        if self.state != STATE_IDLE:
            raise ValueError("add endpoints before start()")
        if name in ENDPOINTS or name in self.endpoint_names():
            raise ValueError("endpoint exists: " + name)
        self._custom.append((name, handler))

    def endpoint_names(self):
        """All endpoint names in BLE characteristic order: the built-in ones, then custom ones."""
        return list(ENDPOINTS) + [name for name, _ in self._custom]

    def prepare(self):
        """Build the security scheme, protocomm and endpoints, so a transport can be made over ``protocomm``."""
        if self.state != STATE_IDLE:
            raise ValueError("provisioning already running")
        if self.protocomm is not None:
            return
        security = self._make_security()
        security.on_event = self._on_security_event
        security.admit = self._admit_handshake
        pc = Protocomm(security, self._log.warn if self._log else None)
        pc.gate = self.accepting_sessions
        app_info = [(e["label"], e["ver"], e["cap"]) for e in self.config["app_info"]]
        has_pop = getattr(security, "has_pop", True)
        from wifiprov import version_info

        pc.set_version_endpoint("proto-ver", version_info.render(security.version, has_pop, app_info))
        version_info = None
        release("version_info")  # rendered once: its code is not needed again
        pc.set_security_endpoint("prov-session")
        self._scan = ScanEndpoint(self._wifi, self.config["scan_max_entries"], self._log.warn if self._log else None)
        pc.add_endpoint("prov-ctrl", CtrlEndpoint(self).handle)
        pc.add_endpoint("prov-scan", self._scan.handle)
        pc.add_endpoint("prov-config", ConfigEndpoint(self).handle)
        for name, handler in self._custom:
            pc.add_endpoint(name, handler)
        self._wifi.sta_start()
        prepare = getattr(security, "prepare", None)
        if prepare is not None:
            prepare()
        self.protocomm = pc

    def start(self):
        """Start provisioning (``prepare()`` first if needed); call once the transport is serving.

        Logs the service-name line clients wait for and emits EVENT_START.
        """
        self.prepare()
        self._new_run()
        self.done = False
        self.state = STATE_STARTED
        self._info("Provisioning started with service name : %s " % self.service_name)
        self._emit(EVENT_START, None)

    def tick(self, now_ms):
        """Advance scans, connection attempts and the auto-stop timers to ``now_ms`` (ticks_ms)."""
        if self.state == STATE_IDLE:
            return
        if self._backoff_timer.due(now_ms):
            self._info("secure sessions accepted again")
        if self._refill_timer.due(now_ms):
            self._rationing = False
            if self._handshakes.refill():
                self._refill_timer.arm(self.config["handshake_refill_ms"])
        self._scan.tick()
        self._prepare_when_idle(now_ms)
        if self.state == STATE_CRED_RECV:
            self._drive_attempt(now_ms)
        stop = self._stop_timer.due(now_ms)
        if self._autostop_timer.due(now_ms) or stop:
            self.stop()

    async def wait(self, period_ms=100):
        """Tick until provisioning has ended (for an asyncio application)."""
        import asyncio

        while not self.done:
            try:
                self.tick(ticks_ms())
            except MemoryError:  # e.g. a scan's results: the next tick tries again
                self._warn("out of memory in tick")
            await asyncio.sleep(period_ms / 1000)

    def stop(self):
        """End provisioning: endpoints removed, session closed, SoftAP off, EVENT_END.

        ``protocomm`` becomes None so the security scheme's memory can go once the
        transport (which the caller stops on EVENT_END) lets go of it too.
        """
        if self.state in (STATE_IDLE, STATE_STOPPING):
            return
        self.state = STATE_STOPPING
        pc = self.protocomm
        for name in self.endpoint_names():
            pc.remove_endpoint(name)
        if pc.session_id is not None:
            pc.close_session(pc.session_id)
        if self._attempting or self._connect_timer.armed():
            self._wifi.disconnect()
        self._wifi.ap_stop()
        self.protocomm = None
        self._scan = None
        self._new_run()
        self.state = STATE_IDLE
        self.done = True
        self._info("Provisioning stopped")
        self._emit(EVENT_END, None)

    def accepting_sessions(self):
        """False during a back-off after failed sessions and, past the limit, until ``unlock()``."""
        return not (self._limiter.locked or self._backoff_timer.armed())

    def unlock(self):
        """Forget the failed sessions and accept handshakes again (the application's button)."""
        if self._limiter.locked or self._limiter.failures:
            self._info("failed sessions forgotten: secure sessions accepted again")
        self._limiter.reset()
        self._backoff_timer.cancel()

    def scan(self):
        """Scan now (blocking) for a front door without ``prov-scan`` (Improv): ``(ssid, bssid, channel,
        rssi, auth)`` tuples, strongest first, at most ``scan_max_entries``; empty if the driver refused.

        The results are kept, as a ``prov-scan`` scan's are, for the connected AP's details.
        """
        if self._scan is None:
            return []
        self._scan.scan_now()
        return self._scan.results

    def is_provisioned(self):
        """True if credentials that once connected are stored."""
        return self._store.load() is not None

    def reset(self):
        """Erase the stored credentials (the next boot provisions again)."""
        self._store.erase()

    # ---- used by the endpoint handlers

    def set_config(self, ssid, passphrase):
        """Hold validated credentials until ApplyConfig (a new SetConfig replaces them)."""
        self._candidate = (ssid, passphrase)

    def reject_config(self, reason, what):
        """A SetConfig failed validation: drop the candidate and, unless an attempt is under
        way or succeeded, make GetStatus answer ConnectionFailed (iOS polls for ever otherwise)."""
        self._candidate = None
        self._warn("rejected Wi-Fi credentials: " + what)
        if self.state in (STATE_STARTED, STATE_FAIL):
            self._wifi_state = _WIFI_FAILED
            self._reason = reason

    def apply_config(self):
        """ApplyConfig: start trying the candidate credentials; returns the ``Status``."""
        if self.state not in (STATE_STARTED, STATE_FAIL):
            self._warn("ApplyConfig refused: credentials are being tried or provisioning ended")
            return _INTERNAL_ERROR
        if self._candidate is None:
            self._warn("ApplyConfig refused: no valid SetConfig before it")
            self._wifi_state = _WIFI_FAILED
            return _INTERNAL_ERROR
        self._credentials = self._candidate
        self._candidate = None
        self.state = STATE_CRED_RECV
        self._wifi_state = _WIFI_CONNECTING
        self._failures = 0
        self._connect_timer.arm(_CONNECT_DELAY_MS)
        self._emit(EVENT_CRED_RECV, self._credentials[0])
        return _SUCCESS

    def wifi_status(self):
        """The ``RespGetStatus`` fields for the current Wi-Fi state (a Connected answer schedules the stop)."""
        state = self._wifi_state
        if state == _WIFI_CONNECTED:
            if self.config["auto_stop"] and not self._stop_timer.armed():
                self._stop_timer.arm(self.config["auto_stop_delay_ms"])
            return {"sta_state": _CONNECTED, "connected": self._connected}
        if state == _WIFI_FAILED:
            return {"sta_state": _CONNECTION_FAILED, "fail_reason": self._reason}
        if state == _WIFI_ATTEMPT_FAILED:
            remaining = self._attempts() - self._failures
            return {"sta_state": _CONNECTING, "attempt_failed": {"attempts_remaining": remaining}}
        return {"sta_state": _CONNECTING}

    def ctrl_reset(self):
        """prov-ctrl Reset: allowed only after a final failure (state FAIL); back to STARTED."""
        if self.state != STATE_FAIL:
            return False
        self._credentials = None
        self.state = STATE_STARTED
        return True

    def ctrl_reprov(self):
        """prov-ctrl Reprov: allowed only with auto-stop off; drops the station, back to STARTED."""
        if self.config["auto_stop"] or self.state in (STATE_IDLE, STATE_STOPPING):
            return False
        self._connect_timer.cancel()
        self._attempting = False
        self._credentials = None
        self._wifi.disconnect()
        self.state = STATE_STARTED
        self._emit(EVENT_START, None)
        return True

    # ---- internals

    def _attempts(self):
        return max(1, self.config["wifi_conn_attempts"])

    def _make_security(self):
        level = self.config["security"]
        if level == 0:
            from wifiprov.security0 import Security0

            return Security0()
        if level == 1:
            from wifiprov.security1 import Security1

            pop = self.config["pop"]
            return Security1(pop.encode() if pop else None)
        from wifiprov.security2 import Security2

        if self.config["sec2_salt"] is not None:
            salt = unhexlify(self.config["sec2_salt"])
            verifier = unhexlify(self.config["sec2_verifier"])
        else:
            from wifiprov import srp_verifier

            self._info("security 2 dev mode: deriving a verifier from sec2_password")
            salt, verifier = srp_verifier.new_pair(self.config["sec2_username"], self.config["sec2_password"])
        return Security2(salt, verifier, table_width=self.config["sec2_table_width"])

    def _drive_attempt(self, now):
        if self._connect_timer.armed():
            if self._connect_timer.due(now):
                self._begin_attempt(now)
            return
        if not self._attempting:
            return
        outcome, status = self._wifi.poll(now)
        if outcome == wifi_adapter.ATTEMPT_CONNECTING:
            return
        self._attempting = False
        if outcome == wifi_adapter.ATTEMPT_CONNECTED:
            self._succeed()
        else:
            self._attempt_failed(status, now)

    def _begin_attempt(self, now):
        ssid, passphrase = self._credentials
        self._wifi.connect(ssid, passphrase, now)
        self._attempting = True

    def _attempt_failed(self, status, now):
        self._failures += 1
        self._reason = wifi_adapter.fail_reason(status, self._reason)
        attempts = self._attempts()
        self._warn("Wi-Fi attempt %d of %d failed: %s" % (self._failures, attempts, wifi_adapter.describe(status)))
        if self._failures < attempts:
            self._wifi_state = _WIFI_ATTEMPT_FAILED
            self._begin_attempt(now)
            return
        self._wifi_state = _WIFI_FAILED
        self._wifi.disconnect()
        self.state = STATE_STARTED if self.config["reset_on_failure"] else STATE_FAIL
        self._emit(EVENT_CRED_FAIL, self._reason)

    def _succeed(self):
        ssid, passphrase = self._credentials
        self._wifi.stay_connected()
        ip = self._wifi.ip()
        self._connected = self._connected_state(ssid, ip)
        self._wifi_state = _WIFI_CONNECTED
        self.state = STATE_SUCCESS
        try:
            self._store.save(ssid, passphrase)
        except OSError as exc:
            self._warn("could not store the credentials: %r" % (exc,))
        if self.config["auto_stop"]:
            self._autostop_timer.arm(_AUTOSTOP_TIMEOUT_MS)
        self._emit(EVENT_CRED_SUCCESS, ip)

    def _connected_state(self, ssid, ip):
        """``WifiConnectedState`` of the joined AP: MicroPython has no AP-info call, so the
        BSSID and auth mode come from the scan results (a fresh scan if the AP is not in them)."""
        try:
            channel = self._wifi.channel()
        except (OSError, ValueError):
            channel = None
        entry = self._scan.find(ssid, channel)
        if entry is None:
            try:
                entry = find_ap(self._wifi.scan(), ssid, channel)
            except OSError:
                entry = None
        state = {"ip4_addr": ip, "ssid": ssid, "channel": channel or 0}
        if entry is not None:
            state["bssid"] = entry[1]
            state["auth_mode"] = entry[4]
            state["channel"] = channel or entry[2]
        return state

    def _prepare_when_idle(self, now):
        pc = self.protocomm
        if pc is None:
            return
        if pc.requests != self._requests_seen:
            self._requests_seen = pc.requests
            self._idle_timer.arm(_PREPARE_IDLE_MS)
        elif self._idle_timer.due(now):
            needs = getattr(pc.security, "needs_prepare", None)
            if needs is not None and needs():
                pc.security.prepare()

    def _admit_handshake(self):
        """Whether a handshake may start now; unfinished ones are rationed (``handshake_burst``)."""
        if not self._handshakes.take():
            if not self._rationing:  # once per refill period, however hard a client floods
                self._rationing = True
                self._warn("%d handshakes left unfinished: new ones refused, one more every %d ms"
                           % (self.config["handshake_burst"], self.config["handshake_refill_ms"]))
            return False
        if not self._refill_timer.armed():
            self._refill_timer.arm(self.config["handshake_refill_ms"])
        return True

    def _on_security_event(self, event):
        self._emit(SECURITY_EVENT_BASE + event, None)
        # A handshake that reached its proof is not abandoned: a wrong proof is the attempt
        # limiter's to count, so either way its start is given back to the flood budget.
        if event == EVENT_SETUP_OK:
            self._limiter.succeeded()
            self._handshakes.give_back()
        elif event == EVENT_CREDENTIALS_MISMATCH:
            self._handshakes.give_back()
            self._session_failed()

    def _session_failed(self):
        backoff = self._limiter.failed()
        failures = self._limiter.failures
        if backoff == LOCKED:
            self._warn("%d failed sessions: provisioning closed until reboot or unlock" % failures)
            self._emit(EVENT_SESSIONS_CLOSED, failures)
        elif backoff:
            self._backoff_timer.arm(backoff)
            self._warn("%d failed sessions: secure sessions refused for %d ms" % (failures, backoff))
        else:
            self._warn("%d failed session(s)" % failures)

    def _emit(self, event, data):
        for listener in self._listeners:
            try:
                listener(event, data)
            except Exception as exc:  # a listener bug must not fail the request that triggered it
                self._warn("event listener failed: %r" % (exc,))

    def _info(self, text):
        if self._log is not None:
            self._log.info(text)

    def _warn(self, text):
        if self._log is not None:
            self._log.warn(text)
