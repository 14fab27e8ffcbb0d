"""vectors/wifi_flow.json replayed byte for byte through the manager's protocomm.

Each flow's esp_prov sessions run against one simulated board (the vector's 5 access
points, its ``device_model`` settings, pinned device randomness): the client's bytes go in,
the device's bytes must come out identical. esp_prov waits 5 s before every GetStatus
poll, so the board's loop runs 5 s of ticks before each one. A second replay feeds the
plaintexts to a security-0 board, so a handler mismatch shows up as a readable protobuf
difference before any cipher is involved.
"""

import unittest

from devtest import FixedRandom, load_vectors, unhex
from fakes import Board, FakeNetwork, access_points_from_vector
from wifiprov import manager as mgr
from wifiprov import pbcodec, pbenums, pbmessages, rand, version_info

VECTORS = load_vectors("wifi_flow.json")
FLOWS = dict((flow["name"], flow) for flow in VECTORS["flows"])
POLL_INTERVAL_MS = 5000
# How long the access point takes to let the station in, per flow: the first flow's
# first GetStatus poll answers Connecting, the others are connected by the first poll.
CONNECT_MS = {"ble_sec1_scan_config_apply_status": 6000}


def _board(flow, security):
    model = flow["device_model"]
    aps = access_points_from_vector(
        VECTORS["access_points_radio_order"], connect_ms=CONNECT_MS.get(flow["name"], 2000)
    )
    board = Board(
        aps,
        security=security,
        pop=flow["pop"],
        transport="ble" if flow["transport"] == "ble" else "softap",
        wifi_conn_attempts=model["wifi_conn_attempts"],
        auto_stop=model["auto_stop"],
        scan_max_entries=model["scan_max_entries"],
        # The flows model the bare manager: no application-level reset on failure.
        reset_on_failure=False,
    )
    board.network.ip = VECTORS["connected_ip4_addr"]
    return board


def _is_get_status(exchange):
    if exchange["endpoint"] != "prov-config":
        return False
    return pbcodec.decode(pbmessages.WiFiConfigPayload, unhex(exchange["request_plain_hex"])).get("msg", 0) == 0


def _replay(test, board, flow, plaintext):
    pc = board.manager.protocomm
    for number, session in enumerate(flow["sessions"]):
        session_id = number + 1  # one BLE connection (or HTTP session) per esp_prov run
        pc.open_session(session_id)
        for step, exchange in enumerate(session["exchanges"]):
            label = "%s / %s / exchange %d (%s)" % (flow["name"], session["label"], step, exchange["endpoint"])
            if _is_get_status(exchange):
                board.run_for(POLL_INTERVAL_MS)
            else:
                board.tick()
            if plaintext:
                if exchange["endpoint"] == "prov-session":
                    continue
                if exchange["endpoint"] == "proto-ver":
                    request, want = unhex(exchange["request_wire_hex"]), version_info.render(0)
                else:
                    request, want = unhex(exchange["request_plain_hex"]), unhex(exchange["response_plain_hex"])
            else:
                request, want = unhex(exchange["request_wire_hex"]), unhex(exchange["response_wire_hex"])
            test.assertEqual(pc.handle(session_id, exchange["endpoint"], request), want, label)
        pc.close_session(session_id)


def _custom_data(session_id, data):
    return b"SUCCESS\x00"


class WifiFlowReplay(unittest.TestCase):
    def tearDown(self):
        rand.set_source(None)

    def _run(self, name, plaintext):
        flow = FLOWS[name]
        board = _board(flow, 0 if plaintext else 1)
        board.manager.add_endpoint("custom-data", _custom_data)
        if not plaintext:
            chunks = []
            for session in flow["sessions"]:
                chunks.append(unhex(session["device_private_key_hex"]))
                chunks.append(unhex(session["device_random_hex"]))
            chunks.append(bytes(range(32)))  # the key pair made while idle for a session that never comes
            rand.set_source(FixedRandom(*chunks))
        board.manager.start()
        if not plaintext:
            self.assertEqual(board.manager.protocomm.handle(99, "proto-ver", b"x"), flow["proto_ver_response"].encode())
        _replay(self, board, flow, plaintext)
        return board

    def _check_provisioned(self, board):
        self.assertEqual(board.store.load(), (b"MyHomeWiFiAP", b"mypassword"))
        self.assertFalse(board.manager.done)
        board.run_for(900)
        self.assertFalse(board.manager.done)
        board.run_for(200)  # auto-stop: the cleanup delay (1 s) after the Connected answer
        self.assertTrue(board.manager.done)
        self.assertEqual(board.events[-1], (mgr.EVENT_END, None))
        self.assertFalse(board.network.ap.active())
        self.assertTrue(board.network.sta.isconnected())

    def test_ble_scan_config_apply_status(self):
        for plaintext in (True, False):
            board = self._run("ble_sec1_scan_config_apply_status", plaintext)
            self._check_provisioned(board)

    def test_softap_custom_data_scan_config_apply_status(self):
        for plaintext in (True, False):
            board = self._run("softap_sec1_custom_data_scan_config_apply_status", plaintext)
            self._check_provisioned(board)

    def test_wrong_password_then_reset_then_retry(self):
        for plaintext in (True, False):
            board = self._run("ble_sec1_wrong_password_then_reset_then_retry", plaintext)
            self._check_provisioned(board)
            attempts = board.network.sta.connect_calls
            self.assertEqual(attempts, [(b"MyHomeWiFiAP", b"wrongpassword"), (b"MyHomeWiFiAP", b"mypassword")])
            kinds = [event for event, _ in board.events]
            self.assertEqual(kinds.count(mgr.EVENT_CRED_FAIL), 1)
            self.assertIn((mgr.EVENT_CRED_FAIL, pbenums.AuthError), board.events)

    def test_every_flow_is_replayed(self):
        self.assertEqual(
            sorted(FLOWS),
            sorted(
                [
                    "ble_sec1_scan_config_apply_status",
                    "softap_sec1_custom_data_scan_config_apply_status",
                    "ble_sec1_wrong_password_then_reset_then_retry",
                ]
            ),
        )

    def test_scan_reports_the_vector_order(self):
        board = _board(FLOWS["ble_sec1_scan_config_apply_status"], 0)
        board.manager.start()
        board.manager.protocomm.handle(1, "prov-scan", pbcodec.encode(
            pbmessages.WiFiScanPayload, {"msg": 0, "cmd_scan_start": {"blocking": True}}))
        reported = [(e[0], e[1], e[2], e[3], e[4]) for e in board.manager._scan.results]
        want = [
            (unhex(e["ssid_hex"]), unhex(e["bssid_hex"]), e["channel"], e["rssi"], e["auth_value"])
            for e in VECTORS["access_points_sorted_as_reported"]
        ]
        self.assertEqual(reported, want)

    def test_fake_network_is_the_vector_world(self):
        net = FakeNetwork(access_points_from_vector(VECTORS["access_points_radio_order"]))
        net.sta.active(True)
        self.assertEqual([ap[0] for ap in net.sta.scan()], [unhex(e["ssid_hex"]) for e in VECTORS["access_points_radio_order"]])


if __name__ == "__main__":
    unittest.main()
