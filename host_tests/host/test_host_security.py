"""Host client security 0/1/2 against the reference vectors, replayed byte for byte with pinned randomness."""

import hashlib

import pytest
from devtest import FixedRandom, load_vectors, unhex

from wifiprov_host.client import ProvClient
from wifiprov_host.errors import AuthenticationFailed, DeviceNotAuthenticated, ProtocolError, SessionRejected
from wifiprov_host.replay import ReplayDevice
from wifiprov_host.security import GcmChannel, Security0, Security1, Security2
from wifiprov_host.srp6a_client import G, N, H, pad, to_bytes
from wifiprov_host.transport_memory import MemoryTransport

SEC1 = load_vectors("sec1.json")
SEC2 = load_vectors("sec2.json")


def handshake_exchanges(case):
    """(endpoint, request, response) triples of a vector's handshake; response None = failure."""
    steps = case["handshake"]
    exchanges = []
    for i in range(0, len(steps), 2):
        request, response = steps[i], steps[i + 1] if i + 1 < len(steps) else None
        exchanges.append(("prov-session", unhex(request["hex"]), unhex(response["hex"]) if response else None))
    return exchanges


def app_exchanges(case):
    messages = case.get("app_messages", [])
    return [(req["endpoint"], unhex(req["ciphertext_hex"]), unhex(resp["ciphertext_hex"]))
            for req, resp in zip(messages[0::2], messages[1::2])]


def run_app_messages(client, case):
    """The three application exchanges most vectors record: custom-data, GetStatus, SetConfig."""
    messages = case.get("app_messages")
    if not messages:
        return
    assert client.custom_data(unhex(messages[0]["plaintext_hex"])) == unhex(messages[1]["plaintext_hex"])
    assert client.get_status().state == "connecting"
    assert unhex(messages[4]["plaintext_hex"]) == bytes.fromhex("080262140a066d7973736964120a6d7970617373776f7264")
    assert client.set_config(b"myssid", b"mypassword") == "Success"


def sec2_client(case, random, retries=0):
    """Security2 as esp_prov drives it: username sent Latin-1, hashed UTF-8 with the password."""
    username, password = case["client_username"], case["client_password"]
    return Security2(username.encode("utf-8"), password.encode("utf-8"), case["sec_patch_ver"], random_bytes=random,
                     wire_username=username.encode("latin-1"), short_key_retries=retries)


# --- security 0 -----------------------------------------------------------------------------------

def test_sec0_handshake_bytes():
    device = ReplayDevice([("prov-session", bytes.fromhex("5203a20100"), bytes.fromhex("52050801aa0100"))])
    client = ProvClient(MemoryTransport(device))
    client.establish_session(Security0())
    device.assert_finished()
    assert client.security.encrypt(b"abc") == b"abc"


def test_sec0_refused_session_is_session_rejected():
    device = ReplayDevice([("prov-session", bytes.fromhex("5203a20100"), None)])
    with pytest.raises(SessionRejected):
        ProvClient(MemoryTransport(device)).establish_session(Security0())


# --- security 1 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", SEC1["cases"], ids=lambda c: c["name"])
def test_sec1_vector_replays(case):
    device = ReplayDevice(handshake_exchanges(case) + app_exchanges(case))
    client = ProvClient(MemoryTransport(device))
    security = Security1(unhex(case["client_pop_bytes_hex"]), random_bytes=FixedRandom(unhex(case["client_private_key_hex"])))
    client.establish_session(security)
    run_app_messages(client, case)
    device.assert_finished()


def test_sec1_wrong_pop_is_authentication_failure():
    case = SEC1["negative_cases"][0]
    device = ReplayDevice(handshake_exchanges(case))
    security = Security1(unhex(case["client_pop_bytes_hex"]), random_bytes=FixedRandom(unhex(case["client_private_key_hex"])))
    with pytest.raises(AuthenticationFailed, match="wrong proof of possession"):
        ProvClient(MemoryTransport(device)).establish_session(security)
    device.assert_finished()


def test_sec1_device_that_cannot_prove_the_pop_is_rejected():
    case = SEC1["cases"][1]
    exchanges = handshake_exchanges(case)
    resp1 = bytearray(exchanges[1][2])
    resp1[-1] ^= 1  # device_verify_data no longer encrypts our public key
    exchanges[1] = (exchanges[1][0], exchanges[1][1], bytes(resp1))
    security = Security1(unhex(case["client_pop_bytes_hex"]), random_bytes=FixedRandom(unhex(case["client_private_key_hex"])))
    with pytest.raises(DeviceNotAuthenticated):
        ProvClient(MemoryTransport(ReplayDevice(exchanges))).establish_session(security)


def test_sec1_session_key_matches_vector_derivation():
    # Independent of the client: the vector's key = X25519 shared secret XOR SHA-256(PoP).
    case = SEC1["cases"][1]
    shared, pop = unhex(case["x25519_shared_secret_hex"]), unhex(case["client_pop_bytes_hex"])
    key = bytes(a ^ b for a, b in zip(shared, hashlib.sha256(pop).digest()))
    assert key == unhex(case["session_key_hex"])


# --- security 2 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", SEC2["cases"], ids=lambda c: c["name"])
def test_sec2_vector_replays(case):
    device = ReplayDevice(handshake_exchanges(case) + app_exchanges(case))
    client = ProvClient(MemoryTransport(device))
    security = sec2_client(case, FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    client.establish_session(security)
    srp = security.srp
    assert srp.a == int(case["a_hex"], 16)
    assert srp.A == int(case["A_hex"], 16)
    assert len(srp.A_bytes) == case["A_length_as_sent"]
    assert srp.K == unhex(case["K_hex"])
    assert srp.M == unhex(case["M_hex"])
    run_app_messages(client, case)
    device.assert_finished()


@pytest.mark.parametrize("case", SEC2["cases"], ids=lambda c: c["name"])
def test_sec2_per_message_nonces(case):
    security = sec2_client(case, FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    ProvClient(MemoryTransport(ReplayDevice(handshake_exchanges(case)))).establish_session(security)
    for message in case.get("app_messages", []):
        assert security._channel.nonce() == unhex(message["nonce_hex"])
        if message["direction"] == "client->device":
            assert security.encrypt(unhex(message["plaintext_hex"])) == unhex(message["ciphertext_hex"])
        else:
            assert security.decrypt(unhex(message["ciphertext_hex"])) == unhex(message["plaintext_hex"])


def negative(name):
    return next(c for c in SEC2["negative_cases"] if c["name"] == name)


def test_sec2_short_A_on_strict_device_is_session_rejected():
    case = negative("A_has_leading_zero_strict_device")
    device = ReplayDevice(handshake_exchanges(case))
    security = sec2_client(case, FixedRandom(unhex(case["client_urandom_for_a_hex"])), retries=0)
    with pytest.raises(SessionRejected, match="384-byte") as info:
        ProvClient(MemoryTransport(device)).establish_session(security)
    assert not isinstance(info.value, AuthenticationFailed)
    device.assert_finished()


def test_sec2_short_A_is_retried_with_a_fresh_key():
    strict = negative("A_has_leading_zero_strict_device")
    good = next(c for c in SEC2["cases"] if c["name"] == "patch1_example_dev_credentials")
    device = ReplayDevice(handshake_exchanges(strict) + handshake_exchanges(good))
    random = FixedRandom(unhex(strict["client_urandom_for_a_hex"]), unhex(good["client_urandom_for_a_hex"]))
    ProvClient(MemoryTransport(device)).establish_session(sec2_client(good, random, retries=1))
    device.assert_finished()


@pytest.mark.parametrize("name, hint", [
    ("wrong_password", "wrong username or password"),
    ("non_ascii_username", "wrong username or password"),
    ("stored_salt_with_leading_zero_byte", "starts with 0x00"),
])
def test_sec2_rejected_proof_is_authentication_failure(name, hint):
    case = negative(name)
    device = ReplayDevice(handshake_exchanges(case))
    security = sec2_client(case, FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    with pytest.raises(AuthenticationFailed, match=hint):
        ProvClient(MemoryTransport(device)).establish_session(security)
    assert security.srp.M == unhex(case["M_hex"])
    device.assert_finished()


def test_sec2_wrong_device_proof_is_detected():
    case = SEC2["cases"][0]
    exchanges = handshake_exchanges(case)
    resp1 = bytearray(exchanges[1][2])
    resp1[12] ^= 0x80  # inside device_proof
    exchanges[1] = (exchanges[1][0], exchanges[1][1], bytes(resp1))
    security = sec2_client(case, FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    with pytest.raises(DeviceNotAuthenticated):
        ProvClient(MemoryTransport(ReplayDevice(exchanges))).establish_session(security)


def test_gcm_tampered_answer_is_protocol_error_and_counter_stays():
    channel = GcmChannel(bytes(32), bytes.fromhex("0102030405060708") + (7).to_bytes(4, "big"), 1)
    sealed = channel.encrypt(b"hello")
    assert channel.counter == 8
    with pytest.raises(ProtocolError):
        channel.decrypt(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    assert channel.counter == 8


# --- our client against an independent device-side model ----------------------------------------

class SrpDeviceModel:
    """Device-side SRP-6a written from PROTOCOL.md §7.2, independent of the client code."""

    def __init__(self, salt, verifier, b):
        self.salt, self.v, self.b = salt, int.from_bytes(verifier, "big"), b
        k = int.from_bytes(H(pad(N), pad(G)), "big")
        self.B = (k * self.v + pow(G, b, N)) % N

    def proof_ok(self, username, A_bytes, M):
        A = int.from_bytes(A_bytes, "big")
        u = int.from_bytes(H(pad(A), pad(self.B)), "big")
        S = pow(A * pow(self.v, u, N) % N, self.b, N)
        self.K = H(to_bytes(S))
        hn_hg = bytes(x ^ y for x, y in zip(H(pad(N)), H(pad(G))))
        return M == H(hn_hg, H(username), self.salt, A_bytes, to_bytes(self.B), self.K)

    def device_proof(self, A_bytes, M):
        return H(A_bytes, M, self.K)


def test_utf8_client_logs_in_where_esp_prov_cannot():
    # non_ascii_username: the device holds a verifier for "josé"; esp_prov fails (vector), our UTF-8 client works.
    case = negative("non_ascii_username")
    model = SrpDeviceModel(unhex(case["salt_hex"]), unhex(case["verifier_hex"]), int(case["b_hex"], 16))
    from wifiprov_host.srp6a_client import SrpClient
    client = SrpClient("josé".encode("utf-8"), b"abcd1234", FixedRandom(unhex(case["client_urandom_for_a_hex"])))
    proof = client.process_challenge(unhex(case["salt_hex"]), to_bytes(model.B))
    assert model.proof_ok("josé".encode("utf-8"), client.A_bytes, proof)
    assert not model.proof_ok("josé".encode("latin-1"), client.A_bytes, proof)


def test_client_logs_in_with_an_esp_prov_verifier_for_a_quirk_pair():
    # wifiprov/pw69: H(I:P) starts with 0x00; esp_prov's generator strips it from x, so must the client.
    salt = bytes.fromhex("8d0b5e3a1f2c4d6e7f8091a2b3c4d5e6")
    inner = hashlib.sha512(b"wifiprov:pw69").digest()
    assert inner[0] == 0
    x = int.from_bytes(hashlib.sha512(salt + inner.lstrip(b"\x00")).digest(), "big")
    model = SrpDeviceModel(salt, to_bytes(pow(5, x, N)), b=int.from_bytes(hashlib.sha256(b"b").digest(), "big"))
    from wifiprov_host.srp6a_client import SrpClient
    client = SrpClient(b"wifiprov", b"pw69", FixedRandom(hashlib.sha256(b"a").digest()))
    proof = client.process_challenge(salt, to_bytes(model.B))
    assert model.proof_ok(b"wifiprov", client.A_bytes, proof)
    client.verify_device_proof(model.device_proof(client.A_bytes, proof))
