"""Replay helpers shared by the security test modules (CPython and MicroPython)."""

from devtest import unhex
from wifiprov import rand
from wifiprov.protocomm import Protocomm

SESSION = 7


class Recorder:
    """Request handler double: checks each plaintext request and answers the recorded plaintext."""

    def __init__(self, test, endpoint):
        self.test = test
        self.endpoint = endpoint
        self.expected = []

    def __call__(self, session_id, plain):
        want_request, response = self.expected.pop(0)
        self.test.assertEqual(plain, want_request, self.endpoint + " request plaintext")
        return response


def make_protocomm(security):
    """Protocomm with prov-session and recording handlers for the vectors' app endpoints."""
    pc = Protocomm(security)
    pc.set_security_endpoint("prov-session")
    recorders = {}
    for name in ("custom-data", "prov-config"):
        recorders[name] = Recorder(None, name)
        pc.add_endpoint(name, recorders[name])
    return pc, recorders


def replay_handshake(test, pc, steps, label):
    """Feed the client's handshake messages; compare each device answer byte for byte."""
    for i in range(0, len(steps), 2):
        request = unhex(steps[i]["hex"])
        want = steps[i + 1]["hex"] if i + 1 < len(steps) else None
        got = pc.handle(SESSION, "prov-session", request)
        if want is None:
            test.assertIsNone(got, label + ": " + steps[i]["step"] + " must fail")
            return False
        test.assertEqual(got, unhex(want), label + ": " + steps[i + 1]["step"])
    return True


def replay_app_messages(test, pc, recorders, messages, label):
    """Client->device ciphertext in, device->client ciphertext out, in vector order."""
    for i in range(0, len(messages), 2):
        request, response = messages[i], messages[i + 1]
        recorder = recorders[request["endpoint"]]
        recorder.test = test
        recorder.expected.append((unhex(request["plaintext_hex"]), unhex(response["plaintext_hex"])))
        got = pc.handle(SESSION, request["endpoint"], unhex(request["ciphertext_hex"]))
        test.assertEqual(got, unhex(response["ciphertext_hex"]), label + ": " + response["endpoint"] + " response")


def pin_random(*chunks):
    """Make the device's randomness return ``chunks`` in order."""
    from devtest import FixedRandom

    rand.set_source(FixedRandom(*chunks))


def unpin_random():
    """Restore os.urandom."""
    rand.set_source(None)
