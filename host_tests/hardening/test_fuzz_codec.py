"""Property-based fuzzing of the device protobuf codec (lib/wifiprov/pbcodec.py) against the official
runtime: valid messages decode identically and re-encode byte for byte; hostile bytes (mutated
encodings, oneof swaps, huge length prefixes, overlong varints, deep nesting, garbage) raise
``CodecError`` and nothing else, are never read differently from the official runtime, and cost
memory linear in their size."""

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzzlib
from fuzzlib import MESSAGE_NAMES, PB, TABLES, device_normal, examples, official_parse, to_device, tried
from wifiprov import pbcodec

# Peak Python memory of one decode: at most K bytes per input byte plus C (CPython object sizes).
# The worst shape is empty repeated submessages (2 input bytes, one dict each), capped at 255 by
# the codec; C covers an exception's traceback and the interpreter's one-off caches.
K = 8
C = 16384


def _decode(name, data):
    """The device's reading of ``data``: a dict, or None after CodecError (any other exception fails)."""
    try:
        return pbcodec.decode(TABLES[name], data)
    except pbcodec.CodecError:
        return None


@settings(max_examples=examples(400))
@given(st.data())
def test_official_messages_decode_identically_and_reencode_byte_for_byte(data):
    name = data.draw(st.sampled_from(MESSAGE_NAMES), label="message")
    message = data.draw(fuzzlib.pb_messages(name), label="value")
    wire = message.SerializeToString()
    decoded = pbcodec.decode(TABLES[name], wire)
    assert decoded == to_device(message)
    assert pbcodec.encode(TABLES[name], decoded) == wire
    tried("codec: official message round trip")


@settings(max_examples=examples(1500))
@given(st.data())
def test_hostile_bytes_raise_only_codec_error_and_read_as_the_official_runtime_reads_them(data):
    name = data.draw(st.sampled_from(MESSAGE_NAMES), label="message")
    raw = data.draw(fuzzlib.hostile(name), label="bytes")
    decoded = _decode(name, raw)
    ok, official = official_parse(name, raw)
    if decoded is not None:
        if ok:
            assert device_normal(TABLES[name], decoded) == to_device(official)
        else:
            # The only input the device reads and the official runtime refuses: keys or length
            # prefixes longer than 5 bytes (same values, so harmless).
            assert fuzzlib.overlong_prefix(TABLES[name], raw), raw.hex()
        # What the device read, it can write again, and the official runtime reads that back alike.
        again = pbcodec.encode(TABLES[name], decoded)
        ok_again, official_again = official_parse(name, again)
        assert ok_again and to_device(official_again) == device_normal(TABLES[name], decoded)
    tried("codec: hostile bytes")


def _peak(name, data):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        _decode(name, data)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@settings(max_examples=examples(300))
@given(st.data())
def test_decode_memory_is_linear_in_the_input(data):
    name = data.draw(st.sampled_from(MESSAGE_NAMES), label="message")
    raw = data.draw(fuzzlib.hostile(name), label="bytes")
    peak = _peak(name, raw)
    assert peak <= K * len(raw) + C, "%d bytes for a %d-byte %s" % (peak, len(raw), name)
    tried("codec: memory bound")


def _nested_groups(depth, number=5):
    return bytes([number << 3 | 3]) * depth + bytes([number << 3 | 4]) * depth


# The largest inputs a transport lets through (4096 bytes) in their most expensive shapes.
WORST_CASES = [
    ("RespScanResult", b"\x0a\x00" * 2048),  # 2048 empty repeated submessages
    ("WiFiScanPayload", b"\x0a\x00" * 2048),  # 2048 merges of one singular submessage
    ("RespGetStatus", b"\x50\x01\x5a\x00" * 1024),  # 2048 oneof flips
    ("SessionData", b"\x5a\x00\x62\x00" * 1024),  # sec1/sec2 oneof flips
    ("SessionData", b"\x62\x84\x20" + b"\x12\x81\x20" + b"\x01" * 4097),  # payload cut short by 1
    ("CmdSetConfig", b"\x0a\x80\x20" + b"A" * 4096),
    ("CmdSetConfig", b"\x12\xff\xff\xff\xff\x0f" + b"A" * 4090),  # 4 GiB length prefix
    ("CmdSetConfig", b"\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  # 2**64 - 1 length prefix
    ("S0SessionCmd", _nested_groups(8)),  # deepest group the codec skips
    ("S0SessionCmd", _nested_groups(9)),  # one deeper: refused
    ("S0SessionCmd", _nested_groups(2048)),
    ("S0SessionCmd", b"\x2b" * 4096),  # groups never closed
    ("CmdScanResult", b"\x08" + b"\xff" * 9 + b"\x01"),  # 10-byte varint: read
    ("CmdScanResult", b"\x08" + b"\xff" * 10 + b"\x01"),  # 11 bytes: refused
    ("CmdScanResult", b"\x08" + b"\xff" * 4095),  # varint running to the end
    ("SessionData", b"\xa2\x06\x00" * 1365),  # unknown empty fields
    ("SessionData", b"\x00" * 4096),
    ("WiFiConfigPayload", b"\x62\x04\x0a\x02\xc3\x28"),  # invalid UTF-8 in a string: refused
]


@pytest.mark.parametrize("name,data", WORST_CASES, ids=["%s-%d" % (n, len(d)) for n, d in WORST_CASES])
def test_worst_case_inputs(name, data):
    decoded = _decode(name, data)
    ok, official = official_parse(name, data)
    if decoded is not None and ok:
        assert device_normal(TABLES[name], decoded) == to_device(official)
    peak = _peak(name, data)
    assert peak <= K * len(data) + C, "%d bytes for a %d-byte %s" % (peak, len(data), name)


def test_the_depth_limit_is_where_the_docs_say():
    assert _decode("S0SessionCmd", _nested_groups(8)) == {}
    assert _decode("S0SessionCmd", _nested_groups(9)) is None
    assert _decode("CmdScanResult", b"\x08" + b"\xff" * 9 + b"\x01") == {"start_index": 0xFFFFFFFF}
    assert _decode("CmdScanResult", b"\x08" + b"\xff" * 10 + b"\x01") is None


def test_every_table_has_its_official_message():
    assert sorted(TABLES) == sorted(PB)
    for name, table in TABLES.items():
        fields = PB[name].DESCRIPTOR.fields
        assert [(f[0], f[1]) for f in table] == sorted((f.number, f.name) for f in fields)
