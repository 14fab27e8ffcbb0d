"""Protobuf codec: every vectors/protobuf.json example byte for byte, and malformed input."""

import unittest

from devtest import load_vectors, unhex
from wifiprov import pbcodec, pbenums, pbmessages
from wifiprov.pbcodec import CodecError

# pbcodec's field kinds (host_tests/host/test_codegen.py checks them against the generator).
_K_MSG = 5
_REPEATED = 8

_ENUM_FIELDS = ("sec_ver", "msg", "status", "sta_state", "fail_reason", "auth_mode", "auth")


def to_values(fields):
    """Vector field notation (enum names, {"hex": ..}, nested objects) to codec dicts."""
    out = {}
    for name, value in fields.items():
        out[name] = _convert(name, value)
    return out


def _convert(name, value):
    if isinstance(value, list):
        return [_convert(name, item) for item in value]
    if isinstance(value, dict):
        if "hex" in value and len(value) == 1:
            return unhex(value["hex"])
        return to_values(value)
    if isinstance(value, str) and name in _ENUM_FIELDS:
        return getattr(pbenums, value)
    return value


def _normalise(table, values):
    """Drop default-valued scalars so a decoded dict compares with the vector's fields."""
    out = {}
    for field in table:
        name = field[1]
        if name not in values:
            continue
        value = values[name]
        kind = field[2] & 7
        if field[2] & _REPEATED:
            value = [_normalise(field[3], v) if kind == _K_MSG else v for v in value]
        elif kind == _K_MSG:
            value = _normalise(field[3], value)
        elif not field[4] and not value:
            continue
        out[name] = value
    return out


class VectorReplay(unittest.TestCase):
    def test_every_example_encodes_and_decodes_byte_exact(self):
        examples = load_vectors("protobuf.json")["examples"]
        self.assertEqual(len(examples), 48)
        for example in examples:
            table = getattr(pbmessages, example["type"])
            values = to_values(example["fields"])
            wire = unhex(example["hex"])
            self.assertEqual(pbcodec.encode(table, values), wire, example["name"])
            decoded = pbcodec.decode(table, wire)
            self.assertEqual(_normalise(table, decoded), _normalise(table, values), example["name"])
            self.assertEqual(pbcodec.encode(table, decoded), wire, example["name"])


class Semantics(unittest.TestCase):
    def test_negative_int32_is_ten_byte_varint(self):
        wire = pbcodec.encode(pbmessages.WiFiScanResult, {"rssi": -1})
        self.assertEqual(wire, b"\x18" + b"\xff" * 9 + b"\x01")
        self.assertEqual(pbcodec.decode(pbmessages.WiFiScanResult, wire), {"rssi": -1})

    def test_oneof_member_written_even_when_zero(self):
        values = {"sta_state": pbenums.ConnectionFailed, "fail_reason": pbenums.AuthError}
        self.assertEqual(pbcodec.encode(pbmessages.RespGetStatus, values), b"\x10\x03\x50\x00")

    def test_later_oneof_member_replaces_earlier(self):
        wire = b"\x50\x01" + b"\x62\x02\x08\x04"  # fail_reason then attempt_failed
        decoded = pbcodec.decode(pbmessages.RespGetStatus, wire)
        self.assertEqual(decoded, {"attempt_failed": {"attempts_remaining": 4}})

    def test_unknown_fields_of_every_wire_type_are_skipped(self):
        unknown = (
            b"\x78\x96\x01"  # 15: varint
            + b"\x79" + b"\x00" * 8  # 15: fixed64
            + b"\x7a\x03abc"  # 15: length-delimited
            + b"\x7d" + b"\x00" * 4  # 15: fixed32
            + b"\x7b\x08\x01\x7c"  # 15: group holding a varint
        )
        decoded = pbcodec.decode(pbmessages.CmdScanResult, unknown + b"\x10\x04")
        self.assertEqual(decoded, {"count": 4})

    def test_any_field_order_accepted(self):
        wire = b"\x12\x02pw\x0a\x02id"
        decoded = pbcodec.decode(pbmessages.CmdSetConfig, wire)
        self.assertEqual(decoded, {"ssid": b"id", "passphrase": b"pw"})

    def test_uint32_keeps_low_32_bits(self):
        wire = b"\x08" + b"\xff" * 9 + b"\x01"
        self.assertEqual(pbcodec.decode(pbmessages.CmdScanResult, wire), {"start_index": 0xFFFFFFFF})

    def test_repeated_singular_submessage_merges(self):
        wire = b"\x62\x03\x0a\x01\x01" + b"\x62\x03\x12\x01\x01"
        decoded = pbcodec.decode(pbmessages.WiFiConfigPayload, wire + b"\x62\x00")
        self.assertEqual(decoded, {"cmd_set_config": {"ssid": b"\x01", "passphrase": b"\x01"}})

    def test_encode_rejects_unknown_field_name(self):
        with self.assertRaises(CodecError):
            pbcodec.encode(pbmessages.CmdSetConfig, {"password": b"x"})

    def test_decoded_bytes_do_not_alias_the_input(self):
        data = bytearray(b"\x0a\x02id")
        decoded = pbcodec.decode(pbmessages.CmdSetConfig, data)
        data[2] = 0
        self.assertEqual(decoded["ssid"], b"id")


class Malformed(unittest.TestCase):
    CASES = (
        ("truncated varint value", pbmessages.CmdScanResult, b"\x08\x96"),
        ("truncated key", pbmessages.CmdScanResult, b"\x88"),
        ("varint over 10 bytes", pbmessages.CmdScanResult, b"\x08" + b"\x80" * 10 + b"\x01"),
        ("length past the end", pbmessages.CmdSetConfig, b"\x0a\x05abc"),
        ("huge length prefix", pbmessages.CmdSetConfig, b"\x0a\xff\xff\xff\xff\x0f"),
        ("wrong wire type for bytes", pbmessages.CmdSetConfig, b"\x08\x01"),
        ("wrong wire type for varint", pbmessages.CmdScanResult, b"\x0a\x01\x00"),
        ("wrong wire type for message", pbmessages.SessionData, b"\x50\x01"),
        ("field number zero", pbmessages.CmdSetConfig, b"\x02\x00"),
        ("invalid wire type 6", pbmessages.CmdSetConfig, b"\x0e"),
        ("invalid wire type 7", pbmessages.CmdSetConfig, b"\x0f"),
        ("stray end group", pbmessages.CmdSetConfig, b"\x7c"),
        ("unterminated group", pbmessages.CmdSetConfig, b"\x7b\x08\x01"),
        ("mismatched end group", pbmessages.CmdSetConfig, b"\x7b\x74"),
        ("truncated fixed64", pbmessages.CmdSetConfig, b"\x79\x00\x00"),
        ("truncated fixed32", pbmessages.CmdSetConfig, b"\x7d\x00"),
        ("groups nested too deep", pbmessages.CmdSetConfig, b"\x7b" * 20 + b"\x7c" * 20),
        ("submessage length past its parent", pbmessages.SessionData, b"\x5a\x02\x0a\x05abcde"),
        ("invalid UTF-8 string", pbmessages.WifiConnectedState, b"\x0a\x02\xc3\x28"),
        ("malformed nested payload", pbmessages.WiFiScanPayload, b"\x7a\x03\x0a\x05\x0a"),
    )

    def test_every_malformation_raises_codec_error(self):
        for name, table, wire in self.CASES:
            try:
                pbcodec.decode(table, wire)
            except CodecError:
                continue
            except Exception as exc:  # any other type is a leak of an internal error
                self.fail("%s: raised %r instead of CodecError" % (name, exc))
            self.fail("%s: accepted" % name)

    def test_codec_error_is_a_value_error(self):
        self.assertTrue(issubclass(CodecError, ValueError))

    def test_every_truncation_of_a_valid_message_is_clean(self):
        example = unhex(
            "10015a390801aa01341220702e01afd1f9c3f3b1ca41202f1b76268ea86d4392bd9da7868ebf563bc25040"
            "1a10068b19e5e2d03622692c620c59365f05"
        )
        self.assertEqual(pbcodec.decode(pbmessages.SessionData, example)["sec1"]["sr0"]["device_random"][:2], b"\x06\x8b")
        for cut in range(len(example)):
            try:
                pbcodec.decode(pbmessages.SessionData, example[:cut])
            except CodecError:
                pass


if __name__ == "__main__":
    unittest.main()
