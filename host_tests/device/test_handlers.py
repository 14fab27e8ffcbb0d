"""The endpoint handlers on their own: prov-scan paging and limits, prov-config validation, prov-ctrl."""

import unittest

from devtest import unhex
from fakes import FakeAccessPoint, FakeClock, FakeNetwork
from wifiprov import pbcodec, pbenums, pbmessages
from wifiprov.config_handler import ConfigEndpoint
from wifiprov.ctrl_handler import CtrlEndpoint
from wifiprov.scan_handler import ScanEndpoint, find_ap
from wifiprov.wifi import WifiAdapter


def _ap(name, rssi, channel=1, auth=3, bssid=None):
    return FakeAccessPoint(name, bssid or (name + b"______")[:6], channel, rssi, auth)


def _scan_endpoint(aps, max_entries=16):
    net = FakeNetwork(aps, FakeClock())
    return ScanEndpoint(WifiAdapter(net), max_entries), net


def _scan(endpoint, message):
    return pbcodec.decode(pbmessages.WiFiScanPayload, endpoint.handle(1, pbcodec.encode(pbmessages.WiFiScanPayload, message)))


START = {"msg": pbenums.TypeCmdScanStart, "cmd_scan_start": {"blocking": True}}
STATUS = {"msg": pbenums.TypeCmdScanStatus}


def _page(start, count):
    return {"msg": pbenums.TypeCmdScanResult, "cmd_scan_result": {"start_index": start, "count": count}}


def _ssids(response):
    return [e.get("ssid", b"") for e in response["resp_scan_result"].get("entries", [])]


class Scan(unittest.TestCase):
    def setUp(self):
        aps = [_ap(b"c", -70), _ap(b"a", -40), _ap(b"d", -80), _ap(b"b", -55), _ap(b"e", -90)]
        self.endpoint, self.net = _scan_endpoint(aps)

    def test_exact_bytes_of_start_status_and_an_empty_page(self):
        self.assertEqual(self.endpoint.handle(1, unhex("520408012078")), unhex("08015a00"))
        self.assertEqual(self.endpoint.handle(1, unhex("0802")), unhex("08036a0408011005"))
        self.assertEqual(self.endpoint.handle(1, unhex("08047200")), unhex("08057a00"))

    def test_results_strongest_first_and_paged(self):
        _scan(self.endpoint, START)
        self.assertEqual(_ssids(_scan(self.endpoint, _page(0, 2))), [b"a", b"b"])
        self.assertEqual(_ssids(_scan(self.endpoint, _page(2, 3))), [b"c", b"d", b"e"])
        whole = _scan(self.endpoint, _page(0, 5))
        self.assertEqual(whole.get("status", 0), pbenums.Success)
        self.assertEqual(whole["msg"], pbenums.TypeRespScanResult)
        first = whole["resp_scan_result"]["entries"][0]
        self.assertEqual(first, {"ssid": b"a", "channel": 1, "rssi": -40, "bssid": b"a_____", "auth": 3})

    def test_page_beyond_the_results_is_an_error_with_what_exists(self):
        _scan(self.endpoint, START)
        answer = _scan(self.endpoint, _page(3, 4))
        self.assertEqual(answer["status"], pbenums.InternalError)
        self.assertEqual(_ssids(answer), [b"d", b"e"])
        answer = _scan(self.endpoint, _page(5, 1))
        self.assertEqual(answer["status"], pbenums.InternalError)
        self.assertEqual(answer["resp_scan_result"], {})
        answer = _scan(self.endpoint, _page(0, 0xFFFFFFFF))
        self.assertEqual((answer["status"], len(_ssids(answer))), (pbenums.InternalError, 5))

    def test_at_most_max_entries_and_the_strongest_of_them(self):
        aps = [_ap(b"n%02d" % i, -90 + i) for i in range(20)]
        endpoint, _ = _scan_endpoint(aps, max_entries=16)
        _scan(endpoint, START)
        status = _scan(endpoint, STATUS)["resp_scan_status"]
        self.assertEqual(status, {"scan_finished": True, "result_count": 16})
        names = _ssids(_scan(endpoint, _page(0, 16)))
        self.assertEqual(names, [b"n%02d" % i for i in range(19, 3, -1)])

    def test_equal_rssi_keeps_the_radio_order(self):
        aps = [_ap(b"x%d" % i, -60 + (i % 2)) for i in range(9)]
        endpoint, _ = _scan_endpoint(aps)
        _scan(endpoint, START)
        self.assertEqual(_ssids(_scan(endpoint, _page(0, 9))), [b"x1", b"x3", b"x5", b"x7", b"x0", b"x2", b"x4", b"x6", b"x8"])

    def test_hidden_network_and_exotic_auth_modes(self):
        endpoint, _ = _scan_endpoint([_ap(b"", -50, auth=9, bssid=b"\x00" * 6), _ap(b"w", -60, auth=13)])
        _scan(endpoint, START)
        entries = _scan(endpoint, _page(0, 2))["resp_scan_result"]["entries"]
        self.assertEqual(entries[0], {"channel": 1, "rssi": -50, "bssid": b"\x00" * 6})  # ssid empty, auth Open
        self.assertEqual(entries[1]["auth"], pbenums.WPA3_PSK)

    def test_non_blocking_start_scans_on_the_next_tick(self):
        answer = _scan(self.endpoint, {"msg": pbenums.TypeCmdScanStart, "cmd_scan_start": {}})
        self.assertEqual(answer.get("status", 0), pbenums.Success)
        self.assertEqual(_scan(self.endpoint, STATUS)["resp_scan_status"], {})  # not finished, 0 results
        self.assertEqual(self.net.sta.scans, 0)
        self.endpoint.tick()
        self.assertEqual(_scan(self.endpoint, STATUS)["resp_scan_status"], {"scan_finished": True, "result_count": 5})
        self.endpoint.tick()
        self.assertEqual(self.net.sta.scans, 1)

    def test_start_without_payload_and_status_with_empty_payload(self):
        # esp_prov sends ScanStatus without a submessage, the phone apps with an empty one.
        self.assertEqual(self.endpoint.handle(1, unhex("0800")), unhex("08015a00"))
        self.endpoint.tick()
        self.assertEqual(self.endpoint.handle(1, unhex("08026200")), unhex("08036a0408011005"))

    def test_new_scan_replaces_the_results(self):
        _scan(self.endpoint, START)
        self.net.aps = [_ap(b"only", -30)]
        _scan(self.endpoint, START)
        self.assertEqual(_ssids(_scan(self.endpoint, _page(0, 1))), [b"only"])

    def test_driver_failure_is_internal_error(self):
        _scan(self.endpoint, START)
        self.net.scan_error = OSError("Wifi Internal Error")
        answer = _scan(self.endpoint, START)
        self.assertEqual((answer["msg"], answer["status"]), (pbenums.TypeRespScanStart, pbenums.InternalError))
        self.assertEqual(_scan(self.endpoint, STATUS)["resp_scan_status"], {"scan_finished": True})

    def test_unknown_msg_and_garbage_raise(self):
        for msg in (1, 3, 5, 6, 100):
            with self.assertRaises(ValueError):
                self.endpoint.handle(1, pbcodec.encode(pbmessages.WiFiScanPayload, {"msg": msg}))
        with self.assertRaises(ValueError):
            self.endpoint.handle(1, b"\xff\xff")

    def test_find_prefers_the_channel_then_the_signal(self):
        entries = [(b"n", b"1", 1, -70, 3), (b"n", b"2", 6, -50, 3), (b"n", b"3", 6, -40, 6), (b"m", b"4", 1, -10, 3)]
        self.assertEqual(find_ap(entries, b"n")[1], b"3")
        self.assertEqual(find_ap(entries, b"n", 1)[1], b"1")
        self.assertEqual(find_ap(entries, b"n", 11)[1], b"3")
        self.assertIsNone(find_ap(entries, b"z"))


class ManagerStub:
    """What ConfigEndpoint / CtrlEndpoint call, recorded."""

    def __init__(self):
        self.calls = []
        self.allow = True

    def set_config(self, ssid, passphrase):
        self.calls.append(("set", ssid, passphrase))

    def reject_config(self, reason, what):
        self.calls.append(("reject", reason))

    def apply_config(self):
        self.calls.append(("apply",))
        return pbenums.Success if self.allow else pbenums.InternalError

    def wifi_status(self):
        return {"sta_state": pbenums.Connecting, "attempt_failed": {"attempts_remaining": 3}}

    def ctrl_reset(self):
        self.calls.append(("reset",))
        return self.allow

    def ctrl_reprov(self):
        self.calls.append(("reprov",))
        return self.allow


def _set_config(**fields):
    return pbcodec.encode(pbmessages.WiFiConfigPayload, {"msg": pbenums.TypeCmdSetConfig, "cmd_set_config": fields})


OK = unhex("08036a00")
INVALID = unhex("08036a020804")


class Config(unittest.TestCase):
    def setUp(self):
        self.manager = ManagerStub()
        self.endpoint = ConfigEndpoint(self.manager)

    def _set(self, **fields):
        return self.endpoint.handle(1, _set_config(**fields))

    def test_esp_prov_set_config_bytes(self):
        request = unhex("0802621a0a0c4d79486f6d65576946694150120a6d7970617373776f7264")
        self.assertEqual(self.endpoint.handle(1, request), OK)
        self.assertEqual(self.manager.calls, [("set", b"MyHomeWiFiAP", b"mypassword")])

    def test_length_limits(self):
        self.assertEqual(self._set(ssid=b"s" * 32, passphrase=b"p" * 63, bssid=b"b" * 6), OK)
        self.assertEqual(self._set(ssid=b"s" * 33), INVALID)
        self.assertEqual(self._set(ssid=b"s", passphrase=b"p" * 64), INVALID)
        self.assertEqual(self._set(ssid=b"s", bssid=b"b" * 5), INVALID)
        self.assertEqual(self._set(ssid=b"s", bssid=b"b" * 7), INVALID)
        self.assertEqual(
            self.manager.calls,
            [
                ("set", b"s" * 32, b"p" * 63),
                ("reject", pbenums.NetworkNotFound),
                ("reject", pbenums.AuthError),
                ("reject", pbenums.NetworkNotFound),
                ("reject", pbenums.NetworkNotFound),
            ],
        )

    def test_checks_in_the_reference_order(self):
        self._set(ssid=b"s" * 40, passphrase=b"p" * 70, bssid=b"b")
        self._set(ssid=b"s" * 40, passphrase=b"p" * 70)
        self.assertEqual(self.manager.calls, [("reject", pbenums.NetworkNotFound)] * 2)

    def test_c_strings_end_at_nul_and_empty_values_are_allowed(self):
        self.assertEqual(self._set(ssid=b"Net\x00work", passphrase=b"pass\x00word", channel=6), OK)
        self.assertEqual(self._set(), OK)  # open network, empty SSID: the reference accepts both
        self.assertEqual(self.endpoint.handle(1, unhex("0802")), OK)  # no submessage at all
        self.assertEqual(
            self.manager.calls, [("set", b"Net", b"pass"), ("set", b"", b""), ("set", b"", b"")]
        )

    def test_apply_and_status_with_or_without_payload(self):
        for request in (unhex("0804"), unhex("08047200")):
            self.assertEqual(self.endpoint.handle(1, request), unhex("08057a00"))
        self.manager.allow = False
        self.assertEqual(self.endpoint.handle(1, unhex("0804")), unhex("08057a020805"))
        for request in (b"", unhex("5200")):
            self.assertEqual(self.endpoint.handle(1, request), unhex("08015a0610016202" + "0803"))

    def test_unknown_msg_and_garbage_raise(self):
        for msg in (1, 3, 5, 6):
            with self.assertRaises(ValueError):
                self.endpoint.handle(1, pbcodec.encode(pbmessages.WiFiConfigPayload, {"msg": msg}))
        with self.assertRaises(ValueError):
            self.endpoint.handle(1, b"\x0a\x05ab")


class Ctrl(unittest.TestCase):
    def setUp(self):
        self.manager = ManagerStub()
        self.endpoint = CtrlEndpoint(self.manager)

    def test_reset_and_reprov_bytes(self):
        self.assertEqual(self.endpoint.handle(1, unhex("0801")), unhex("08026200"))
        self.assertEqual(self.endpoint.handle(1, unhex("08035a00")), unhex("08047200"))
        self.manager.allow = False
        self.assertEqual(self.endpoint.handle(1, unhex("0801")), unhex("080210056200"))
        self.assertEqual(self.endpoint.handle(1, unhex("0803")), unhex("080410057200"))
        self.assertEqual(self.manager.calls, [("reset",), ("reprov",), ("reset",), ("reprov",)])

    def test_reserved_and_unknown_msg_raise(self):
        for request in (b"", unhex("0800"), unhex("0802"), unhex("0804"), unhex("0805")):
            with self.assertRaises(ValueError):
                self.endpoint.handle(1, request)


if __name__ == "__main__":
    unittest.main()
