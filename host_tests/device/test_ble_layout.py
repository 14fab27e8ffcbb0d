"""BLE layout (wifiprov.ble_layout): characteristic UUIDs, endpoint ids and advertising payloads, byte for byte."""

import unittest
from binascii import unhexlify

from wifiprov import ble_layout

EXAMPLE = "021a9004-0382-4aea-bff4-6b3f1c5adfb4"
# PROTOCOL.md §8.2, "example app characteristic UUID" table.
EXAMPLE_CHARACTERISTICS = (
    ("prov-ctrl", "021aff4f-0382-4aea-bff4-6b3f1c5adfb4"),
    ("prov-scan", "021aff50-0382-4aea-bff4-6b3f1c5adfb4"),
    ("prov-session", "021aff51-0382-4aea-bff4-6b3f1c5adfb4"),
    ("prov-config", "021aff52-0382-4aea-bff4-6b3f1c5adfb4"),
    ("proto-ver", "021aff53-0382-4aea-bff4-6b3f1c5adfb4"),
    ("custom-data", "021aff54-0382-4aea-bff4-6b3f1c5adfb4"),
)
MANAGER_ORDER = ["prov-ctrl", "prov-scan", "prov-session", "prov-config", "proto-ver"]
# The example UUID's 16 bytes as they go on the air (little endian), written out by hand.
EXAMPLE_LE = unhexlify("b4df5a1c3f6bf4bfea4a820304901a02")


class CharacteristicUuidTest(unittest.TestCase):
    def test_example_table(self):
        ids = ble_layout.endpoint_ids(MANAGER_ORDER + ["custom-data"])
        got = [(name, ble_layout.endpoint_uuid(EXAMPLE, endpoint_id)) for name, endpoint_id in ids]
        self.assertEqual(got, list(EXAMPLE_CHARACTERISTICS))

    def test_default_service_uuid(self):
        # ESP-IDF's own default service UUID: the id replaces characters 5-8 only.
        self.assertEqual(ble_layout.endpoint_uuid("1775244d-6b43-439b-877c-060f2d9bed07", 0xFF51),
                         "1775ff51-6b43-439b-877c-060f2d9bed07")

    def test_upper_case_service_uuid_is_normalised(self):
        self.assertEqual(ble_layout.endpoint_uuid(EXAMPLE.upper(), 0xFF53), "021aff53-0382-4aea-bff4-6b3f1c5adfb4")

    def test_little_endian_bytes_hold_the_id_at_offsets_12_and_13(self):
        self.assertEqual(ble_layout.uuid_bytes(EXAMPLE), EXAMPLE_LE)
        char = ble_layout.uuid_bytes(ble_layout.endpoint_uuid(EXAMPLE, 0xFF52))
        self.assertEqual(char[12:14], b"\x52\xff")
        self.assertEqual(char[:12] + char[14:], EXAMPLE_LE[:12] + EXAMPLE_LE[14:])

    def test_bad_uuid_text(self):
        for text in ("021a9004-0382-4aea-bff4-6b3f1c5adfb", "021a9004x0382-4aea-bff4-6b3f1c5adfb4",
                     "021a9004-0382-4aea-bff4-6b3f1c5adfbg", ""):
            with self.assertRaises(ValueError):
                ble_layout.uuid_bytes(text)


class EndpointIdTest(unittest.TestCase):
    def test_builtin_ids_are_fixed_and_custom_ones_follow_in_creation_order(self):
        names = MANAGER_ORDER + ["custom-data", "other", "third"]
        self.assertEqual([i for _, i in ble_layout.endpoint_ids(names)],
                         [0xFF4F, 0xFF50, 0xFF51, 0xFF52, 0xFF53, 0xFF54, 0xFF55, 0xFF56])

    def test_builtin_ids_do_not_depend_on_position(self):
        self.assertEqual(ble_layout.endpoint_ids(["mine", "proto-ver", "prov-session"]),
                         [("mine", 0xFF54), ("proto-ver", 0xFF53), ("prov-session", 0xFF51)])


class AdvertisingTest(unittest.TestCase):
    def test_advertising_data_is_flags_then_the_one_service_uuid(self):
        payload = ble_layout.advertising_data(EXAMPLE)
        self.assertEqual(payload, b"\x02\x01\x06" + b"\x11\x07" + EXAMPLE_LE)
        self.assertEqual(len(payload), 21)

    def test_scan_response_is_the_name(self):
        self.assertEqual(ble_layout.scan_response("PROV_261FCC"), b"\x0c\x09PROV_261FCC")

    def test_manufacturer_data_follows_the_name_cut_to_fit(self):
        payload = ble_layout.scan_response("PROV_261FCC", b"\xe5\x02" + b"x" * 40)
        self.assertEqual(len(payload), 31)
        self.assertEqual(payload[:13], b"\x0c\x09PROV_261FCC")
        self.assertEqual(payload[13:17], b"\x11\xff\xe5\x02")
        self.assertEqual(payload[17:], b"x" * 14)

    def test_short_manufacturer_data_is_whole(self):
        self.assertEqual(ble_layout.scan_response("P", b"\x01\x02\x03"), b"\x02\x09P\x04\xff\x01\x02\x03")

    def test_manufacturer_data_is_left_out_when_the_name_leaves_no_room(self):
        name = "N" * 27  # 29 bytes of name structure: 2 left, not enough for a structure with data
        self.assertEqual(ble_layout.scan_response(name, b"\x01\x02\x03"), b"\x1c\x09" + name.encode())

    def test_longest_name_fills_the_scan_response(self):
        name = "PROV_" + "A" * 24
        payload = ble_layout.scan_response(name)
        self.assertEqual(len(payload), ble_layout.PAYLOAD_MAX)

    def test_a_name_that_cannot_fit_is_refused(self):
        with self.assertRaises(ValueError):
            ble_layout.scan_response("PROV_" + "A" * 25)
        with self.assertRaises(ValueError):
            ble_layout.scan_response("")

    def test_utf8_name_is_measured_in_bytes(self):
        with self.assertRaises(ValueError):
            ble_layout.scan_response("\u00e9" * 15)  # 15 characters, 30 bytes
        self.assertEqual(len(ble_layout.scan_response("\u00e9" * 14)), 30)

    def test_ad_fields_round_trip(self):
        payload = ble_layout.advertising_data(EXAMPLE) + ble_layout.scan_response("PROV_1", b"\x02\x00")
        self.assertEqual(ble_layout.ad_fields(payload),
                         [(0x01, b"\x06"), (0x07, EXAMPLE_LE), (0x09, b"PROV_1"), (0xFF, b"\x02\x00")])

    def test_ad_fields_rejects_a_truncated_structure(self):
        with self.assertRaises(ValueError):
            ble_layout.ad_fields(b"\x02\x01\x06\x05\x09ab")
        with self.assertRaises(ValueError):
            ble_layout.ad_fields(b"\x00\x01")
