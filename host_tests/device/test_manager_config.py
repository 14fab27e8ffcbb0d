"""The settings file the manager is built from: defaults, merging, and every way to get it wrong."""

import os
import unittest

from wifiprov import config


def _scratch(name):
    try:
        import tempfile
    except ImportError:  # MicroPython: the runner's file system root is writable
        return "/" + name
    return tempfile.mkdtemp() + "/" + name


def _has_bluetooth():
    try:
        import bluetooth  # noqa: F401
    except ImportError:
        return False
    return True


class Defaults(unittest.TestCase):
    def test_missing_file_gives_the_documented_defaults(self):
        lines = []
        settings = config.load(_scratch("absent.json"), lines.append)
        expected_transport = "ble" if _has_bluetooth() else "softap"
        self.assertEqual(settings["transport"], expected_transport)
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("transport: " + expected_transport + " (default: "))
        self.assertEqual(settings["security"], 1)
        self.assertEqual(settings["pop"], "abcd1234")
        self.assertEqual(settings["sec2_username"], "wifiprov")
        self.assertIsNone(settings["sec2_password"])
        self.assertEqual(settings["sec2_salt"], "036ee0c7bcb9eda84c9eac97d93decf4")
        self.assertEqual(len(settings["sec2_verifier"]), 768)
        self.assertIsNone(settings["service_name"])
        self.assertEqual(settings["service_prefix"], "PROV_")
        self.assertIsNone(settings["softap_password"])
        self.assertEqual(settings["http_port"], 80)
        self.assertEqual(settings["wifi_conn_attempts"], 5)
        self.assertEqual(settings["scan_max_entries"], 16)
        self.assertTrue(settings["auto_stop"])
        self.assertEqual(settings["auto_stop_delay_ms"], 1000)
        self.assertTrue(settings["reset_on_failure"])
        self.assertEqual(settings["app_info"], [])
        self.assertFalse(settings["show_qr"])
        self.assertEqual(settings["ble_service_uuid"], "021a9004-0382-4aea-bff4-6b3f1c5adfb4")
        self.assertFalse(settings["keep_ble"])
        self.assertFalse(settings["ble_force_encryption"])
        self.assertEqual(settings["auth_free_failures"], 3)
        self.assertEqual(settings["auth_backoff_ms"], 2000)
        self.assertEqual(settings["auth_backoff_max_ms"], 60000)
        self.assertEqual(settings["auth_max_failures"], 10)
        self.assertIsNone(settings["unlock_button_pin"])
        self.assertEqual(settings["handshake_burst"], 3)
        self.assertEqual(settings["handshake_refill_ms"], 30000)
        self.assertEqual(settings["sec2_table_width"], 4)
        self.assertFalse(settings["improv_ble"])
        self.assertFalse(settings["improv_serial"])
        self.assertIsNone(settings["improv_redirect_url"])
        self.assertEqual(len(settings), 32)

    def test_defaults_are_fresh_copies(self):
        a = config.defaults()
        a["app_info"].append("x")
        self.assertEqual(config.defaults()["app_info"], [])


class _SettingsFile(unittest.TestCase):
    """A scratch settings file per test: ``_write(text)`` returns its path."""

    def setUp(self):
        self.path = _scratch("wifiprov_settings.json")

    def tearDown(self):
        try:
            os.remove(self.path)
        except OSError:
            pass

    def _write(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        return self.path


class FromFile(_SettingsFile):
    def _load(self, text):
        return config.load(self._write(text))

    def test_values_override_defaults(self):
        settings = self._load(
            '{"transport": "softap", "security": 0, "service_name": "Lamp", "softap_password": "12345678",'
            ' "wifi_conn_attempts": 0, "auto_stop": false,'
            ' "app_info": [{"label": "my_app", "ver": "1.0.2", "cap": ["cloud"]}]}'
        )
        self.assertEqual((settings["transport"], settings["security"], settings["service_name"]), ("softap", 0, "Lamp"))
        self.assertEqual(settings["wifi_conn_attempts"], 0)
        self.assertFalse(settings["auto_stop"])
        self.assertEqual(settings["app_info"][0]["cap"], ["cloud"])
        self.assertEqual(settings["pop"], "abcd1234")

    def test_not_json_or_not_an_object(self):
        for text in ("{", "[1, 2]", "nul"):
            with self.assertRaises(ValueError):
                self._load(text)

    def test_sec2_password_alone_means_dev_mode(self):
        settings = self._load('{"security": 2, "sec2_password": "pw69"}')
        self.assertIsNone(settings["sec2_salt"])
        self.assertIsNone(settings["sec2_verifier"])
        self.assertEqual(settings["sec2_password"], "pw69")


class Errors(unittest.TestCase):
    def _bad(self, given, fragment):
        with self.assertRaises(ValueError) as ctx:
            config.merge(given)
        self.assertIn(fragment, str(ctx.exception))

    def test_unknown_key_is_named(self):
        self._bad({"secruity": 1}, "secruity")

    def test_wrong_types(self):
        self._bad({"security": "1"}, "security")
        self._bad({"security": True}, "security")
        self._bad({"auto_stop": 1}, "auto_stop")
        self._bad({"pop": 1234}, "pop")
        self._bad({"app_info": {}}, "app_info")
        self._bad({"service_prefix": None}, "service_prefix")
        self._bad({"transport": 5}, "transport")

    def test_bad_values(self):
        self._bad({"transport": "wifi"}, "transport")
        self._bad({"security": 3}, "security")
        self._bad({"http_port": 0}, "http_port")
        self._bad({"scan_max_entries": 0}, "scan_max_entries")
        self._bad({"scan_max_entries": 256}, "scan_max_entries")
        self._bad({"wifi_conn_attempts": -1}, "wifi_conn_attempts")
        self._bad({"auto_stop_delay_ms": 99}, "auto_stop_delay_ms")
        self._bad({"softap_password": "short"}, "softap_password")
        self._bad({"service_name": ""}, "service_name")
        self._bad({"service_name": "x" * 33}, "service_name")
        self._bad({"ble_service_uuid": "021a9004"}, "ble_service_uuid")
        self._bad({"app_info": [{"label": "prov", "ver": "1", "cap": []}]}, "prov")
        self._bad({"app_info": [{"label": "a", "ver": "1"}]}, "app_info")
        self._bad({"app_info": [{"label": "a", "ver": "1", "cap": [1]}]}, "cap")

    def test_sec2_combinations(self):
        self._bad({"sec2_salt": "0102"}, "together")
        self._bad({"sec2_password": "p", "sec2_salt": "0102", "sec2_verifier": "03"}, "either")
        self._bad({"sec2_salt": "zz", "sec2_verifier": "03"}, "hex")
        self._bad({"sec2_salt": "00ff", "sec2_verifier": "03"}, "zero byte")
        self._bad({"security": 2, "sec2_salt": None, "sec2_verifier": None}, "security 2")
        settings = config.merge({"security": 2, "sec2_salt": "0102", "sec2_verifier": "0304"})
        self.assertEqual((settings["sec2_salt"], settings["sec2_verifier"]), ("0102", "0304"))

    def test_extreme_but_valid(self):
        settings = config.merge(
            {"transport": "softap", "softap_password": "x" * 64, "service_name": "x" * 32, "http_port": 65535,
             "wifi_conn_attempts": 255, "scan_max_entries": 255, "auto_stop_delay_ms": 100, "pop": None}
        )
        self.assertIsNone(settings["pop"])
        self.assertEqual(config.merge({"transport": "ble", "service_name": "x" * 29})["service_name"], "x" * 29)
        self.assertEqual(config.merge({"transport": "ble", "service_prefix": "p" * 23})["service_prefix"], "p" * 23)
        self.assertEqual(config.merge({"transport": "softap", "service_prefix": "p" * 26})["service_prefix"], "p" * 26)

    def test_ble_name_limit_is_the_advertising_payload(self):
        # 29 bytes: a Complete Local Name alone fills the 31-byte scan response.
        self._bad({"transport": "ble", "service_name": "x" * 30}, "service_name must be at most 29 bytes over BLE")
        self._bad({"transport": "ble", "service_name": "\u00e9" * 15}, "not 30")
        self._bad({"transport": "ble", "service_prefix": "p" * 24}, "service_prefix must be at most 23 bytes")
        self._bad({"transport": "softap", "service_prefix": "p" * 27}, "service_prefix must be at most 26 bytes")
        self.assertEqual(config.merge({"transport": "ble", "service_name": "n", "service_prefix": "p" * 40})
                         ["service_name"], "n")

    def test_improv_settings(self):
        self._bad({"improv_ble": "yes"}, "improv_ble")
        self._bad({"improv_serial": 1}, "improv_serial")
        self._bad({"transport": "none"}, 'transport "none" needs improv_ble or improv_serial')
        self._bad({"improv_redirect_url": ""}, "improv_redirect_url must be 1..128 bytes")
        self._bad({"improv_redirect_url": "http://" + "x" * 122}, "improv_redirect_url")
        # Improv alone on BLE advertises the name too.
        self._bad({"transport": "softap", "improv_ble": True, "service_name": "x" * 30}, "at most 29 bytes over BLE")
        settings = config.merge({"transport": "none", "improv_serial": True, "improv_redirect_url": "http://{ip}/"})
        self.assertEqual((settings["transport"], settings["improv_ble"]), ("none", False))
        self.assertIsNone(config.public_secret(settings))  # no Espressif client: the example PoP is unused

    def test_errors_name_their_setting(self):
        with self.assertRaises(config.SettingError) as ctx:
            config.merge({"transport": "ble", "service_name": "x" * 30})
        self.assertEqual(ctx.exception.key, "service_name")
        with self.assertRaises(config.SettingError) as ctx:
            config.merge({"pop": 5})
        self.assertEqual(ctx.exception.key, "pop")


class BoardFallback(_SettingsFile):
    """``load`` (what the board runs) keeps provisioning possible: harmless settings fall back."""

    def setUp(self):
        super().setUp()
        self.errors = []

    def _load(self, text):
        return config.load(self._write(text), None, self.errors.append)

    def test_too_long_ble_name_falls_back_to_the_default_name(self):
        settings = self._load('{"transport": "ble", "service_name": "%s", "security": 0}' % ("x" * 30))
        self.assertEqual((settings["transport"], settings["service_name"], settings["security"]), ("ble", None, 0))
        self.assertEqual(len(self.errors), 1)
        self.assertIn("service_name must be at most 29 bytes over BLE", self.errors[0])
        self.assertTrue(self.errors[0].endswith("; using the default"))

    def test_every_harmless_bad_value_is_reported_and_replaced(self):
        settings = self._load('{"http_port": 0, "scan_max_entries": "many", "show_qr": 1, "transport": "wifi"}')
        self.assertEqual((settings["http_port"], settings["scan_max_entries"], settings["show_qr"]), (80, 16, False))
        self.assertIn(settings["transport"], ("ble", "softap"))
        self.assertEqual(len(self.errors), 4)

    def test_bad_security_settings_still_stop_the_board(self):
        for text in ('{"security": 7}', '{"pop": 1234}', '{"softap_password": "short"}', '{"secruity": 2}',
                     '{"sec2_salt": "0102"}', '{"auth_max_failures": -1}'):
            with self.assertRaises(ValueError):
                self._load(text)
        self.assertEqual(self.errors, [])


if __name__ == "__main__":
    unittest.main()
