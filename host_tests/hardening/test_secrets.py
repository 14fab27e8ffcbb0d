"""Secrets on the console. Every virtual board of this suite is scanned when it powers off (the
``boards`` fixture): the Wi-Fi passphrases (right and wrong), the SRP password, wrong PoPs and
every session key the host client derived must never appear (as text or hex); the PoP and a
dev-mode SRP password only inside the QR payload / URL line. These scenarios add what the
others do not reach: QR drawing, every security level with failures of every kind, the
verifier, dev-mode SRP, a rejected 64-character passphrase."""

import json
import time

import pytest

from boardlib import (
    POP,
    SEC2_PASSWORD,
    SEC2_USER,
    WRONG_POP,
    KeyedSecurity1,
    boards,  # noqa: F401  (fixture)
    scan_for_secrets,
    session_key,
    started,
)
from fuzzlib import tried
from vboard_harness import HOME_PASSPHRASE, HOME_SSID, WRONG_PASSPHRASE
from wifiprov_host import credentials
from wifiprov_host import security as host_security

LONG_PASSPHRASE = "L" * 60 + "ong!"  # 64 characters: SetConfig rejects it


def _session(board, boards, security):
    client = board.client()
    client.establish_session(security)
    boards.extra_secrets.append(session_key(security))
    return client


def _every_kind_of_failure_then_success(board, boards, security, wrong_security):
    client = board.client()
    with pytest.raises(Exception):
        client.establish_session(wrong_security)
    client = _session(board, boards, security)
    assert client.custom_data(b"not a secret") == b"SUCCESS\x00"
    assert client.set_config(HOME_SSID.encode(), LONG_PASSPHRASE.encode()) == "InvalidArgument"
    assert client.set_config(HOME_SSID.encode(), WRONG_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    deadline = time.monotonic() + 30
    while client.get_status().state != "failed":
        assert time.monotonic() < deadline, "the wrong passphrase never failed"
        time.sleep(0.2)
    client = _session(board, boards, security)  # a phone retries on a new session
    assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=0.2, timeout=30).state == "connected"
    board.expect(r"app: Hello World!")
    tried("secrets: scenarios")


def test_sec1_with_qr_and_every_failure(boards):
    board = boards.boot("--sec", "1", "--pop", POP, "--qr", "--set", "wifi_conn_attempts=2", pop=POP)
    started(board)
    _every_kind_of_failure_then_success(board, boards, KeyedSecurity1(POP.encode()),
                                        host_security.Security1(WRONG_POP.encode()))
    assert "Scan this QR code" in board.console


def test_sec2_salt_and_verifier(boards):
    pair = credentials.generate(SEC2_USER, SEC2_PASSWORD)
    board = boards.boot("--sec2-user", SEC2_USER, "--sec2-salt", pair.salt.hex(), "--sec2-verifier",
                        pair.verifier.hex(), "--set", "wifi_conn_attempts=2")
    boards.extra_secrets.append(pair.verifier)
    started(board)
    _every_kind_of_failure_then_success(board, boards, host_security.Security2(SEC2_USER.encode(),
                                                                               SEC2_PASSWORD.encode()),
                                        host_security.Security2(SEC2_USER.encode(), b"nope-nope"))


def test_sec2_dev_mode_password_only_in_the_qr_line(boards):
    board = boards.boot("--sec", "2", "--set", "sec2_password=%s" % SEC2_PASSWORD, "--set", "wifi_conn_attempts=2",
                        pop=SEC2_PASSWORD)
    started(board)
    _every_kind_of_failure_then_success(board, boards, host_security.Security2(SEC2_USER.encode(),
                                                                               SEC2_PASSWORD.encode()),
                                        host_security.Security2(SEC2_USER.encode(), b"nope-nope"))
    assert '"username":"%s","pop":"%s"' % (SEC2_USER, SEC2_PASSWORD) in board.console
    assert "deriving a verifier" in board.console


def test_sec0(boards):
    board = boards.boot("--sec", "0", "--set", "wifi_conn_attempts=2")
    started(board)
    _every_kind_of_failure_then_success(board, boards, host_security.Security0(),
                                        host_security.Security1(WRONG_POP.encode()))


def test_the_scan_finds_planted_secrets():
    with pytest.raises(AssertionError):
        scan_for_secrets(["I (1) app: x " + HOME_PASSPHRASE], [HOME_PASSPHRASE])
    with pytest.raises(AssertionError):
        scan_for_secrets(["key " + b"\x01\x02secret".hex()], [b"\x01\x02secret"])
    with pytest.raises(AssertionError):
        scan_for_secrets(["pop " + POP], [], [POP])
    with pytest.raises(AssertionError):
        scan_for_secrets(['data={"pop":"%s"}' % POP, POP.encode().hex()], [], [POP])
    scan_for_secrets(['data={"pop":"%s"}' % POP, "I (2) app: fine"], [HOME_PASSPHRASE], [POP])


PUBLIC_WARNING = r"W \(\d+\) app: security %d with the example's public secret: anyone who has read the example " \
                 r"can provision this board; set \"%s\" in /wifiprov.json \(\"random\" makes one per device\)"


def test_the_examples_public_secrets_are_announced_without_the_secret(boards):
    board = boards.boot("--sec", "1", pop="abcd1234")
    board.expect(PUBLIC_WARNING % (1, "pop"))
    started(board)
    board = boards.boot("--sec", "2")
    board.expect(PUBLIC_WARNING % (2, "sec2_password"))
    started(board)
    for line in board.lines:  # the example's SRP password is not printed anywhere
        assert "abcd1234" not in line, line
    board = boards.boot("--sec", "1", "--pop", POP, pop=POP)
    started(board)
    assert "public secret" not in board.console


def _qr_payload(board):
    return json.loads(board.expect(r"qrcode\.html\?data=(\{.*\})$").group(1))


def test_random_pop_lives_in_nvs_and_provisions_from_the_qr_payload(boards):
    board = boards.boot("--sec", "1", "--set", "pop=random", "--set", "wifi_conn_attempts=2")
    board.expect(r"app: made a per-device PoP \(kept in NVS; it is in the QR payload\)")
    payload = _qr_payload(board)
    pop = payload["pop"]
    board.qr_only = [pop]
    assert len(pop) == 16 and pop != "random"
    board.power_off()
    board.boot()  # same board (same NVS): the same PoP, nothing new made
    assert _qr_payload(board)["pop"] == pop  # the URL line comes once the server listens
    proc = board.run_cli("--qr", json.dumps(payload), "--ssid", HOME_SSID, "--passphrase", HOME_PASSPHRASE,
                         "--service_name", board.address(), "--poll-interval", "0.3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    board.expect(r"app: Provisioning successful")


def test_random_sec2_password_derives_its_verifier_once(boards):
    board = boards.boot("--sec", "2", "--set", "sec2_password=random")
    payload = _qr_payload(board)
    password = payload["pop"]
    board.qr_only = [password]
    assert payload["username"] == "wifiprov" and len(password) == 16
    assert sum("deriving the SRP verifier" in line for line in board.lines) == 1
    board.power_off()
    lines_before = len(board.lines)
    board.boot()
    assert _qr_payload(board)["pop"] == password
    assert not any("deriving" in line for line in board.lines[lines_before:])
    security = host_security.Security2(b"wifiprov", password.encode())
    client = _session(board, boards, security)
    assert client.set_config(HOME_SSID.encode(), HOME_PASSPHRASE.encode()) == "Success"
    assert client.apply_config() == "Success"
    assert client.wait_connected(poll_interval=0.2, timeout=30).state == "connected"
