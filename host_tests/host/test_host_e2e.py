"""End to end: the CLI provisions the device core (manager + protocomm, lib/wifiprov) through the in-memory transport.

The board is the device tests' simulated one (host_tests/device/fakes.py): the vector's
five access points, simulated time that the CLI's ``sleep`` advances.
"""

import io
import json

import pytest
from devtest import load_vectors

try:
    from fakes import Board, access_points_from_vector
except ImportError as exc:  # the device core is developed alongside; without it there is nothing to drive
    pytest.skip("device core not importable: %s" % exc, allow_module_level=True)

from wifiprov_host import cli, credentials
from wifiprov_host.transport_memory import MemoryTransport

FLOWS = load_vectors("wifi_flow.json")


def make_board(security, transport="softap", **settings):
    board = Board(access_points_from_vector(FLOWS["access_points_radio_order"]), security=security,
                  transport=transport, **settings)
    board.manager.add_endpoint("custom-data", lambda session_id, data: b"SUCCESS\x00")
    board.manager.start()
    return board


def provision(board, argv, profile="http"):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv + ["--json"],
                    transport_factory=lambda args: MemoryTransport(board.manager.protocomm, profile=profile),
                    sleep=lambda seconds: board.run_for(int(seconds * 1000)), stdin=io.StringIO(),
                    stdout=out, stderr=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


CREDS = {0: [], 1: ["--pop", "abcd1234"], 2: ["--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234"]}


@pytest.mark.parametrize("profile", ["http", "ble"])
@pytest.mark.parametrize("security", [0, 1, 2])
def test_cli_provisions_the_device_core(security, profile):
    board = make_board(security, "softap" if profile == "http" else "ble")
    code, steps = provision(board, ["--transport", "softap", "--pick-strongest", "--passphrase", "mypassword",
                                    "--custom_data", "hello"] + CREDS[security], profile)
    assert code == 0, steps[-1]
    by_name = {s["step"]: s for s in steps}
    assert by_name["security"]["sec_ver"] == security and by_name["security"]["source"] == "proto-ver"
    assert by_name["custom_data"]["response_hex"] == b"SUCCESS\x00".hex()
    assert [ap["ssid"] for ap in by_name["scan"]["access_points"]][0] == "MyHomeWiFiAP"
    assert by_name["connected"]["ip4_addr"]
    assert board.store.load() == (b"MyHomeWiFiAP", b"mypassword")


def test_wrong_pop_is_exit_5():
    board = make_board(1)
    code, steps = provision(board, ["--transport", "softap", "--pop", "nope", "--ssid", "MyHomeWiFiAP",
                                    "--passphrase", "mypassword"])
    assert code == cli.EXIT_AUTH and "PoP" in steps[-1]["error"]


def test_wrong_sec2_password_is_exit_5():
    board = make_board(2)
    code, steps = provision(board, ["--transport", "softap", "--sec2_username", "wifiprov", "--sec2_pwd", "nope",
                                    "--ssid", "MyHomeWiFiAP", "--passphrase", "mypassword"])
    assert code == cli.EXIT_AUTH and "wrong username or password" in steps[-1]["error"]


def test_quirk_pair_from_our_generator_logs_in():
    # wifiprov/pw69 hits esp_prov's x-stripping quirk; generator and client agree with each other and the device.
    creds = credentials.generate("wifiprov", "pw69")
    board = make_board(2, sec2_salt=creds.salt.hex(), sec2_verifier=creds.verifier.hex())
    code, steps = provision(board, ["--transport", "softap", "--sec2_username", "wifiprov", "--sec2_pwd", "pw69",
                                    "--ssid", "MyHomeWiFiAP", "--passphrase", "mypassword"])
    assert code == 0, steps[-1]


def test_wrong_passphrase_then_new_one_in_the_same_session():
    board = make_board(1, wifi_conn_attempts=3)
    code, steps = provision(board, ["--transport", "softap", "--pop", "abcd1234", "--ssid", "MyHomeWiFiAP",
                                    "--passphrase", "wrongpassword", "--retry-passphrase", "mypassword",
                                    "--poll-interval", "2", "--failure-polls", "0"])
    assert code == 0, steps[-1]
    statuses = [s for s in steps if s["step"] == "status"]
    assert any(s["attempts_remaining"] is not None for s in statuses), statuses
    assert any(s["state"] == "failed" and s["fail_reason"] == "AuthError" for s in statuses)
    assert [s["step"] for s in steps].count("session") == 1
    assert board.store.load() == (b"MyHomeWiFiAP", b"mypassword")


# --- the host HTTP transport against the device's SoftAP server (lib/wifiprov/softap.py) ------------

def test_http_client_against_the_device_softap_server():
    softap_board = pytest.importorskip("softap_board")
    from wifiprov import config
    from wifiprov.security1 import Security1 as DeviceSecurity1
    from wifiprov.security2 import Security2 as DeviceSecurity2

    from wifiprov_host.client import ProvClient
    from wifiprov_host.security import Security1, Security2
    from wifiprov_host.transport import RequestFailed
    from wifiprov_host.transport_http import HttpTransport

    schemes = [
        (DeviceSecurity1(b"abcd1234"), lambda: Security1(b"abcd1234")),
        (DeviceSecurity2(bytes.fromhex(config.EXAMPLE_SEC2_SALT), bytes.fromhex(config.EXAMPLE_SEC2_VERIFIER)),
         lambda: Security2(b"wifiprov", b"abcd1234", 1)),
    ]
    for device_security, client_security in schemes:
        board = softap_board.Board(device_security)
        try:
            transport = HttpTransport("127.0.0.1:%d" % board.port, timeout=10)
            client = ProvClient(transport)
            assert client.probe("none").security_scheme() == device_security.version
            client.establish_session(client_security())
            assert client.request("echo", b"hi") == b"echo:hi"
            with pytest.raises(RequestFailed):
                client.request("fail", b"x")  # socket closed without a response
            # a new socket carrying the cookie continues the same secured session
            assert client.request("echo", b"again") == b"echo:again"
            assert transport.connections_opened == 2 and transport.cookie.startswith("session=")
            transport.close()
        finally:
            board.close()
