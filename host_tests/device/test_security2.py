"""Security 2 through protocomm: vectors/sec2.json byte for byte, leniency, and failures."""

import unittest

from devtest import load_vectors, unhex
from seclib import SESSION, make_protocomm, pin_random, replay_app_messages, replay_handshake, unpin_random
from wifiprov import pbcodec, pbmessages, version_info
from wifiprov.security import EVENT_CREDENTIALS_MISMATCH, EVENT_INVALID_PARAMS, EVENT_SETUP_OK
from wifiprov.security2 import Security2

VECTORS = load_vectors("sec2.json")
N = int(VECTORS["group"]["N_hex"], 16)
_VERIFIERS = {}


def _nonce_random(case):
    nonce = unhex(case["device_nonce_hex"])
    return nonce[:8] if case["sec_patch_ver"] == 1 else nonce


def _security(case, strict=False):
    key = (case["salt_hex"], case["verifier_hex"], case["sec_patch_ver"], strict)
    # The verifier's precomputation is the slow part; the cases share few pairs.
    if key not in _VERIFIERS:
        _VERIFIERS[key] = Security2(unhex(case["salt_hex"]), unhex(case["verifier_hex"]), case["sec_patch_ver"], strict)
    security = _VERIFIERS[key]
    security.on_event = None
    return security


def _device(case, strict=False):
    pin_random(unhex(case["b_hex"]), _nonce_random(case))
    security = _security(case, strict)
    pc, recorders = make_protocomm(security)
    pc.open_session(SESSION)
    return pc, recorders, security


def _cmd0(username, client_pubkey):
    return pbcodec.encode(
        pbmessages.SessionData,
        {"sec_ver": 2, "sec2": {"msg": 0, "sc0": {"client_username": username, "client_pubkey": client_pubkey}}},
    )


class Sec2Vectors(unittest.TestCase):
    def tearDown(self):
        unpin_random()

    def test_every_case_replays_byte_for_byte(self):
        self.assertEqual(len(VECTORS["cases"]), 8)
        for case in VECTORS["cases"]:
            pc, recorders, security = _device(case)
            self.assertTrue(replay_handshake(self, pc, case["handshake"], case["name"]))
            replay_app_messages(self, pc, recorders, case.get("app_messages", ()), case["name"])
            if case["sec_patch_ver"] == 1:
                self.assertEqual(version_info.render(2), case["proto_ver_response"].encode())

    def test_negative_cases_fail_where_the_vector_says(self):
        for case in VECTORS["negative_cases"]:
            strict = case["name"] == "A_has_leading_zero_strict_device"
            pc, _, _ = _device(case, strict)
            self.assertFalse(replay_handshake(self, pc, case["handshake"], case["name"]))

    def test_lenient_device_accepts_the_strict_cases_short_a(self):
        case = VECTORS["negative_cases"][0]
        self.assertEqual(case["A_length_as_sent"], 383)
        pc, _, _ = _device(case)
        cmd0 = unhex(case["handshake"][0]["hex"])
        self.assertIsNotNone(pc.handle(SESSION, "prov-session", cmd0))


class Sec2Negative(unittest.TestCase):
    def setUp(self):
        self.case = VECTORS["cases"][0]
        self.pc, self.recorders, self.security = _device(self.case)
        self.events = []
        self.security.on_event = self.events.append
        self.steps = [unhex(step["hex"]) for step in self.case["handshake"]]
        self.username = unhex(self.case["username_bytes_hex"])

    def tearDown(self):
        unpin_random()

    def _handshake_ok(self):
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[0]), self.steps[1])
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])

    def test_a_zero_and_a_multiple_of_n_are_rejected(self):
        for bad_a in (b"\x00" * 384, N.to_bytes(384, "big"), b"\x00", b"\x00" * 10):
            self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(self.username, bad_a)))
        self.assertEqual(self.events, [EVENT_INVALID_PARAMS] * 4)
        self._handshake_ok()

    def test_a_longer_than_384_bytes_is_rejected(self):
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(self.username, b"\x01" * 385)))
        self._handshake_ok()

    def test_empty_and_oversized_username_are_rejected(self):
        a = unhex(self.case["A_hex"])
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(b"", a)))
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", _cmd0(b"u" * 4000, a)))
        self._handshake_ok()

    def test_wrong_proof_then_right_proof(self):
        self.pc.handle(SESSION, "prov-session", self.steps[0])
        wrong = bytearray(self.steps[2])
        wrong[-1] ^= 0x80
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", bytes(wrong)))
        self.assertEqual(self.pc.handle(SESSION, "prov-session", self.steps[2]), self.steps[3])
        self.assertEqual(self.events, [EVENT_CREDENTIALS_MISMATCH, EVENT_SETUP_OK])

    def test_cmd1_before_cmd0_and_after_done(self):
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", self.steps[2]))
        self._handshake_ok()
        self.assertIsNone(self.pc.handle(SESSION, "prov-session", self.steps[2]))

    def test_sec1_payload_to_sec2_session(self):
        sec1_cmd0 = pbcodec.encode(
            pbmessages.SessionData, {"sec_ver": 1, "sec1": {"msg": 0, "sc0": {"client_pubkey": b"\x09" * 32}}}
        )
        sec1_member_with_sec2_ver = pbcodec.encode(
            pbmessages.SessionData, {"sec_ver": 2, "sec1": {"msg": 0, "sc0": {"client_pubkey": b"\x09" * 32}}}
        )
        for bad in (sec1_cmd0, sec1_member_with_sec2_ver, unhex("5203a20100"), b"\x12\x00\x12"):
            self.assertIsNone(self.pc.handle(SESSION, "prov-session", bad))
        self._handshake_ok()

    def test_gcm_tag_tampering_fails_without_advancing_the_counter(self):
        self._handshake_ok()
        message = self.case["app_messages"][0]
        cipher = unhex(message["ciphertext_hex"])
        for position in (0, len(cipher) - 1, len(cipher) - 16):
            tampered = bytearray(cipher)
            tampered[position] ^= 1
            self.assertIsNone(self.pc.handle(SESSION, "custom-data", bytes(tampered)))
        self.assertIsNone(self.pc.handle(SESSION, "custom-data", cipher[:15]))
        # the untampered request at the same counter still decrypts: the counter did not move
        replay_app_messages(self, self.pc, self.recorders, self.case["app_messages"], "after tampering")

    def test_requests_before_the_handshake_fail(self):
        message = self.case["app_messages"][0]
        self.assertIsNone(self.pc.handle(SESSION, "custom-data", unhex(message["ciphertext_hex"])))


if __name__ == "__main__":
    unittest.main()
