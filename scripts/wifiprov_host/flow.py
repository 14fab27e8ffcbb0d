"""One provisioning run in esp_prov's order (PROTOCOL.md §2), plus automatic security
selection, non-interactive network choice and new credentials after a failed attempt."""

import os
import time
from dataclasses import dataclass, field
from typing import List, Optional

from wifiprov_host.client import ProvClient, auth_name
from wifiprov_host.console import printable
from wifiprov_host.errors import NetworkNotInScan, StatusError, UnsupportedByDevice, UsageError, WifiFailed
from wifiprov_host.security import Security0, Security1, Security2

MAX_SSID_BYTES = 32
MAX_PASSPHRASE_BYTES = 63


def encode(text, encoding):
    """The bytes sent for ``text`` (``UsageError`` if ``encoding`` cannot hold it)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise UsageError("%r cannot be sent as %s (try --encoding utf-8)" % (text, encoding)) from exc


@dataclass
class RunOptions:
    """What a run needs; field names follow esp_prov's flags."""

    sec_ver: Optional[int] = None
    pop: str = ""
    sec2_username: str = ""
    sec2_pwd: str = ""
    proto_ver: str = ""
    ssid: str = ""
    passphrase: Optional[str] = None
    retry_passphrases: List[str] = field(default_factory=list)
    custom_data: str = ""
    reset: bool = False
    reprov: bool = False
    scan: bool = False
    pick_strongest: bool = False
    encoding: str = "utf-8"
    poll_interval: float = 5.0
    failure_polls: int = 3
    timeout: Optional[float] = 120.0


class Run:
    """Drives :class:`ProvClient` through one run, reporting every step."""

    def __init__(self, options, transport, reporter, prompter, random_bytes=os.urandom,
                 sleep=time.sleep, clock=time.monotonic):
        self.opts = options
        self.report = reporter
        self.prompter = prompter
        self.random_bytes = random_bytes
        self.sleep = sleep
        self.clock = clock
        self.client = ProvClient(transport, trace=reporter.exchange)

    def _text(self, text):
        return encode(text, self.opts.encoding)

    def execute(self):
        """Run to the end; raises a :mod:`wifiprov_host.errors` / transport error on failure."""
        opts, client = self.opts, self.client
        security = self._choose_security()
        if opts.proto_ver:
            info = client.probe(opts.proto_ver)
            if not info.version_matches(opts.proto_ver):
                raise UnsupportedByDevice("device protocol version %r does not match --proto_ver %r"
                                          % (info.prov_version or info.text, opts.proto_ver))
            self.report.step("version", "Protocol version %s verified" % opts.proto_ver, proto_ver=opts.proto_ver)
        client.establish_session(security)
        self.report.step("session", "==== Session established (security %d) ====" % security.version,
                         sec_ver=security.version)
        if opts.reset or opts.reprov:
            self._control()
            return
        if opts.custom_data:
            answer = client.custom_data(self._text(opts.custom_data))
            self.report.step("custom_data", "Custom data answer: %r" % answer, response_hex=answer.hex(),
                             response_text=answer.decode("latin-1"))
        ssid, access_point = self._choose_network()
        self._provision(ssid, access_point)

    def _choose_security(self):
        opts, client = self.opts, self.client
        sec_ver = opts.sec_ver
        if sec_ver is None:
            info = client.probe("none")
            sec_ver = info.security_scheme()
            if sec_ver is None:
                raise UnsupportedByDevice("proto-ver answer %r has no capabilities; pass --sec_ver" % info.text)
            self.report.step("security", "Security scheme %d (from the device's proto-ver)" % sec_ver,
                             sec_ver=sec_ver, source="proto-ver", device=info.as_dict())
        else:
            self.report.step("security", "Security scheme %d" % sec_ver, sec_ver=sec_ver, source="--sec_ver")
        if sec_ver == 0:
            return Security0()
        if sec_ver == 1:
            pop = opts.pop
            info = client.probe("no_pop")
            if info.has("no_pop"):
                if pop:
                    self.report.warn("the device has no PoP; --pop is ignored")
                pop = ""
            elif not pop:
                pop = self.prompter.secret("Proof of Possession required: ", "--pop")
            return Security1(self._text(pop), random_bytes=self.random_bytes)
        if sec_ver == 2:
            info = client.probe("---")
            username = opts.sec2_username or self.prompter.text(
                "Security Scheme 2 - SRP6a Username required: ", "--sec2_username")
            password = opts.sec2_pwd or self.prompter.secret(
                "Security Scheme 2 - SRP6a Password required: ", "--sec2_pwd")
            self.report.step("sec_patch_ver", "Security 2 patch version %d" % info.sec_patch_ver,
                             sec_patch_ver=info.sec_patch_ver)
            return Security2(username.encode("utf-8"), password.encode("utf-8"), info.sec_patch_ver,
                             random_bytes=self.random_bytes)
        raise UsageError("security scheme must be 0, 1 or 2, not %r" % sec_ver)

    def _control(self):
        if self.opts.reset:
            command, status = "CtrlReset", self.client.ctrl_reset()
        else:
            command, status = "CtrlReprov", self.client.ctrl_reprov()
        self.report.step(command.lower(), "%s: %s" % (command, status), status=status)
        if status != "Success":
            hint = ("Reset is only accepted after a failed Wi-Fi attempt" if self.opts.reset
                    else "Reprov is only accepted if the device disabled auto-stop")
            raise StatusError(command, status, hint)

    def _choose_network(self):
        opts, client = self.opts, self.client
        if opts.ssid and not (opts.scan or opts.pick_strongest):
            return self._text(opts.ssid), None
        if not client.probe("wifi_scan").has("wifi_scan"):
            raise UnsupportedByDevice("the device cannot scan for networks; pass --ssid and --passphrase")
        while True:
            access_points = client.scan(sleep=self.sleep)
            self._report_scan(access_points)
            if opts.ssid:
                wanted = self._text(opts.ssid)
                matches = [ap for ap in access_points if ap.ssid == wanted]
                if not matches:
                    raise NetworkNotInScan("network %r is not among the %d access points the device found"
                                           % (opts.ssid, len(access_points)))
                chosen, why = max(matches, key=lambda ap: ap.rssi), "--ssid"
            elif not access_points:
                raise NetworkNotInScan("the device found no access points")
            elif opts.pick_strongest:
                chosen, why = max(access_points, key=lambda ap: ap.rssi), "strongest"
            else:
                number = self.prompter.choose(len(access_points))
                if number == 0:
                    continue
                chosen, why = access_points[number - 1], "user"
            self.report.step("select", "Selected %s (%s, %d dBm)" % (chosen.ssid_text, auth_name(chosen.auth), chosen.rssi),
                             reason=why, access_point=chosen.as_dict())
            return chosen.ssid, chosen

    def _report_scan(self, access_points):
        lines = ["==== Wi-Fi scan results ====",
                 "{0: >4} {1: <33} {2: <17} {3: >4} {4: >5} {5: <16}".format("S.N.", "SSID", "BSSID", "CHN", "RSSI", "AUTH")]
        for number, ap in enumerate(access_points, 1):
            lines.append("[{0: >2}] {1: <33} {2: <17} {3: >4} {4: >5} {5: <16}".format(
                number, ap.ssid_text, ap.bssid_text, ap.channel, ap.rssi, auth_name(ap.auth)))
        self.report.step("scan", "\n".join(lines), access_points=[ap.as_dict() for ap in access_points])

    def _provision(self, ssid, access_point):
        opts = self.opts
        passphrase = opts.passphrase
        if passphrase is None:
            if access_point is not None and access_point.auth == 0:
                passphrase = ""
            else:
                passphrase = self.prompter.secret("Enter passphrase for %s : " % printable(ssid),
                                                  "--passphrase")
        retries = list(opts.retry_passphrases)
        first = True
        while True:
            self._send_credentials(ssid, self._text(passphrase), first)
            try:
                status = self.client.wait_connected(opts.poll_interval, opts.failure_polls, opts.timeout,
                                                    self._report_status, self.sleep, self.clock)
            except WifiFailed as failure:
                self.report.step("wifi_failed", "---- %s ----" % failure, reason=failure.reason)
                passphrase = self._next_passphrase(retries, ssid, failure)
                if passphrase is None:
                    raise
                first = False
                continue
            self.report.step("connected", "==== Provisioning was successful ====", **(status.connected or {}))
            return

    def _next_passphrase(self, retries, ssid, failure):
        if retries:
            return retries.pop(0)
        if self.prompter.interactive and failure.reason == "AuthError":
            answer = self.prompter.secret("New passphrase for %s (empty to give up): "
                                          % printable(ssid), "--retry-passphrase")
            return answer or None
        return None

    def _send_credentials(self, ssid, passphrase, first):
        if len(ssid) > MAX_SSID_BYTES:
            raise UsageError("SSID is %d bytes; the device accepts at most %d" % (len(ssid), MAX_SSID_BYTES))
        if len(passphrase) > MAX_PASSPHRASE_BYTES:
            raise UsageError("passphrase is %d bytes; the device accepts at most %d (a 64-digit hex PSK is refused)"
                             % (len(passphrase), MAX_PASSPHRASE_BYTES))
        client = self.client
        status = client.set_config(ssid, passphrase)
        self.report.step("set_config", "SetConfig: %s" % status, status=status, ssid=ssid.decode("utf-8", "replace"))
        if status != "Success":
            raise StatusError("SetConfig", status)
        status = client.apply_config()
        if status != "Success" and not first:
            # The bare reference manager refuses a second Apply until prov-ctrl Reset.
            reset = client.ctrl_reset()
            self.report.step("ctrlreset", "CtrlReset: %s" % reset, status=reset)
            if reset != "Success":
                raise StatusError("ApplyConfig", status, "the device accepts no new credentials in this session")
            status = client.set_config(ssid, passphrase)
            self.report.step("set_config", "SetConfig: %s" % status, status=status,
                             ssid=ssid.decode("utf-8", "replace"))
            if status != "Success":
                raise StatusError("SetConfig", status)
            status = client.apply_config()
        self.report.step("apply_config", "ApplyConfig: %s" % status, status=status)
        if status != "Success":
            raise StatusError("ApplyConfig", status)

    def _report_status(self, status):
        text = "Wi-Fi state: %s" % status.state
        if status.attempts_remaining is not None:
            text += " (an attempt failed; attempts remaining: %d)" % status.attempts_remaining
        if status.state == "failed":
            text += " (%s)" % status.fail_reason
        if status.connected:
            text += " (IP %s)" % printable(status.connected["ip4_addr"])
        self.report.step("status", text, **status.as_dict())
