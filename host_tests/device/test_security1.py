"""Security 1 through protocomm: vectors/sec1.json byte for byte, and every way to get it wrong."""

import unittest

from devtest import load_vectors, unhex
from seclib import SESSION, make_protocomm, pin_random, replay_app_messages, replay_handshake, unpin_random
from wifiprov import pbcodec, pbenums, pbmessages, version_info, x25519
from wifiprov.aes_ctr import AesCtr
from wifiprov.security import EVENT_CREDENTIALS_MISMATCH, EVENT_INVALID_PARAMS, EVENT_SETUP_OK
from wifiprov.security1 import Security1

VECTORS = load_vectors("sec1.json")
CASE = VECTORS["cases"][1]  # pop_abcd1234


def _pop(case):
    pop = case["pop"]
    return unhex(pop["bytes_hex"]) if pop else None


def _device(case):
    pin_random(unhex(case["device_private_key_hex"]), unhex(case["device_random_hex"]))
    security = Security1(_pop(case))
    pc, recorders = make_protocomm(security)
    pc.open_session(SESSION)
    return pc, recorders, security


def _cmd0(client_pubkey):
    return pbcodec.encode(
        pbmessages.SessionData,
        {"sec_ver": 1, "sec1": {"msg": pbenums.Session_Command0, "sc0": {"client_pubkey": client_pubkey}}},
    )


def _cmd1(verify):
    return pbcodec.encode(
        pbmessages.SessionData,
        {"sec_ver": 1, "sec1": {"msg": pbenums.Session_Command1, "sc1": {"client_verify_data": verify}}},
    )


class Sec1Vectors(unittest.TestCase):
    def tearDown(self):
        unpin_random()

    def test_every_case_replays_byte_for_byte(self):
        self.assertEqual(len(VECTORS["cases"]), 5)
        for case in VECTORS["cases"]:
            pc, recorders, security = _device(case)
            self.assertTrue(replay_handshake(self, pc, case["handshake"], case["name"]))
            replay_app_messages(self, pc, recorders, case["app_messages"], case["name"])
            self.assertEqual(version_info.render(1, security.has_pop), case["proto_ver_response"].encode())

    def test_wrong_pop_vector_fails_at_cmd1(self):
        for case in VECTORS["negative_cases"]:
            pc, _, _ = _device(case)
            self.assertFalse(replay_handshake(self, pc, case["handshake"], case["name"]))


class Sec1Negative(unittest.TestCase):
    def setUp(self):
        self.pc, self.recorders, self.security = _device(CASE)
        self.events = []
        self.security.on_event = self.events.append
        self.steps = [unhex(step["hex"]) for step in CASE["handshake"]]

    def tearDown(self):
        unpin_random()

    def _complete_fresh_session(self):
        """A correct handshake afterwards (new key pair and random, same client)."""
        pin_random(unhex(CASE["device_private_key_hex"]), unhex(CASE["device_random_hex"]))
        self.pc.open_session(SESSION + 1)
        responses = [self.pc.handle(SESSION + 1, "prov-session", self.steps[i]) for i in (0, 2)]
        self.assertEqual(responses, [self.steps[1], self.steps[3]])

    def test_cmd1_before_cmd0_fails_then_session_works(self):
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", self.steps[2]))
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[0]), self.steps[1])
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])

    def test_cmd0_twice_restarts_the_handshake(self):
        pin_random(
            unhex(CASE["device_private_key_hex"]), unhex(CASE["device_random_hex"]),
            unhex(CASE["device_private_key_hex"]), unhex(CASE["device_random_hex"]),
        )
        self.pc.open_session(SESSION)
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[0]), self.steps[1])
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[0]), self.steps[1])
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])

    def test_cmd1_after_done_fails(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.pc.handle(SESSION, "prov-session", self.steps[2])
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", self.steps[2]))

    def test_wrong_pop_then_right_pop_on_same_session(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        wrong = bytearray(self.steps[2])
        wrong[-1] ^= 1
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", bytes(wrong)))
        self.assertEqual(self.events, [EVENT_CREDENTIALS_MISMATCH])
        # the stream restarts from byte 0 for the next Cmd1
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])
        self.assertEqual(self.events, [EVENT_CREDENTIALS_MISMATCH, EVENT_SETUP_OK])

    def test_bad_client_pubkey_lengths(self):
        for length in (0, 31, 33, 64):
            self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(b"\x09" * length)))
        self.assertEqual(self.events, [EVENT_INVALID_PARAMS] * 4)
        self._complete_fresh_session()

    def test_low_order_client_pubkey_is_rejected(self):
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(b"\x00" * 32)))
        self._complete_fresh_session()

    def test_short_verify_data_is_rejected(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd1(b"\x00" * 31)))
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])

    def test_scheme_and_payload_confusion(self):
        sec2_payload = pbcodec.encode(
            pbmessages.SessionData,
            {"sec_ver": 2, "sec2": {"msg": 0, "sc0": {"client_username": b"u", "client_pubkey": b"\x01" * 384}}},
        )
        wrong_member = pbcodec.encode(
            pbmessages.SessionData, {"sec_ver": 1, "sec2": {"msg": 0, "sc0": {"client_pubkey": b"\x01" * 32}}}
        )
        sec0_payload = unhex("5203a20100")
        unknown_msg = pbcodec.encode(pbmessages.SessionData, {"sec_ver": 1, "sec1": {"msg": 7}})
        response_as_command = pbcodec.encode(pbmessages.SessionData, {"sec_ver": 1, "sec1": {"msg": 1, "sr0": {}}})
        for bad in (sec2_payload, wrong_member, sec0_payload, unknown_msg, response_as_command, b"\xff\xff", b""):
            self.assertIsNone(self.pc.handle(SESSION, "prov-session", bad))
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[0]), self.steps[1])
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])

    def test_cmd1_payload_under_cmd0_msg_is_dispatched_on_msg(self):
        confused = pbcodec.encode(
            pbmessages.SessionData, {"sec_ver": 1, "sec1": {"msg": 0, "sc1": {"client_verify_data": b"\x00" * 32}}}
        )
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", confused))

    def test_requests_need_an_established_session(self):
        self.assertIsNone(self.pc.handle(SESSION, "prov-config", b"\x52\x00"))
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.assertIsNone(self.pc.handle(SESSION, "prov-config", b"\x52\x00"))

    def test_other_session_id_is_refused(self):
        self.assertIsNone(self.pc.handle(SESSION + 5, "prov-session", self.steps[0]))
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.pc.handle(SESSION, "prov-session", self.steps[2])
        self.assertIsNone(self.pc.handle(SESSION + 5, "prov-config", b"\x00"))

    def test_new_session_wipes_keys(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.pc.handle(SESSION, "prov-session", self.steps[2])
        pin_random(b"\x01" * 32)
        self.pc.open_session(SESSION + 1)
        self.assertIsNone(self.pc.handle(SESSION + 1, "prov-config", b"\x00"))
        self.assertIsNone(self.pc.handle(SESSION, "prov-config", b"\x00"))

    def test_unknown_endpoint_and_failing_handler_give_no_payload(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        self.pc.handle(SESSION, "prov-session", self.steps[2])
        self.assertIsNone(self.pc.handle(SESSION, "no-such-endpoint", b"x"))

        def broken(session_id, plain):
            raise KeyError("bug")

        self.pc.add_endpoint("broken", broken)
        self.assertIsNone(self.pc.handle(SESSION, "broken", b"x"))


class Sec1NoPop(unittest.TestCase):
    def tearDown(self):
        unpin_random()

    def test_empty_pop_means_no_pop_and_key_is_shared_secret(self):
        case = VECTORS["cases"][0]
        self.assertIsNone(case["pop"])
        self.assertFalse(Security1(b"").has_pop)
        client_private = unhex(case["client_private_key_hex"])
        shared = x25519.x25519(client_private, unhex(case["device_public_key_hex"]))
        self.assertEqual(shared, unhex(case["session_key_hex"]))
        stream = AesCtr(shared, unhex(case["device_random_hex"]))
        self.assertEqual(len(stream.crypt(b"\x00" * 32)), 32)


if __name__ == "__main__":
    unittest.main()
