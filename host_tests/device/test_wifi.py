"""WifiAdapter over the fake ESP32 ``network`` module: scans, polled attempts, status mapping, SoftAP."""

import unittest

from fakes import STAT_GOT_IP, STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD, FakeAccessPoint, FakeClock, FakeNetwork
from wifiprov import pbenums, wifi
from wifiprov.wifi import ATTEMPT_CONNECTED, ATTEMPT_CONNECTING, ATTEMPT_FAILED, WifiAdapter

HOME = FakeAccessPoint(b"Home", b"\x01\x02\x03\x04\x05\x06", 6, -50, 3, b"secret-pass", connect_ms=3000)


def _adapter(aps=(HOME,), old_status_order=False):
    net = FakeNetwork(aps, FakeClock(), old_status_order=old_status_order)
    return WifiAdapter(net), net


def _run(adapter, net, limit_ms=60000):
    """Poll every 100 ms until the attempt ends; returns (outcome, status, elapsed ms)."""
    start = net.clock.now
    while net.clock.now - start < limit_ms:
        outcome, status = adapter.poll(net.clock.advance(100))
        if outcome != ATTEMPT_CONNECTING:
            return outcome, status, net.clock.now - start
    raise AssertionError("attempt never ended")


class Mappings(unittest.TestCase):
    def test_failure_reasons_follow_the_reference(self):
        auth, not_found = pbenums.AuthError, pbenums.NetworkNotFound
        for status in (202, 15, 14, 204):
            self.assertEqual(wifi.fail_reason(status, not_found), auth, status)
        for status in (201, 210, 211, 212):
            self.assertEqual(wifi.fail_reason(status, auth), not_found, status)
        # Other codes (and an attempt that timed out) keep the previous value.
        for status in (200, 203, 2, 8, None):
            self.assertEqual(wifi.fail_reason(status, auth), auth, status)
            self.assertEqual(wifi.fail_reason(status, not_found), not_found, status)

    def test_auth_modes_above_7_never_reach_the_client(self):
        for value in range(8):
            self.assertEqual(wifi.auth_mode(value), value)
        expected = {8: 3, 9: 0, 10: 5, 11: 6, 12: 6, 13: 6, 14: 5, 15: 5, 16: 5, 17: 5, 255: 5, -1: 5}
        for value, proto in expected.items():
            self.assertEqual(wifi.auth_mode(value), proto, value)

    def test_describe_never_fails(self):
        self.assertEqual(wifi.describe(204), "handshake timeout")
        self.assertEqual(wifi.describe(15), "4-way handshake timeout")
        self.assertEqual(wifi.describe(77), "status 77")
        self.assertIn("no outcome", wifi.describe(None))


class Scan(unittest.TestCase):
    def test_entries_in_radio_order_with_cleaned_fields(self):
        aps = (
            FakeAccessPoint(b"Cafe\x00junk", b"\xaa" * 6, 1, -70, 9),
            FakeAccessPoint(b"", b"\xbb" * 6, 11, -40, 3),
            FakeAccessPoint(b"L" * 33, b"\xcc" * 6, 6, -60, 13),
            FakeAccessPoint(b"Gone", b"\xdd" * 6, 6, -30, 3, behaviour="absent"),
        )
        adapter, net = _adapter(aps)
        self.assertFalse(net.sta.active())
        found = adapter.scan()
        self.assertTrue(net.sta.active())  # scan() needs the station interface
        self.assertEqual(
            found,
            [(b"Cafe", b"\xaa" * 6, 1, -70, 0), (b"", b"\xbb" * 6, 11, -40, 3), (b"L" * 32, b"\xcc" * 6, 6, -60, 6)],
        )

    def test_driver_error_propagates(self):
        adapter, net = _adapter()
        net.scan_error = OSError("Wifi Internal Error")
        with self.assertRaises(OSError):
            adapter.scan()


class Attempts(unittest.TestCase):
    def test_right_password_connects(self):
        adapter, net = _adapter()
        adapter.connect(b"Home", b"secret-pass", net.clock.now)
        self.assertEqual(net.sta.config("reconnects"), 0)
        outcome, status, elapsed = _run(adapter, net)
        self.assertEqual((outcome, status), (ATTEMPT_CONNECTED, STAT_GOT_IP))
        self.assertEqual(elapsed, 3000)
        self.assertEqual(adapter.ip(), "192.168.1.42")
        self.assertEqual(adapter.channel(), 6)
        self.assertTrue(adapter.isconnected())
        adapter.stay_connected()
        self.assertEqual(net.sta.config("reconnects"), -1)

    def test_wrong_password_is_one_driver_try(self):
        for old in (False, True):
            adapter, net = _adapter(old_status_order=old)
            adapter.connect(b"Home", b"wrong-pass", net.clock.now)
            outcome, status, elapsed = _run(adapter, net)
            self.assertEqual((outcome, status, elapsed), (ATTEMPT_FAILED, STAT_WRONG_PASSWORD, 3000))
            net.clock.advance(20000)
            self.assertEqual(len(net.sta.connect_calls), 1)
            self.assertEqual(net.sta.status(), STAT_WRONG_PASSWORD)  # the driver did not retry

    def test_missing_network(self):
        adapter, net = _adapter()
        adapter.connect(b"Elsewhere", b"", net.clock.now)
        self.assertEqual(_run(adapter, net)[:2], (ATTEMPT_FAILED, STAT_NO_AP_FOUND))

    def test_handshake_timeout_code_is_reported_raw(self):
        ap = FakeAccessPoint(b"Home", b"\x01" * 6, 1, -50, 3, b"secret-pass", wrong_password_status=15)
        for old in (False, True):
            adapter, net = _adapter((ap,), old_status_order=old)
            adapter.connect(b"Home", b"nope", net.clock.now)
            self.assertEqual(_run(adapter, net)[:2], (ATTEMPT_FAILED, 15))

    def test_previous_failure_is_not_taken_for_the_new_attempt(self):
        # v1.23+ keeps reporting 202 after connect() until the new attempt's own event.
        adapter, net = _adapter()
        adapter.connect(b"Home", b"wrong-pass", net.clock.now)
        _run(adapter, net)
        adapter.connect(b"Home", b"secret-pass", net.clock.now)
        self.assertEqual(net.sta.status(), STAT_WRONG_PASSWORD)  # stale
        self.assertEqual(adapter.poll(net.clock.advance(100))[0], ATTEMPT_CONNECTING)
        outcome, status, elapsed = _run(adapter, net)
        self.assertEqual((outcome, status), (ATTEMPT_CONNECTED, STAT_GOT_IP))

    def test_same_failure_again_is_reported_after_settling(self):
        adapter, net = _adapter()
        adapter.connect(b"Home", b"wrong-pass", net.clock.now)
        _run(adapter, net)
        adapter.connect(b"Home", b"wrong-again", net.clock.now)
        outcome, status, elapsed = _run(adapter, net)
        self.assertEqual((outcome, status), (ATTEMPT_FAILED, STAT_WRONG_PASSWORD))
        self.assertEqual(elapsed, 5000)

    def test_silent_access_point_times_out(self):
        ap = FakeAccessPoint(b"Home", b"\x01" * 6, 1, -50, 3, b"x", behaviour="silent")
        adapter, net = _adapter((ap,))
        adapter.connect(b"Home", b"x", net.clock.now)
        outcome, status, elapsed = _run(adapter, net)
        self.assertEqual((outcome, status, elapsed), (ATTEMPT_FAILED, None, 30000))
        self.assertFalse(net.sta._requested)  # the adapter dropped the driver's attempt

    def test_refused_connect_fails_the_attempt(self):
        adapter, net = _adapter()

        def refuse(*args, **kwargs):
            raise OSError("Wifi Internal Error")

        net.sta.connect = refuse
        adapter.connect(b"Home", b"secret-pass", net.clock.now)
        self.assertEqual(adapter.poll(net.clock.advance(100)), (ATTEMPT_FAILED, None))

    def test_poll_without_attempt(self):
        adapter, net = _adapter()
        self.assertEqual(adapter.poll(0), (ATTEMPT_FAILED, None))

    def test_join_keeps_reconnecting(self):
        adapter, net = _adapter()
        adapter.join(b"Home", b"secret-pass")
        self.assertEqual(net.sta.config("reconnects"), -1)
        net.clock.advance(3000)
        self.assertTrue(adapter.isconnected())


class Interfaces(unittest.TestCase):
    def test_mac_and_soft_ap(self):
        adapter, net = _adapter()
        self.assertEqual(adapter.sta_mac(), b"\x24\x0a\xc4\x26\x1f\xcc")
        adapter.ap_start("PROV_261FCC")
        self.assertTrue(net.ap.active())
        self.assertEqual(net.ap.settings, {"ssid": "PROV_261FCC", "authmode": 0, "max_clients": 5})
        adapter.ap_stop()
        self.assertFalse(net.ap.active())
        adapter.ap_stop()
        adapter.ap_start("PROV_261FCC", "abcdefgh")
        self.assertEqual(net.ap.settings["key"], "abcdefgh")
        self.assertEqual(net.ap.settings["authmode"], 4)


if __name__ == "__main__":
    unittest.main()
