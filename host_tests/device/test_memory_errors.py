"""A MemoryError inside a request (CPython and MicroPython): that request fails the protocol's way, one
console line says memory ran out and how much is free, and the next session works."""

import unittest

from devtest import FixedRandom, load_vectors, unhex
from wifiprov import rand, srp6a
from wifiprov.protocomm import Protocomm
from wifiprov.security2 import Security2

SEC2 = [c for c in load_vectors("sec2.json")["cases"] if c["name"] == "patch1_example_dev_credentials"][0]


def _step(name):
    for step in SEC2["handshake"]:
        if step["step"] == name:
            return unhex(step["hex"])
    raise KeyError(name)


class RunsOutOnce:
    """Wraps a method so that its first call raises MemoryError after doing ``before`` (or nothing)."""

    def __init__(self, owner, name):
        self.owner = owner
        self.name = name
        self.original = getattr(owner, name)
        self.fired = False
        setattr(owner, name, self)

    def __get__(self, instance, owner=None):
        wrapper = self

        def call(*args):
            if not wrapper.fired:
                wrapper.fired = True
                if wrapper.name == "process_cmd0":  # spend b first, as a failure late in Cmd0 does
                    instance._b = instance._b_events = None
                raise MemoryError("memory allocation failed, allocating 768 bytes")
            return wrapper.original(instance, *args)

        return call

    def restore(self):
        setattr(self.owner, self.name, self.original)


class Sec2(unittest.TestCase):
    def setUp(self):
        self.lines = []
        self.security = Security2(unhex(SEC2["salt_hex"]), unhex(SEC2["verifier_hex"]))
        self.pc = Protocomm(self.security, self.lines.append)
        self.pc.set_security_endpoint("prov-session")

    def tearDown(self):
        rand.set_source(None)

    def _fresh_b(self):
        rand.set_source(FixedRandom(unhex(SEC2["b_hex"]), unhex(SEC2["device_nonce_hex"])[:8]))

    def test_memory_error_late_in_cmd0_fails_that_request_and_the_next_session_works(self):
        patch = RunsOutOnce(srp6a.Server, "process_cmd0")
        try:
            self.pc.open_session(1)
            self.assertIsNone(self.pc.handle(1, "prov-session", _step("SessionCmd0")))
            self.assertEqual(len(self.lines), 1)
            self.assertTrue(self.lines[0].startswith("request to prov-session failed: out of memory ("), self.lines)
            self._fresh_b()
            self.pc.open_session(2)  # the spent b is not reused: a new one is drawn
            self.assertEqual(self.pc.handle(2, "prov-session", _step("SessionCmd0")), _step("SessionResp0"))
            self.assertEqual(self.pc.handle(2, "prov-session", _step("SessionCmd1")), _step("SessionResp1"))
        finally:
            patch.restore()

    def test_memory_error_in_cmd1_leaves_the_proof_retryable(self):
        self._fresh_b()
        self.pc.open_session(1)
        self.assertEqual(self.pc.handle(1, "prov-session", _step("SessionCmd0")), _step("SessionResp0"))
        patch = RunsOutOnce(srp6a.Server, "verify_proof")
        try:
            self.assertIsNone(self.pc.handle(1, "prov-session", _step("SessionCmd1")))
            self.assertTrue("out of memory" in self.lines[-1])
            self.assertEqual(self.pc.handle(1, "prov-session", _step("SessionCmd1")), _step("SessionResp1"))
        finally:
            patch.restore()


if __name__ == "__main__":
    unittest.main()
