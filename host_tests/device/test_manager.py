"""The provisioning manager as a user's sessions see it: retries, failure reasons, new credentials
after a failure, what gets stored, prov-ctrl, custom endpoints and stopping (security 0)."""

import unittest

from fakes import Board, FakeAccessPoint
from wifiprov import manager as mgr
from wifiprov import pbcodec, pbenums, pbmessages, version_info

HOME = FakeAccessPoint(b"Home", b"\x10\x20\x30\x40\x50\x60", 6, -48, 3, b"right-pass", connect_ms=2000)
CAFE = FakeAccessPoint(b"Cafe", b"\x70\x71\x72\x73\x74\x75", 1, -70, 0, None, connect_ms=1500)
SLOW = FakeAccessPoint(b"Slow", b"\x01\x01\x01\x01\x01\x01", 11, -60, 3, b"pw-pw-pw", wrong_password_status=15)
REFUSES = FakeAccessPoint(b"Refuses", b"\x02\x02\x02\x02\x02\x02", 3, -60, 3, b"pw", behaviour="refuses")


class Client:
    """Speaks prov-config / prov-ctrl plaintext (security 0) to the board, as a phone would."""

    def __init__(self, board, session_id=1):
        self.board = board
        self.session_id = session_id
        board.manager.protocomm.open_session(session_id)

    def _call(self, endpoint, table, message):
        answer = self.board.manager.protocomm.handle(self.session_id, endpoint, pbcodec.encode(table, message))
        if answer is None:
            return None
        return pbcodec.decode(table, answer)

    def set_config(self, ssid, passphrase=b""):
        cmd = {"ssid": ssid, "passphrase": passphrase}
        answer = self._call("prov-config", pbmessages.WiFiConfigPayload, {"msg": 2, "cmd_set_config": cmd})
        return answer["resp_set_config"].get("status", 0)

    def apply(self):
        answer = self._call("prov-config", pbmessages.WiFiConfigPayload, {"msg": 4})
        return answer["resp_apply_config"].get("status", 0)

    def send(self, ssid, passphrase=b""):
        self.set_config(ssid, passphrase)
        return self.apply()

    def status(self):
        return self._call("prov-config", pbmessages.WiFiConfigPayload, {"msg": 0, "cmd_get_status": {}})["resp_get_status"]

    def ctrl(self, msg):
        return self._call("prov-ctrl", pbmessages.WiFiCtrlPayload, {"msg": msg}).get("status", 0)


CONNECTING = {"sta_state": pbenums.Connecting}
AUTH_FAILED = {"sta_state": pbenums.ConnectionFailed, "fail_reason": pbenums.AuthError}
NOT_FOUND = {"sta_state": pbenums.ConnectionFailed, "fail_reason": pbenums.NetworkNotFound}


def _attempt_failed(remaining):
    return {"sta_state": pbenums.Connecting, "attempt_failed": {"attempts_remaining": remaining}}


def _board(aps=(HOME, CAFE, SLOW, REFUSES), **settings):
    settings.setdefault("security", 0)
    board = Board(aps, **settings)
    board.manager.start()
    return board, Client(board)


def _kinds(board):
    return [event for event, _ in board.events]


class Lifecycle(unittest.TestCase):
    def test_start(self):
        board = Board(security=1)
        self.assertEqual(board.manager.state, mgr.STATE_IDLE)
        board.manager.start()
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)
        self.assertEqual(board.manager.service_name, "PROV_261FCC")
        self.assertEqual(board.events, [(mgr.EVENT_START, None)])
        self.assertIn(("I", "Provisioning started with service name : PROV_261FCC "), board.log.lines)
        self.assertEqual(board.manager.protocomm.handle(5, "proto-ver", b"ESP"), version_info.render(1, True))
        self.assertTrue(board.network.sta.active())  # scanning needs the station up
        with self.assertRaises(ValueError):
            board.manager.start()

    def test_service_name_settings_and_sec1_without_pop(self):
        board = Board(service_prefix="dev-", pop=None)
        self.assertEqual(board.manager.service_name, "dev-261FCC")
        board.manager.start()
        self.assertEqual(board.manager.protocomm.handle(1, "proto-ver", b"x"), version_info.render(1, False))
        self.assertEqual(Board(service_name="My Lamp").manager.service_name, "My Lamp")

    def test_app_info_precedes_prov(self):
        info = [{"label": "my_app", "ver": "1.0.2", "cap": ["cloud", "local_ctrl"]}]
        board, _ = _board(app_info=info)
        want = version_info.render(0, True, (("my_app", "1.0.2", ["cloud", "local_ctrl"]),))
        self.assertEqual(board.manager.protocomm.handle(1, "proto-ver", b"x"), want)

    def test_happy_path(self):
        board, client = _board()
        self.assertEqual(client.status(), CONNECTING)  # the reference's initial answer
        self.assertEqual(client.send(b"Home", b"right-pass"), pbenums.Success)
        self.assertEqual(board.manager.state, mgr.STATE_CRED_RECV)
        self.assertEqual(board.events[-1], (mgr.EVENT_CRED_RECV, b"Home"))
        board.run_for(900)
        self.assertEqual(board.network.sta.connect_calls, [])  # the Apply answer gets out first
        board.run_for(200)
        self.assertEqual(board.network.sta.connect_calls, [(b"Home", b"right-pass")])
        self.assertEqual(client.status(), CONNECTING)
        board.run_for(2000)
        self.assertEqual(board.events[-1], (mgr.EVENT_CRED_SUCCESS, "192.168.1.42"))
        self.assertEqual(board.manager.state, mgr.STATE_SUCCESS)
        connected = {"ip4_addr": "192.168.1.42", "auth_mode": 3, "ssid": b"Home", "bssid": HOME.bssid, "channel": 6}
        self.assertEqual(client.status(), {"connected": connected})  # Connected (0) is not written
        self.assertEqual(board.store.load(), (b"Home", b"right-pass"))
        self.assertTrue(board.manager.is_provisioned())
        self.assertEqual(board.network.sta.config("reconnects"), -1)  # the driver keeps the link now
        self.assertEqual(board.network.sta.scans, 1)  # BSSID and auth mode came from a scan
        board.run_for(1100)
        self.assertTrue(board.manager.done)
        self.assertEqual(board.manager.state, mgr.STATE_IDLE)
        self.assertEqual(
            _kinds(board), [mgr.EVENT_START, mgr.EVENT_CRED_RECV, mgr.EVENT_CRED_SUCCESS, mgr.EVENT_END]
        )
        self.assertTrue(board.network.sta.isconnected())
        self.assertIn(("I", "Provisioning stopped"), board.log.lines)

    def test_connected_state_from_earlier_scan(self):
        board, client = _board()
        scan = {"msg": 0, "cmd_scan_start": {"blocking": True}}
        board.manager.protocomm.handle(1, "prov-scan", pbcodec.encode(pbmessages.WiFiScanPayload, scan))
        client.send(b"Cafe")
        board.run_for(3000)
        self.assertEqual(board.network.sta.scans, 1)
        self.assertEqual(
            client.status()["connected"], {"ip4_addr": "192.168.1.42", "ssid": b"Cafe", "bssid": CAFE.bssid, "channel": 1}
        )

    def test_scan_for_other_front_doors_is_strongest_first_capped_and_remembered(self):
        board = Board((HOME, CAFE, SLOW, REFUSES), security=0, scan_max_entries=3)
        self.assertEqual(board.manager.scan(), [])  # not prepared: nothing to scan with
        board.manager.start()
        found = board.manager.scan()
        self.assertEqual([entry[0] for entry in found], [b"Home", b"Slow", b"Refuses"])
        self.assertEqual(found[0], (b"Home", HOME.bssid, 6, -48, 3))
        board.network.scan_error = OSError("STA must be active")
        self.assertEqual(board.manager.scan(), [])
        board.network.scan_error = None
        board.manager.scan()
        client = Client(board)
        client.send(b"Home", b"right-pass")
        board.run_for(5000)
        self.assertEqual(board.network.sta.scans, 3)  # the connected AP's details came from the last scan
        self.assertEqual(client.status()["connected"]["bssid"], HOME.bssid)

    def test_stop_removes_everything(self):
        board, client = _board(auto_stop=False)
        client.send(b"Home", b"right-pass")
        board.run_for(5000)
        client.status()
        board.run_for(60000)
        self.assertFalse(board.manager.done)  # auto-stop off: no stop after Connected or got-IP
        board.network.ap.active(True)
        pc = board.manager.protocomm
        board.manager.stop()
        self.assertTrue(board.manager.done)
        self.assertFalse(board.network.ap.active())
        self.assertIsNone(board.manager.protocomm)
        self.assertIsNone(pc.session_id)
        for name in mgr.ENDPOINTS:
            self.assertIsNone(pc.handle(1, name, b"\x08\x00"), name)
        self.assertEqual(_kinds(board)[-1], mgr.EVENT_END)
        board.manager.stop()
        self.assertEqual(_kinds(board).count(mgr.EVENT_END), 1)

    def test_autostop_without_status_poll(self):
        board, client = _board()
        client.send(b"Home", b"right-pass")
        board.run_for(3100)
        self.assertEqual(board.manager.state, mgr.STATE_SUCCESS)
        board.run_for(29900)
        self.assertFalse(board.manager.done)
        board.run_for(200)
        self.assertTrue(board.manager.done)

    def test_stop_during_an_attempt_drops_it(self):
        board, client = _board()
        client.send(b"Home", b"right-pass")
        board.run_for(1500)
        board.manager.stop()
        board.run_for(5000)
        self.assertFalse(board.network.sta.isconnected())
        self.assertIsNone(board.store.load())

    def test_is_provisioned_and_reset(self):
        board = Board()
        self.assertFalse(board.manager.is_provisioned())
        board.store.save(b"Home", b"right-pass")
        self.assertTrue(board.manager.is_provisioned())
        board.manager.reset()
        self.assertFalse(board.manager.is_provisioned())


class Failures(unittest.TestCase):
    def test_wrong_password_five_attempts_then_failed(self):
        board, client = _board()
        client.send(b"Home", b"wrong-pass")
        board.run_for(1100)
        seen = []
        for _ in range(60):
            board.run_for(500)
            answer = client.status()
            if not seen or seen[-1] != answer:
                seen.append(answer)
        self.assertEqual(
            seen,
            [CONNECTING, _attempt_failed(4), _attempt_failed(3), _attempt_failed(2), _attempt_failed(1), AUTH_FAILED],
        )
        self.assertEqual(len(board.network.sta.connect_calls), 5)
        self.assertEqual(_kinds(board).count(mgr.EVENT_CRED_FAIL), 1)
        self.assertEqual(board.events[-1], (mgr.EVENT_CRED_FAIL, pbenums.AuthError))
        self.assertIsNone(board.store.load())  # never stored: they did not connect
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)  # reset_on_failure (example default)
        self.assertEqual(client.ctrl(1), pbenums.InternalError)  # as the reference example answers
        self.assertIn("Wi-Fi attempt 5 of 5 failed: authentication failed", board.log.text())
        self.assertFalse("wrong-pass" in board.log.text())

    def test_new_credentials_in_the_same_session_after_a_failure(self):
        board, client = _board(wifi_conn_attempts=2)
        client.send(b"Home", b"wrong-pass")
        board.run_for(20000)
        self.assertEqual(client.status(), AUTH_FAILED)
        self.assertEqual(client.send(b"Home", b"right-pass"), pbenums.Success)
        self.assertEqual(client.status(), CONNECTING)
        board.run_for(10000)
        self.assertEqual(client.status()["connected"]["ssid"], b"Home")
        self.assertEqual(board.store.load(), (b"Home", b"right-pass"))
        self.assertEqual(
            _kinds(board),
            [mgr.EVENT_START, mgr.EVENT_CRED_RECV, mgr.EVENT_CRED_FAIL, mgr.EVENT_CRED_RECV, mgr.EVENT_CRED_SUCCESS],
        )

    def test_new_credentials_in_a_new_session_after_a_failure(self):
        board, client = _board(wifi_conn_attempts=1)
        client.send(b"Nowhere", b"x")
        board.run_for(10000)
        phone = Client(board, session_id=2)  # opening it discards the first session
        self.assertEqual(phone.status(), NOT_FOUND)
        self.assertEqual(phone.send(b"Cafe"), pbenums.Success)
        board.run_for(5000)
        self.assertIn("connected", phone.status())
        self.assertEqual(board.store.load(), (b"Cafe", b""))

    def test_failure_is_reported_until_the_next_apply(self):
        board, client = _board(wifi_conn_attempts=1)
        client.send(b"Home", b"wrong-pass")
        board.run_for(10000)
        for _ in range(3):
            self.assertEqual(client.status(), AUTH_FAILED)
            board.run_for(5000)
        self.assertEqual(client.set_config(b"Home", b"right-pass"), pbenums.Success)
        self.assertEqual(client.status(), AUTH_FAILED)
        client.apply()
        self.assertEqual(client.status(), CONNECTING)

    def test_network_not_found(self):
        board, client = _board(wifi_conn_attempts=3)
        client.send(b"Nowhere", b"whatever")
        board.run_for(20000)
        self.assertEqual(client.status(), NOT_FOUND)
        # Not the reference's quirk (the reason from before the disconnect): the event agrees.
        self.assertEqual(board.events[-1], (mgr.EVENT_CRED_FAIL, pbenums.NetworkNotFound))

    def test_handshake_timeout_counts_as_a_password_error(self):
        board, client = _board(wifi_conn_attempts=1)
        client.send(b"Slow", b"wrong")
        board.run_for(10000)
        self.assertEqual(client.status(), AUTH_FAILED)
        self.assertIn("4-way handshake timeout", board.log.text())

    def test_other_codes_keep_the_previous_reason(self):
        board, client = _board(wifi_conn_attempts=1)
        client.send(b"Refuses", b"pw")
        board.run_for(10000)
        self.assertEqual(client.status(), AUTH_FAILED)  # initial value
        client.send(b"Nowhere")
        board.run_for(10000)
        client.send(b"Refuses", b"pw")
        board.run_for(10000)
        self.assertEqual(client.status(), NOT_FOUND)

    def test_silent_access_point_times_out(self):
        silent = FakeAccessPoint(b"Mute", b"\x03" * 6, 1, -50, 0, None, behaviour="silent")
        board, client = _board((silent,), wifi_conn_attempts=2)
        client.send(b"Mute")
        board.run_for(35000)
        self.assertEqual(client.status(), _attempt_failed(1))
        board.run_for(31000)
        self.assertEqual(client.status(), AUTH_FAILED)
        self.assertIn("no outcome within 30 s", board.log.text())

    def test_zero_attempts_means_one(self):
        board, client = _board(wifi_conn_attempts=0)
        client.send(b"Home", b"wrong-pass")
        board.run_for(10000)
        self.assertEqual(client.status(), AUTH_FAILED)
        self.assertEqual(len(board.network.sta.connect_calls), 1)

    def test_rejected_set_config_answers_connection_failed(self):
        # iOS ignores the SetConfig/Apply statuses and polls until it sees a final state.
        board, client = _board()
        self.assertEqual(client.set_config(b"Home", b"p" * 64), pbenums.InvalidArgument)
        self.assertEqual(client.apply(), pbenums.InternalError)
        self.assertEqual(client.status(), AUTH_FAILED)
        self.assertEqual(client.set_config(b"s" * 33, b"pw"), pbenums.InvalidArgument)
        self.assertEqual(client.status(), NOT_FOUND)
        self.assertEqual(client.send(b"Home", b"right-pass"), pbenums.Success)
        board.run_for(5000)
        self.assertIn("connected", client.status())
        self.assertIn("rejected Wi-Fi credentials: passphrase longer than 63 bytes", board.log.text())

    def test_rejected_set_config_drops_the_earlier_candidate(self):
        board, client = _board()
        client.set_config(b"Home", b"right-pass")
        client.set_config(b"Home", b"p" * 64)
        self.assertEqual(client.apply(), pbenums.InternalError)

    def test_apply_without_set_config(self):
        board, client = _board()
        self.assertEqual(client.apply(), pbenums.InternalError)
        self.assertEqual(client.status(), AUTH_FAILED)

    def test_set_config_during_an_attempt_changes_nothing(self):
        board, client = _board()
        client.send(b"Home", b"right-pass")
        board.run_for(1500)
        self.assertEqual(client.set_config(b"Home", b"p" * 64), pbenums.InvalidArgument)
        self.assertEqual(client.status(), CONNECTING)
        self.assertEqual(client.send(b"Cafe"), pbenums.InternalError)  # one attempt at a time
        board.run_for(3000)
        self.assertEqual(client.status()["connected"]["ssid"], b"Home")
        self.assertEqual(client.send(b"Cafe"), pbenums.InternalError)  # provisioned already

    def test_without_reset_on_failure_prov_ctrl_reset_is_needed_by_the_reference_only(self):
        board, client = _board(wifi_conn_attempts=1, reset_on_failure=False)
        client.send(b"Home", b"wrong-pass")
        board.run_for(10000)
        self.assertEqual(board.manager.state, mgr.STATE_FAIL)
        self.assertEqual(client.ctrl(1), pbenums.Success)
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)
        self.assertEqual(client.ctrl(1), pbenums.InternalError)
        self.assertEqual(client.status(), AUTH_FAILED)
        client.send(b"Home", b"wrong-pass")
        board.run_for(10000)
        self.assertEqual(board.manager.state, mgr.STATE_FAIL)
        self.assertEqual(client.send(b"Home", b"right-pass"), pbenums.Success)  # no Reset needed
        board.run_for(5000)
        self.assertEqual(board.manager.state, mgr.STATE_SUCCESS)


class Reprovisioning(unittest.TestCase):
    def test_reprov_needs_auto_stop_off(self):
        board, client = _board()
        self.assertEqual(client.ctrl(3), pbenums.InternalError)

    def test_reprov_after_success(self):
        board, client = _board(auto_stop=False)
        client.send(b"Home", b"right-pass")
        board.run_for(5000)
        self.assertEqual(board.manager.state, mgr.STATE_SUCCESS)
        self.assertEqual(client.ctrl(3), pbenums.Success)
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)
        self.assertEqual(board.events[-1], (mgr.EVENT_START, None))
        self.assertFalse(board.network.sta.isconnected())
        self.assertEqual(board.store.load(), (b"Home", b"right-pass"))  # kept until new ones connect
        client.send(b"Cafe")
        board.run_for(5000)
        self.assertEqual(board.store.load(), (b"Cafe", b""))

    def test_reprov_during_an_attempt_cancels_it(self):
        board, client = _board(auto_stop=False)
        client.send(b"Home", b"right-pass")
        board.run_for(1500)
        self.assertEqual(client.ctrl(3), pbenums.Success)
        board.run_for(5000)
        self.assertFalse(board.network.sta.isconnected())
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)


class CustomEndpoints(unittest.TestCase):
    def test_custom_endpoint_order_and_rules(self):
        board = Board(security=0)
        seen = []

        def custom_data(session_id, data):
            seen.append((session_id, data))
            return b"SUCCESS\x00"

        board.manager.add_endpoint("custom-data", custom_data)
        board.manager.add_endpoint("second", lambda sid, data: data)
        for name in ("custom-data", "prov-config"):
            with self.assertRaises(ValueError):
                board.manager.add_endpoint(name, custom_data)
        self.assertEqual(board.manager.endpoint_names(), list(mgr.ENDPOINTS) + ["custom-data", "second"])
        board.manager.start()
        with self.assertRaises(ValueError):
            board.manager.add_endpoint("late", custom_data)
        self.assertEqual(board.manager.protocomm.handle(4, "custom-data", b"My Custom Data"), b"SUCCESS\x00")
        self.assertEqual(seen, [(4, b"My Custom Data")])
        pc = board.manager.protocomm
        board.manager.stop()
        self.assertIsNone(pc.handle(4, "custom-data", b"x"))

    def test_failing_custom_handler_is_a_protocol_failure(self):
        board = Board(security=0)
        board.manager.add_endpoint("boom", lambda sid, data: 1 // 0)
        board.manager.start()
        self.assertIsNone(board.manager.protocomm.handle(1, "boom", b"x"))


class Events(unittest.TestCase):
    def test_listener_errors_are_logged_not_raised(self):
        board = Board(security=0)

        def broken(event, data):
            raise RuntimeError("listener bug")

        board.manager.add_listener(broken)
        board.manager.start()
        client = Client(board)
        self.assertEqual(client.send(b"Home", b"right-pass"), pbenums.Success)
        self.assertIn("event listener failed", board.log.text())
        self.assertEqual(_kinds(board), [mgr.EVENT_START, mgr.EVENT_CRED_RECV])

    def test_restart_after_stop(self):
        board, client = _board()
        board.manager.stop()
        board.manager.start()
        self.assertFalse(board.manager.done)
        self.assertEqual(Client(board, 9).status(), CONNECTING)

    def test_wait_returns_when_provisioning_ends(self):
        try:
            import asyncio

            run = asyncio.run
        except (ImportError, AttributeError):
            self.skipTest("no asyncio.run in this runtime")
        board, _ = _board()

        async def main():
            async def stop_soon():
                await asyncio.sleep(0.05)
                board.manager.stop()

            task = asyncio.create_task(stop_soon())
            await board.manager.wait(10)
            await task

        run(main())
        self.assertTrue(board.manager.done)


if __name__ == "__main__":
    unittest.main()
