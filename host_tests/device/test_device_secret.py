"""Per-device secrets (CPython and MicroPython): "random" PoP / SRP password made once, kept in NVS
beside the credentials, shown only to the caller (the QR payload), renewed only on request."""

import unittest

from binascii import unhexlify

from devtest import FixedRandom
from fakes import FakeEsp32
from wifiprov import config, device_secret, rand, srp_verifier
from wifiprov.store import NvsStore

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def _settings(**given):
    given.setdefault("transport", "softap")
    return config.merge(given)


class Records(unittest.TestCase):
    def test_round_trip_and_damage(self):
        fields = [b"", b"pw", bytes(range(256)) * 2]
        blob = device_secret.encode_record(fields)
        self.assertEqual(device_secret.decode_record(blob), fields)
        for damaged in (blob[:-1], blob[1:], b"", blob[:5], blob[:10] + bytes([blob[10] ^ 1]) + blob[11:]):
            self.assertIsNone(device_secret.decode_record(damaged))

    def test_secrets_use_the_alphabet_and_the_random_source(self):
        rand.set_source(FixedRandom(bytes(range(16))))
        try:
            self.assertEqual(device_secret.new_secret(), ALPHABET[:16])
        finally:
            rand.set_source(None)
        secret = device_secret.new_secret()
        self.assertEqual(len(secret), 16)
        self.assertTrue(all(ch in ALPHABET for ch in secret))


class Resolve(unittest.TestCase):
    def setUp(self):
        self.esp32 = FakeEsp32()
        self.log = []

    def _resolve(self, **given):
        return device_secret.resolve(_settings(**given), self.esp32, self.log.append)

    def test_random_pop_is_made_once_and_survives_credential_erase(self):
        first = self._resolve(security=1, pop="random")["pop"]
        self.assertEqual(len(first), 16)
        store = NvsStore(self.esp32)
        store.save(b"Home", b"pw-123456")
        store.erase()  # forgetting the Wi-Fi credentials keeps the secret
        self.assertEqual(self._resolve(security=1, pop="random")["pop"], first)
        self.assertEqual(len(self.log), 1)
        self.assertFalse(first in self.log[0])

    def test_forget_makes_the_next_start_draw_a_new_one(self):
        first = self._resolve(security=1, pop="random")["pop"]
        device_secret.forget(self.esp32)
        device_secret.forget(self.esp32)  # nothing left: still fine
        second = self._resolve(security=1, pop="random")["pop"]
        self.assertNotEqual(first, second)

    def test_only_the_configured_level_is_touched(self):
        settings = self._resolve(security=2, pop="random")
        self.assertEqual(settings["pop"], "random")
        self.assertEqual(settings["sec2_salt"], config.EXAMPLE_SEC2_SALT)
        settings = self._resolve(security=1, pop="fixed-pop")
        self.assertEqual(settings["pop"], "fixed-pop")
        self.assertEqual(self.log, [])

    def test_random_sec2_password_gets_a_verifier_derived_once(self):
        rand.set_source(FixedRandom(b"\x05" * 16, b"\x00" + b"\x11" * 15, b"\x22" * 16))
        try:
            settings = self._resolve(security=2, sec2_password="random")
        finally:
            rand.set_source(None)
        password = settings["sec2_password"]
        self.assertEqual(password, ALPHABET[5] * 16)
        salt = unhexlify(settings["sec2_salt"])
        self.assertEqual(salt, b"\x22" * 16)  # a salt starting with 0x00 is drawn again
        self.assertEqual(unhexlify(settings["sec2_verifier"]), srp_verifier.verifier("wifiprov", password, salt))
        again = self._resolve(security=2, sec2_password="random")  # no new derivation
        self.assertEqual((again["sec2_salt"], again["sec2_verifier"]), (settings["sec2_salt"], settings["sec2_verifier"]))
        self.assertEqual(len(self.log), 1)
        renamed = self._resolve(security=2, sec2_password="random", sec2_username="admin")
        self.assertEqual(renamed["sec2_password"], password)  # same password, verifier for the new name
        self.assertEqual(unhexlify(renamed["sec2_verifier"]),
                         srp_verifier.verifier("admin", password, unhexlify(renamed["sec2_salt"])))
        self.assertEqual(len(self.log), 2)
        for line in self.log:
            self.assertFalse(password in line)

    def test_a_damaged_record_is_replaced(self):
        first = self._resolve(security=1, pop="random")["pop"]
        nvs = self.esp32.NVS("wifiprov")
        nvs.set_blob("pop", b"WS\x01garbage")
        nvs.commit()
        self.assertNotEqual(self._resolve(security=1, pop="random")["pop"], first)


class PublicSecrets(unittest.TestCase):
    def test_the_examples_secrets_are_named(self):
        self.assertEqual(config.public_secret(_settings()), "pop")
        self.assertEqual(config.public_secret(_settings(security=2)), "sec2_password")
        self.assertEqual(config.public_secret(_settings(security=2, sec2_password="abcd1234")), "sec2_password")
        self.assertIsNone(config.public_secret(_settings(security=1, pop="random")))
        self.assertIsNone(config.public_secret(_settings(security=2, sec2_password="other")))
        self.assertIsNone(config.public_secret(_settings(security=0)))
        self.assertIsNone(config.public_secret(_settings(security=1, pop=None)))


if __name__ == "__main__":
    unittest.main()
