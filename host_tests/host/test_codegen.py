"""The generated codec tables are current, and the device codec agrees with the official runtime."""

import os
import random
import re
import subprocess
import sys

from wifiprov import pbcodec, pbenums, pbmessages

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_regenerating_tables_gives_identical_output():
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "gen_proto.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _folded_constants(path):
    """``{name: (value, "Enum.Value")}`` of a module's ``_NAME = const(N)  # Enum.Value`` lines."""
    found = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(_[A-Z0-9_]+) = const\((\d+)\)  # (\w+)\.(\w+)$", line)
            if m:
                found[m.group(1)] = (int(m.group(2)), m.group(3), m.group(4))
    return found


def test_the_librarys_folded_enum_values_match_the_schema():
    # The library does not import pbenums (its ~75 names would stay in the heap): each module
    # folds the values it uses into private constants, each naming its enum value.
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import gen_proto

    schema = dict(((enum, name), number) for enum, _, values in gen_proto.enum_values(gen_proto.load_descriptors())
                  for name, number in values)
    lib = os.path.join(ROOT, "lib", "wifiprov")
    checked = 0
    for module in sorted(os.listdir(lib)):
        if not module.endswith(".py") or module in ("pbenums.py", "pbmessages.py"):
            continue
        text = open(os.path.join(lib, module)).read()
        assert not re.search(r"^(from wifiprov import .*\bpbenums\b|from wifiprov.pbenums |import wifiprov.pbenums)",
                             text, re.M), module + " imports pbenums"
        for const_name, (value, enum, name) in _folded_constants(os.path.join(lib, module)).items():
            if enum in set(key[0] for key in schema):
                assert schema.get((enum, name)) == value, "%s: %s = %d, but %s.%s is %s" % (
                    module, const_name, value, enum, name, schema.get((enum, name)))
                assert getattr(pbenums, name) == value
                checked += 1
    assert checked >= 30


def test_the_codecs_field_kinds_are_the_generators():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import gen_proto

    folded = {}
    with open(os.path.join(ROOT, "lib", "wifiprov", "pbcodec.py")) as f:
        for line in f:
            m = re.match(r"^_(K_[A-Z0-9]+|REPEATED) = const\((\d+)\)$", line)
            if m:
                folded[m.group(1)] = int(m.group(2))
    assert folded == dict(gen_proto.KIND_VALUES, REPEATED=gen_proto.REPEATED_FLAG)


def _pb2():
    import wifiprov_host.pb  # noqa: F401  (puts the generated modules on sys.path)
    import wifi_scan_pb2
    import wifi_config_pb2

    return wifi_scan_pb2, wifi_config_pb2


def _random_scan_result(rng):
    entry = {}
    if rng.random() < 0.8:
        entry["ssid"] = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 33)))
    entry["channel"] = rng.choice([0, 1, 6, 13, 14, 165])
    entry["rssi"] = rng.randrange(-128, 1)
    entry["bssid"] = bytes(rng.randrange(256) for _ in range(6))
    entry["auth"] = rng.randrange(0, 8)
    return entry


def test_codec_matches_official_runtime_on_random_scan_results():
    wifi_scan_pb2, _ = _pb2()
    rng = random.Random(1234)
    for _ in range(300):
        entries = [_random_scan_result(rng) for _ in range(rng.randrange(0, 5))]
        values = {"msg": pbenums.TypeRespScanResult, "status": rng.choice([0, 0, 5]), "resp_scan_result": {"entries": entries}}
        official = wifi_scan_pb2.WiFiScanPayload()
        official.msg = values["msg"]
        official.status = values["status"]
        official.resp_scan_result.SetInParent()
        for entry in entries:
            official.resp_scan_result.entries.add(**entry)
        wire = official.SerializeToString()
        assert pbcodec.encode(pbmessages.WiFiScanPayload, values) == wire
        decoded = pbcodec.decode(pbmessages.WiFiScanPayload, wire)
        assert pbcodec.encode(pbmessages.WiFiScanPayload, decoded) == wire


def test_codec_matches_official_runtime_on_random_status_answers():
    _, wifi_config_pb2 = _pb2()
    rng = random.Random(99)
    for _ in range(300):
        official = wifi_config_pb2.WiFiConfigPayload(msg=pbenums.TypeRespGetStatus)
        status = official.resp_get_status
        status.sta_state = rng.randrange(0, 4)
        values = {"sta_state": status.sta_state}
        choice = rng.randrange(4)
        if choice == 1:
            status.fail_reason = values["fail_reason"] = rng.randrange(0, 2)
        elif choice == 2:
            status.attempt_failed.attempts_remaining = rng.randrange(0, 2**32)
            values["attempt_failed"] = {"attempts_remaining": status.attempt_failed.attempts_remaining}
        elif choice == 3:
            status.connected.ip4_addr = "10.0.%d.%d" % (rng.randrange(256), rng.randrange(256))
            status.connected.channel = rng.randrange(-5, 15)
            values["connected"] = {"ip4_addr": status.connected.ip4_addr, "channel": status.connected.channel}
        wire = official.SerializeToString()
        assert pbcodec.encode(pbmessages.WiFiConfigPayload, {"msg": pbenums.TypeRespGetStatus, "resp_get_status": values}) == wire
        assert pbcodec.decode(pbmessages.WiFiConfigPayload, wire)["resp_get_status"].get("sta_state", 0) == status.sta_state
