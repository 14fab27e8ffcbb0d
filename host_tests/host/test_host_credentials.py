"""--sec2_gen_cred: salt/verifier generation like esp_prov (x-stripping quirk included), warnings, output forms."""

import hashlib
import io
import json

import pytest
from devtest import FixedRandom, load_vectors, unhex

from wifiprov_host import cli, credentials

SEC2 = load_vectors("sec2.json")
N = int(SEC2["group"]["N_hex"], 16)
SALT = bytes.fromhex("8d0b5e3a1f2c4d6e7f8091a2b3c4d5e6")


def esp_prov_verifier(username, password, salt):
    """esp_prov's formula written out: x = H(bytes(int(salt)) ‖ bytes(int(H(I:P)))), v = g^x mod N, minimal bytes."""
    inner = hashlib.sha512(username + b":" + password).digest()
    x = int.from_bytes(hashlib.sha512(salt.lstrip(b"\x00") + inner.lstrip(b"\x00")).digest(), "big")
    v = pow(5, x, N)
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def test_wifiprov_pw69_hits_the_quirk_and_matches_esp_prov():
    assert hashlib.sha512(b"wifiprov:pw69").digest()[0] == 0  # the documented 1-in-256 pair
    creds = credentials.generate("wifiprov", "pw69", 16, FixedRandom(SALT))
    assert creds.salt == SALT
    assert creds.verifier == esp_prov_verifier(b"wifiprov", b"pw69", SALT)
    # the textbook (phone app) formula gives another verifier, hence the warning
    inner = hashlib.sha512(b"wifiprov:pw69").digest()
    textbook = pow(5, int.from_bytes(hashlib.sha512(SALT + inner).digest(), "big"), N)
    assert creds.verifier != textbook.to_bytes(384, "big").lstrip(b"\x00")
    assert any("phone apps will fail" in w for w in creds.warnings)


def test_ordinary_pair_has_no_warning():
    creds = credentials.generate("wifiprov", "abcd1234", 16, FixedRandom(SALT))
    assert creds.warnings == []
    assert creds.verifier == esp_prov_verifier(b"wifiprov", b"abcd1234", SALT)


def test_example_app_verifier():
    assert credentials.make_verifier("wifiprov", "abcd1234", bytes.fromhex("036ee0c7bcb9eda84c9eac97d93decf4")) == \
        unhex(SEC2["example_app_verifier_hex"])


@pytest.mark.parametrize("case", [c for c in SEC2["cases"] + SEC2["negative_cases"] if not c["salt_hex"].startswith("00")],
                         ids=lambda c: c["name"])
def test_vector_verifiers_reproduce(case):
    # every stored verifier in the vectors was made by esp_prov's generator (UTF-8 username and password)
    assert credentials.make_verifier(case["username"], case["password"], unhex(case["salt_hex"])) == \
        unhex(case["verifier_hex"])


def test_salts_starting_with_zero_are_refused_or_redrawn():
    with pytest.raises(ValueError, match="0x00"):
        credentials.make_verifier("wifiprov", "abcd1234", bytes.fromhex("00fa2f5fbdc659ab84e45c9c542f5fe1"))
    creds = credentials.generate("u", "p", 16, FixedRandom(b"\x00" + SALT[1:], SALT))
    assert creds.salt == SALT


def test_non_ascii_username_warning_and_bad_lengths():
    assert any("Latin-1" in w for w in credentials.credential_warnings("josé", "abcd1234"))
    with pytest.raises(ValueError):
        credentials.generate("u", "p", 0)
    with pytest.raises(ValueError):
        credentials.generate("", "p", 16)


def test_c_arrays_have_esp_prov_layout():
    text = credentials.c_arrays(bytes(range(1, 17)), bytes([0xAB]) * 20)
    lines = text.splitlines()
    assert lines[0] == "static const char sec2_salt[] = {"
    assert lines[1] == "    " + ", ".join("0x%02x" % b for b in range(1, 17))[:96]
    assert "static const char sec2_verifier[] = {" in lines
    assert text.rstrip().endswith("};")


def gen_cred(argv, random):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--sec2_gen_cred"] + argv, random_bytes=random, stdout=out, stderr=err,
                    transport_factory=lambda args: pytest.fail("no device is needed"))
    return code, out.getvalue(), err.getvalue()


def test_cli_gen_cred_prints_c_arrays_and_config_entry():
    code, out, err = gen_cred(["--sec2_username", "wifiprov", "--sec2_pwd", "pw69"], FixedRandom(SALT))
    assert code == 0
    verifier = esp_prov_verifier(b"wifiprov", b"pw69", SALT)
    assert "static const char sec2_salt[] = {\n    0x8d, 0x0b," in out
    assert '"sec2_salt": "%s"' % SALT.hex() in out and '"sec2_verifier": "%s"' % verifier.hex() in out
    assert "warning: H(username:password) starts with a zero byte" in err


def test_cli_gen_cred_json_and_write_config(tmp_path):
    path = tmp_path / "wifiprov.json"
    path.write_text(json.dumps({"transport": "ble", "security": 1, "sec2_password": "dev"}))
    code, out, err = gen_cred(["--sec_ver", "2", "--sec2_username", "admin", "--sec2_pwd", "secret",
                               "--sec2_salt_len", "20", "--json", "--write-config", str(path)],
                              FixedRandom(bytes(range(1, 21))))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["step"] == "sec2_gen_cred" and lines[0]["salt_hex"] == bytes(range(1, 21)).hex()
    assert lines[0]["verifier_hex"] == esp_prov_verifier(b"admin", b"secret", bytes(range(1, 21))).hex()
    assert lines[-1] == {"step": "result", "ok": True, "exit_code": 0}
    config = json.loads(path.read_text())
    assert config == {"transport": "ble", "security": 2, "sec2_username": "admin",
                      "sec2_salt": lines[0]["salt_hex"], "sec2_verifier": lines[0]["verifier_hex"]}


def test_written_config_is_accepted_by_the_device_config_loader(tmp_path):
    config = pytest.importorskip("wifiprov.config")
    path = tmp_path / "wifiprov.json"
    path.write_text(json.dumps({"transport": "softap", "sec2_password": "dev"}))
    credentials.write_config(str(path), credentials.generate("admin", "secret"))
    settings = config.load(str(path))
    assert settings["security"] == 2 and settings["sec2_username"] == "admin"
    assert settings["sec2_verifier"] == json.loads(path.read_text())["sec2_verifier"]
