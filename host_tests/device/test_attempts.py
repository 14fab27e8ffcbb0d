"""Attempt limiting: the policy of wifiprov.attempts, the protocomm gate, and the manager refusing
handshakes (the protocol's normal failure) during a doubling back-off and, past the limit, until
unlock(); wrong-PoP and wrong-password guesses alike, logged without the secret."""

import unittest

from devtest import FixedRandom, load_vectors, unhex
from fakes import Board
from wifiprov import pbcodec, pbenums, pbmessages, rand
from wifiprov import manager as mgr
from wifiprov.attempts import LOCKED, AttemptLimiter, HandshakeBudget
from wifiprov.protocomm import Protocomm
from wifiprov.security0 import Security0

SEC1 = load_vectors("sec1.json")
SEC1_CASE = SEC1["cases"][1]  # PoP "abcd1234"
SEC2 = load_vectors("sec2.json")
SEC2_CASE = [c for c in SEC2["cases"] if c["name"] == "patch1_example_dev_credentials"][0]
POP = "abcd1234"
SESSION = 1


def _sec1_cmd1(verify_data):
    return pbcodec.encode(
        pbmessages.SessionData,
        {"sec_ver": 1, "sec1": {"msg": pbenums.Session_Command1, "sc1": {"client_verify_data": verify_data}}},
    )


def _sec2_cmd1(proof):
    return pbcodec.encode(
        pbmessages.SessionData,
        {"sec_ver": 2, "sec2": {"msg": pbenums.S2Session_Command1, "sc1": {"client_proof": proof}}},
    )


def _step(case, name):
    for step in case["handshake"]:
        if step["step"] == name:
            return unhex(step["hex"])
    raise KeyError(name)


def _wrong(n, length):
    """A wrong proof that is different for every ``n``."""
    return bytes([(n * 7 + i) & 0xFF for i in range(length)])


class Policy(unittest.TestCase):
    def test_free_then_doubling_then_capped_then_locked(self):
        limiter = AttemptLimiter(2, 7, 1000, 5000)
        got = [limiter.failed() for _ in range(7)]
        self.assertEqual(got, [0, 0, 1000, 2000, 4000, 5000, LOCKED])
        self.assertTrue(limiter.locked)
        limiter.reset()
        self.assertFalse(limiter.locked)
        self.assertEqual(limiter.failed(), 0)

    def test_success_starts_the_count_again(self):
        limiter = AttemptLimiter(1, 3, 100, 1000)
        self.assertEqual([limiter.failed(), limiter.failed()], [0, 100])
        limiter.succeeded()
        self.assertEqual([limiter.failed(), limiter.failed(), limiter.failed()], [0, 100, LOCKED])

    def test_zero_limit_never_locks_and_zero_backoff_never_waits(self):
        limiter = AttemptLimiter(0, 0, 0, 60000)
        self.assertEqual(set(limiter.failed() for _ in range(300)), set([0]))
        self.assertFalse(limiter.locked)
        limiter = AttemptLimiter(0, 0, 3000, 60000)
        delays = [limiter.failed() for _ in range(300)]
        self.assertEqual(delays[:6], [3000, 6000, 12000, 24000, 48000, 60000])
        self.assertEqual(max(delays), 60000)


class Budget(unittest.TestCase):
    def test_burst_then_refills_and_finished_handshakes_give_back(self):
        budget = HandshakeBudget(2)
        self.assertEqual([budget.take(), budget.take(), budget.take()], [True, True, False])
        self.assertTrue(budget.refill())  # one back, still not full
        self.assertEqual([budget.take(), budget.take()], [True, False])
        budget.give_back()
        budget.give_back()
        self.assertFalse(budget.refill())  # full: the caller stops its timer
        self.assertEqual(budget.available, 2)

    def test_zero_burst_is_no_limit(self):
        budget = HandshakeBudget(0)
        self.assertTrue(all(budget.take() for _ in range(1000)))


class Gate(unittest.TestCase):
    def test_closed_gate_fails_handshakes_only(self):
        calls = []
        security = Security0()
        original = security.handshake

        def spy(session_id, request):
            calls.append(request)
            return original(session_id, request)

        security.handshake = spy
        pc = Protocomm(security)
        pc.set_version_endpoint("proto-ver", b"V")
        pc.set_security_endpoint("prov-session")
        pc.add_endpoint("echo", lambda session_id, data: b"E" + data)
        pc.open_session(SESSION)
        open_gate = [False]
        pc.gate = lambda: open_gate[0]
        sec0_cmd = unhex("5203a20100")
        self.assertIsNone(pc.handle(SESSION, "prov-session", sec0_cmd))
        self.assertEqual(calls, [])  # the scheme never saw the request
        self.assertEqual(pc.handle(SESSION, "proto-ver", b"x"), b"V")
        self.assertEqual(pc.handle(SESSION, "echo", b"x"), b"Ex")
        open_gate[0] = True
        self.assertIsNotNone(pc.handle(SESSION, "prov-session", sec0_cmd))
        self.assertEqual(len(calls), 1)


class ManagerSec1(unittest.TestCase):
    def setUp(self):
        rand.set_source(FixedRandom(unhex(SEC1_CASE["device_private_key_hex"]), unhex(SEC1_CASE["device_random_hex"])))

    def tearDown(self):
        rand.set_source(None)

    def _board(self, **settings):
        board = Board(security=1, pop=POP, **settings)
        board.manager.start()
        pc = board.manager.protocomm
        pc.open_session(SESSION)
        self.assertIsNotNone(pc.handle(SESSION, "prov-session", _step(SEC1_CASE, "SessionCmd0")))
        return board, pc

    def _guess(self, pc, n):
        return pc.handle(SESSION, "prov-session", _sec1_cmd1(_wrong(n, 32)))

    def _refused_ms(self, board):
        """Tick in 100 ms steps until handshakes are accepted again; returns how long that took."""
        waited = 0
        while not board.manager.accepting_sessions():
            board.tick(100)
            waited += 100
            self.assertTrue(waited <= 3600000, "never accepted again")
        return waited

    def _mismatches(self, board):
        return [e for e, _ in board.events if e == mgr.EVENT_SESSION_CREDENTIALS_MISMATCH]

    def test_backoff_refuses_even_the_right_pop_then_it_works(self):
        board, pc = self._board(auth_free_failures=2, auth_backoff_ms=1000, auth_backoff_max_ms=60000)
        for n in range(2):
            self.assertIsNone(self._guess(pc, n))
            self.assertTrue(board.manager.accepting_sessions())
        self.assertIsNone(self._guess(pc, 2))
        self.assertFalse(board.manager.accepting_sessions())
        right_cmd1 = _step(SEC1_CASE, "SessionCmd1")
        # No oracle while backing off: the right proof fails too and is not even checked.
        self.assertIsNone(pc.handle(SESSION, "prov-session", right_cmd1))
        self.assertEqual(len(self._mismatches(board)), 3)
        board.tick(100)  # the window starts at the next tick
        board.run_for(900)
        self.assertFalse(board.manager.accepting_sessions())
        board.tick(100)
        self.assertTrue(board.manager.accepting_sessions())
        self.assertEqual(pc.handle(SESSION, "prov-session", right_cmd1), _step(SEC1_CASE, "SessionResp1"))
        self.assertEqual(board.events[-1], (mgr.EVENT_SESSION_SETUP_OK, None))
        # Success starts the count again: two more wrong guesses are free.
        rand.set_source(FixedRandom(unhex(SEC1_CASE["device_private_key_hex"]), unhex(SEC1_CASE["device_random_hex"])))
        pc.open_session(SESSION + 1)
        self.assertIsNotNone(pc.handle(SESSION + 1, "prov-session", _step(SEC1_CASE, "SessionCmd0")))
        for n in range(2):
            self.assertIsNone(pc.handle(SESSION + 1, "prov-session", _sec1_cmd1(_wrong(n, 32))))
        self.assertTrue(board.manager.accepting_sessions())

    def test_doubling_cap_lock_unlock_with_the_defaults_scaled(self):
        board, pc = self._board(auth_free_failures=1, auth_backoff_ms=500, auth_backoff_max_ms=1500,
                                auth_max_failures=6)
        waits = []
        for n in range(5):
            self.assertIsNone(self._guess(pc, n))
            waits.append(self._refused_ms(board))
        # The window is fixed at the first tick after the failure (+100 ms here).
        self.assertEqual(waits, [0, 600, 1100, 1600, 1600])
        self.assertIsNone(self._guess(pc, 5))
        closed = [(e, d) for e, d in board.events if e == mgr.EVENT_SESSIONS_CLOSED]
        self.assertEqual(closed, [(mgr.EVENT_SESSIONS_CLOSED, 6)])
        board.run_for(600000, step=10000)
        self.assertFalse(board.manager.accepting_sessions())
        self.assertIsNone(pc.handle(SESSION, "prov-session", _step(SEC1_CASE, "SessionCmd1")))
        self.assertEqual(len(self._mismatches(board)), 6)
        # Locked until reboot: a new provisioning run in the same boot stays closed.
        board.manager.stop()
        rand.set_source(None)
        board.manager.start()
        self.assertFalse(board.manager.accepting_sessions())
        board.manager.unlock()
        self.assertTrue(board.manager.accepting_sessions())
        text = board.log.text()
        self.assertIn("6 failed sessions: provisioning closed until reboot or unlock", text)
        self.assertIn("5 failed sessions: secure sessions refused for 1500 ms", text)
        self.assertFalse(POP in text)

    def test_invalid_parameters_do_not_count(self):
        board, pc = self._board(auth_free_failures=0, auth_backoff_ms=1000)
        bad_cmd0 = pbcodec.encode(
            pbmessages.SessionData, {"sec_ver": 1, "sec1": {"msg": 0, "sc0": {"client_pubkey": b"\x09" * 31}}}
        )
        for _ in range(20):
            self.assertIsNone(pc.handle(SESSION, "prov-session", bad_cmd0))
            self.assertIsNone(pc.handle(SESSION, "prov-session", b"\xff\xff"))
        self.assertTrue(board.manager.accepting_sessions())

    def test_on_by_default(self):
        board, pc = self._board()
        for n in range(3):
            self.assertIsNone(self._guess(pc, n))
        self.assertTrue(board.manager.accepting_sessions())
        self.assertIsNone(self._guess(pc, 3))
        self.assertEqual(self._refused_ms(board), 2100)
        for n in range(4, 9):
            self.assertIsNone(self._guess(pc, n))
            self._refused_ms(board)
        self.assertIsNone(self._guess(pc, 9))
        self.assertEqual(board.events[-1], (mgr.EVENT_SESSIONS_CLOSED, 10))

    def test_disabled(self):
        board, pc = self._board(auth_backoff_ms=0, auth_max_failures=0)
        for n in range(50):
            self.assertIsNone(self._guess(pc, n))
        self.assertTrue(board.manager.accepting_sessions())
        self.assertIsNotNone(pc.handle(SESSION, "prov-session", _step(SEC1_CASE, "SessionCmd1")))


class ManagerSec2(unittest.TestCase):
    def tearDown(self):
        rand.set_source(None)

    def _flood_board(self):
        board = Board(security=2, handshake_burst=2, handshake_refill_ms=1000)
        board.manager.start()
        pc = board.manager.protocomm
        pc.open_session(SESSION)
        return board, pc

    def test_abandoned_handshakes_are_rationed_and_the_real_client_gets_through_after_the_flood(self):
        board, pc = self._flood_board()
        security = pc.security
        cmd0 = _step(SEC2_CASE, "SessionCmd0")
        for _ in range(2):  # the burst: full SRP work each time, never finished
            self.assertIsNotNone(pc.handle(SESSION, "prov-session", cmd0))
        prepared = security._next_server
        for _ in range(20):  # the flood goes on: refused at once, no SRP work, one log line
            self.assertIsNone(pc.handle(SESSION, "prov-session", cmd0))
            self.assertIs(security._next_server, prepared)
        self.assertEqual(board.log.text().count("handshakes left unfinished"), 1)
        self.assertEqual([e for e, _ in board.events if e == mgr.EVENT_SESSION_CREDENTIALS_MISMATCH], [])
        board.tick(100)  # the refill period starts at the next tick
        board.run_for(900)
        self.assertIsNone(pc.handle(SESSION, "prov-session", cmd0))
        board.tick(100)
        # The flood stopped: the real client (the vector's own, right password) completes.
        rand.set_source(FixedRandom(unhex(SEC2_CASE["b_hex"]), unhex(SEC2_CASE["device_nonce_hex"])[:8]))
        security._next_server = None
        pc.open_session(SESSION + 1)
        self.assertEqual(pc.handle(SESSION + 1, "prov-session", cmd0), _step(SEC2_CASE, "SessionResp0"))
        self.assertEqual(pc.handle(SESSION + 1, "prov-session", _step(SEC2_CASE, "SessionCmd1")),
                         _step(SEC2_CASE, "SessionResp1"))
        self.assertTrue(board.manager.accepting_sessions())  # the attempt limiter never counted the flood

    def test_finished_handshakes_cost_nothing(self):
        board, pc = self._flood_board()
        for n in range(5):
            rand.set_source(FixedRandom(unhex(SEC2_CASE["b_hex"]), unhex(SEC2_CASE["device_nonce_hex"])[:8]))
            pc.security._next_server = None  # b from the vector, not the one prepared at start
            pc.open_session(SESSION + n)
            self.assertEqual(pc.handle(SESSION + n, "prov-session", _step(SEC2_CASE, "SessionCmd0")),
                             _step(SEC2_CASE, "SessionResp0"))
            self.assertIsNotNone(pc.handle(SESSION + n, "prov-session", _step(SEC2_CASE, "SessionCmd1")))
        self.assertFalse("handshakes left unfinished" in board.log.text())

    def test_wrong_passwords_back_off_then_the_right_one_works(self):
        nonce = unhex(SEC2_CASE["device_nonce_hex"])[:8]
        rand.set_source(FixedRandom(unhex(SEC2_CASE["b_hex"]), nonce))
        board = Board(security=2, auth_free_failures=1, auth_backoff_ms=300)
        board.manager.start()
        pc = board.manager.protocomm
        pc.open_session(SESSION)
        self.assertEqual(pc.handle(SESSION, "prov-session", _step(SEC2_CASE, "SessionCmd0")),
                         _step(SEC2_CASE, "SessionResp0"))
        self.assertIsNone(pc.handle(SESSION, "prov-session", _sec2_cmd1(_wrong(1, 64))))
        self.assertTrue(board.manager.accepting_sessions())
        self.assertIsNone(pc.handle(SESSION, "prov-session", _sec2_cmd1(_wrong(2, 64))))
        self.assertFalse(board.manager.accepting_sessions())
        right = _step(SEC2_CASE, "SessionCmd1")
        self.assertIsNone(pc.handle(SESSION, "prov-session", right))
        board.run_for(400)
        self.assertTrue(board.manager.accepting_sessions())
        self.assertEqual(pc.handle(SESSION, "prov-session", right), _step(SEC2_CASE, "SessionResp1"))


if __name__ == "__main__":
    unittest.main()
