"""One provisioning run over Improv serial: state, device info, optional scan, Wi-Fi settings, the redirect URL."""

from wifiprov_host.console import printable
from wifiprov_host.errors import NetworkNotInScan, UsageError, WifiFailed, WifiTimeout
from wifiprov_host.flow import MAX_PASSPHRASE_BYTES, MAX_SSID_BYTES, encode
from wifiprov_host.improv_serial import CMD_DEVICE_INFO, CMD_WIFI_SETTINGS, STATES


class ImprovRun:
    """Drives an :class:`ImprovSerialLink` through one run with the CLI's options (``RunOptions``)."""

    def __init__(self, options, link, reporter, prompter):
        self.opts = options
        self.link = link
        self.report = reporter
        self.prompter = prompter

    def execute(self):
        """Run to the end; raises a :mod:`wifiprov_host.errors` / transport error on failure."""
        state = self.link.current_state()
        name = STATES.get(state, "state %d" % state)
        self.report.step("state", "Improv state: %s" % name, state=name)
        info = self.link.rpc(CMD_DEVICE_INFO) or []
        fields = dict(zip(("firmware", "version", "chip", "name"), info))
        self.report.step("device_info", "Device: %s" % printable(" ".join(info)), **fields)
        if state == 4:
            url = self.link.result(2, 1.0) or []
            self.report.step("provisioned", "==== The device is provisioned already ====", url=url[0] if url else None)
            return
        ssid, secured = self._choose_network()
        passphrase = self.opts.passphrase
        if passphrase is None:
            passphrase = "" if secured is False else self.prompter.secret(
                "Enter passphrase for %s : " % printable(ssid), "--passphrase")
        retries = list(self.opts.retry_passphrases)
        while True:
            try:
                url = self._provision(encode(ssid, self.opts.encoding), encode(passphrase, self.opts.encoding))
            except WifiFailed as failed:
                self.report.step("wifi_failed", "---- %s ----" % failed, reason=failed.reason)
                if not retries:
                    raise
                passphrase = retries.pop(0)
                continue
            self.report.step("connected", "==== Provisioning was successful ====" +
                             ("\nNext: %s" % printable(url) if url else ""), url=url)
            return

    def _choose_network(self):
        """``(ssid, secured)``; ``secured`` is None when no scan says."""
        opts = self.opts
        if opts.ssid and not (opts.scan or opts.pick_strongest):
            return opts.ssid, None
        while True:
            networks = self.link.scan()
            lines = ["==== Wi-Fi scan results ====", "{0: >4} {1: <33} {2: >5} {3}".format("S.N.", "SSID", "RSSI", "SECURED")]
            for number, (ssid, rssi, secured) in enumerate(networks, 1):
                lines.append("[{0: >2}] {1: <33} {2: >5} {3}".format(number, printable(ssid), rssi,
                                                                     "yes" if secured else "no"))
            self.report.step("scan", "\n".join(lines), networks=[{"ssid": s, "rssi": r, "secured": p}
                                                                  for s, r, p in networks])
            if opts.ssid:
                matches = [n for n in networks if n[0] == opts.ssid]
                if not matches:
                    raise NetworkNotInScan("network %r is not among the %d networks the device found"
                                           % (opts.ssid, len(networks)))
                chosen = matches[0]
            elif not networks:
                raise NetworkNotInScan("the device found no networks")
            elif opts.pick_strongest:
                chosen = max(networks, key=lambda n: n[1])
            else:
                number = self.prompter.choose(len(networks))
                if number == 0:
                    continue
                chosen = networks[number - 1]
            self.report.step("select", "Selected %s (%d dBm)" % (printable(chosen[0]), chosen[1]), ssid=chosen[0])
            return chosen[0], chosen[2]

    def _provision(self, ssid, passphrase):
        if not 0 < len(ssid) <= MAX_SSID_BYTES:
            raise UsageError("SSID is %d bytes; the device accepts 1..%d" % (len(ssid), MAX_SSID_BYTES))
        if len(passphrase) > MAX_PASSPHRASE_BYTES:
            raise UsageError("passphrase is %d bytes; the device accepts at most %d" % (len(passphrase),
                                                                                        MAX_PASSPHRASE_BYTES))
        data = bytes((len(ssid),)) + ssid + bytes((len(passphrase),)) + passphrase
        self.report.step("wifi_settings", "Sending Wi-Fi settings for %s" % printable(ssid),
                         ssid=ssid.decode("utf-8", "replace"))
        found = self.link.rpc(CMD_WIFI_SETTINGS, data, self.opts.timeout or 1e9)
        if found is None:
            raise WifiTimeout("no answer from the device within %g s" % self.opts.timeout)
        return found[0] if found and found[0] else None
