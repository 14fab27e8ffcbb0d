"""Property-based fuzzing of every endpoint through protocomm (proto-ver, prov-session, prov-config,
prov-scan, prov-ctrl, custom-data, unknown names) for security 0, 1 and 2, from four client
states: no session ever opened, another transport session's id, a session opened without a
handshake, and an established session (fuzzed plaintext encrypted correctly, or a flipped
ciphertext bit). Properties:

* no exception escapes ``Protocomm.handle``;
* no response on failure: whenever anything below protocomm raised, the answer is ``None``; and
  a request the device can read with a known command is always answered;
* without an established session, security 1/2 request endpoints never answer;
* every answer is well formed (official protobuf parse, ``msg`` = request ``msg`` + 1);
* memory per request is bounded by the input size;
* a correct session still succeeds afterwards: after every example the established session
  answers GetStatus (or, where the protocol says the request broke it, a new handshake
  works), and each property ends with a whole provisioning from scratch.
"""

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import devicelib
import fuzzlib
from devicelib import ENDPOINTS, REQUEST_ENDPOINTS, Device
from fuzzlib import ENDPOINT_MESSAGE, TABLES, examples, measured, tried
from wifiprov import pbcodec, pbenums
from wifiprov import version_info

STATES = ("no-session", "foreign-session", "opened", "established")
# Known request commands per endpoint (msg values) that must always get an answer.
KNOWN_COMMANDS = {
    "prov-config": (pbenums.TypeCmdGetStatus, pbenums.TypeCmdSetConfig, pbenums.TypeCmdApplyConfig),
    "prov-scan": (pbenums.TypeCmdScanStart, pbenums.TypeCmdScanStatus, pbenums.TypeCmdScanResult),
    "prov-ctrl": (pbenums.TypeCmdCtrlReset, pbenums.TypeCmdCtrlReprov),
}
# Peak Python memory of one request: K bytes per input byte on top of the endpoint's own constant
# (crypto, answer, log line; measured ~3.5 KB, and ~21 KB for a sec2 Cmd0's SRP-3072 arithmetic).
K = 8
C_REQUEST = 16 * 1024
C_SESSION = {0: 16 * 1024, 1: 16 * 1024, 2: 64 * 1024}


def _seeds(endpoint, level, draw):
    if endpoint == "prov-session":
        return devicelib.session_seeds(level, lambda n: draw(st.binary(min_size=n, max_size=n)))
    if endpoint == "prov-config":
        return devicelib.config_seeds()
    if endpoint == "prov-scan":
        return devicelib.scan_seeds()
    if endpoint == "prov-ctrl":
        return devicelib.ctrl_seeds()
    return [b"hello", b""]


def _request(draw, endpoint, level):
    """Hostile bytes for ``endpoint``: mutated valid requests, random valid messages, or garbage."""
    seeds = _seeds(endpoint, level, draw)
    message = ENDPOINT_MESSAGE.get(endpoint)
    if message is None:
        return draw(st.one_of(st.sampled_from(seeds), st.binary(max_size=300)), label="body")
    seed = st.sampled_from(seeds)
    return draw(
        st.one_of(
            seed,
            fuzzlib.mutated(TABLES[message], seed),
            fuzzlib.pb_messages(message).map(lambda m: m.SerializeToString()),
            st.binary(max_size=300),
        ),
        label="body",
    )


def _handle_measured(device, session_id, endpoint, data):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        response, failures = device.handle(session_id, endpoint, data)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    constant = C_SESSION[device.level] if endpoint == "prov-session" else C_REQUEST
    kind = "handshake" if endpoint == "prov-session" else "request"
    measured("protocomm: peak Python heap of one sec%d %s (bytes)" % (device.level, kind), peak)
    assert peak <= K * len(data) + constant, "%d bytes for a %d-byte %s request" % (peak, len(data), endpoint)
    return response, failures


def _check_answer(device, endpoint, plain_request, plain_response):
    """A request endpoint's answer parses and matches the request's command."""
    if endpoint == "custom-data":
        assert plain_response == devicelib.CUSTOM_ANSWER
        return
    request = pbcodec.decode(TABLES[ENDPOINT_MESSAGE[endpoint]], plain_request)
    ok, answer = fuzzlib.official_parse(ENDPOINT_MESSAGE[endpoint], plain_response)
    assert ok, plain_response.hex()
    assert answer.msg == request.get("msg", 0) + 1


def _must_answer(endpoint, plain_request):
    if endpoint == "custom-data":
        return True
    if endpoint not in KNOWN_COMMANDS:
        return False
    try:
        request = pbcodec.decode(TABLES[ENDPOINT_MESSAGE[endpoint]], plain_request)
    except pbcodec.CodecError:
        return False
    return request.get("msg", 0) in KNOWN_COMMANDS[endpoint]


class Fixture:
    """One device per (security, state) property, with its established client when needed."""

    def __init__(self, level, state):
        self.level = level
        self.state = state
        self.device = Device(level)
        self.client = None
        self.session_id = None
        self.reset_state()

    def reset_state(self):
        device = self.device
        if self.state == "no-session":
            self.session_id = 1  # protocomm has never opened a session... until prov-session is fuzzed
            if device.pc.session_id is not None:
                device.pc.close_session(device.pc.session_id)
        elif self.state == "foreign-session":
            owner = device.established()
            self.session_id = owner.transport.session_id + 1
        elif self.state == "opened":
            self.client = device.client()
            self.session_id = self.client.transport.session_id
        else:
            self.client = device.established()
            self.session_id = self.client.transport.session_id


_FIXTURES = {}


def _fixture(level, state):
    key = (level, state)
    if key not in _FIXTURES:
        _FIXTURES[key] = Fixture(level, state)
    return _FIXTURES[key]


@pytest.fixture(scope="module", autouse=True)
def _provision_at_the_end():
    yield
    for (level, state), fixture in sorted(_FIXTURES.items()):
        connected = fixture.device.provision_from_scratch()
        assert connected["ssid"] == devicelib.HOME_SSID.decode(), (level, state)
        tried("protocomm: provisioning from scratch afterwards")
    _FIXTURES.clear()


def _run_example(fixture, data):
    device = fixture.device
    level = fixture.level
    endpoint = data.draw(st.sampled_from(ENDPOINTS + ("prov-nothing",)), label="endpoint")
    plain = _request(data.draw, endpoint, level)
    established = fixture.state == "established"
    encrypted = established and endpoint in REQUEST_ENDPOINTS and level > 0
    flip = encrypted and data.draw(st.integers(0, 9), label="flip?") == 0 and len(plain) > 0
    index = data.draw(st.integers(0, len(plain) + 15), label="flip index") if flip else 0
    # Nothing is drawn after this point: an example hypothesis abandons must not leave the
    # client's cipher ahead of the device's.
    wire = plain
    if encrypted:
        wire = fixture.client.security.encrypt(plain)
        if flip:
            index %= len(wire)
            wire = wire[:index] + bytes([wire[index] ^ 0x20]) + wire[index + 1 :]
            if level == 1:  # CTR: the device reads the plaintext with the same bit flipped
                plain = plain[:index] + bytes([plain[index] ^ 0x20]) + plain[index + 1 :]

    response, failures = _handle_measured(device, fixture.session_id, endpoint, wire)

    if failures:
        assert response is None, "answered although %s raised %r" % failures[0]
    if endpoint == "prov-nothing":
        assert response is None
    elif endpoint == "proto-ver":
        assert response == version_info.render(level, True)
    elif endpoint == "prov-session":
        if response is not None:
            ok, request = fuzzlib.official_parse("SessionData", wire)
            assert ok or fuzzlib.overlong_prefix(TABLES["SessionData"], wire)
            ok, answer = fuzzlib.official_parse("SessionData", response)
            assert ok and answer.sec_ver == level
    else:
        if not established and level > 0:
            assert response is None, "%s answered without an established session" % endpoint
        if established:
            if response is None:
                assert failures, "%s failed without a reason" % endpoint
            else:
                plain_response = fixture.client.security.decrypt(response) if encrypted else response
                _check_answer(device, endpoint, plain, plain_response)
            if _must_answer(endpoint, plain) and not (level == 2 and flip):
                assert response is not None, "%s did not answer %s" % (endpoint, plain.hex())

    # A correct session still works.
    if established:
        if endpoint == "prov-session" or (level == 2 and flip):
            fixture.reset_state()  # the request restarted the handshake or put GCM out of step
        assert fixture.client.get_status() is not None
    elif endpoint == "prov-session" or fixture.state == "foreign-session":
        fixture.reset_state()
    tried("protocomm: sec%d %s" % (level, fixture.state))


def _property(level, state, budget):
    @settings(max_examples=examples(budget))
    @given(data=st.data())
    def run(data):
        _run_example(_fixture(level, state), data)

    return run


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("level", [0, 1, 2])
def test_protocomm_survives_hostile_requests(level, state):
    _property(level, state, 120 if level < 2 else 80)()


def test_request_endpoints_never_answer_without_an_established_session():
    """Deterministic companion: a valid command on each request endpoint from each non-established
    state fails for security 1 and 2 and gets a well-formed answer for security 0 (no security)."""
    for level in (0, 1, 2):
        for state in STATES[:3]:
            fixture = Fixture(level, state)
            for endpoint, body in (("prov-config", devicelib.config_seeds()[0]),
                                   ("prov-scan", devicelib.scan_seeds()[1]),
                                   ("custom-data", b"x")):
                response, failures = fixture.device.handle(fixture.session_id, endpoint, body)
                if level == 0:
                    assert response is not None and not failures
                else:
                    assert response is None and failures, (level, state, endpoint)
