"""Benchmark of the device handshakes; runs under MicroPython (``make bench``) and CPython.

Per handshake it prints the device-side critical path (from receiving the client's
first message to having produced the last response) in ms and in units of one bare
``pow(5, b, N)`` (256-bit b, the 3072-bit N) measured in the same run, interleaved
with the handshakes. Client messages come from the vectors, so the device does the
work of a real session; key pairs and ``b``/``B`` are made before the client's first
message, as the board does while waiting. Heap figures are ``gc.mem_alloc()`` after
``gc.collect()``; the ``#@phase`` lines let the MicroPython runner collect between
chunks (its GC frees nothing until a call returns).
"""

import gc
import sys

from benchlib import heap, load_vectors, median, ticks_diff, ticks_us

ROUNDS = 7
def unhex(text):
    import binascii

    return binascii.unhexlify(text)


heap_start = heap()
#@phase
from wifiprov import rand
from wifiprov.protocomm import Protocomm
from wifiprov.security1 import Security1
from wifiprov.security2 import Security2
#@phase
heap_library = heap() - heap_start
SEC1 = load_vectors("sec1.json")["cases"][1]
SEC2_ALL = load_vectors("sec2.json")
SEC2 = SEC2_ALL["cases"][0]
N = int(SEC2_ALL["group"]["N_hex"], 16)
B_EXP = int.from_bytes(unhex(SEC2["b_hex"]), "big")
#@phase
heap_before_verifier = heap()
#@phase
start = ticks_us()
sec2_security = Security2(unhex(SEC2["salt_hex"]), unhex(SEC2["verifier_hex"]))
verifier_us = ticks_diff(ticks_us(), start)
#@phase
heap_verifier = heap() - heap_before_verifier


class Handshake:
    """One vector's two client messages against a freshly opened session."""

    def __init__(self, name, make_security, case, randoms):
        self.name = name
        self.make_security = make_security
        self.randoms = randoms
        self.steps = [unhex(step["hex"]) for step in case["handshake"]]

    def setup(self):
        queue = list(self.randoms)
        rand.set_source(lambda n: queue.pop(0))
        pc = Protocomm(self.make_security())
        pc.set_security_endpoint("prov-session")
        pc.open_session(1)  # key pair / b,B made here, before the client's first message
        self.pc = pc

    def run(self):
        if self.pc.handle(1, "prov-session", self.steps[0]) != self.steps[1]:
            raise AssertionError(self.name + ": Resp0 differs from the vector")
        if self.pc.handle(1, "prov-session", self.steps[2]) != self.steps[3]:
            raise AssertionError(self.name + ": Resp1 differs from the vector")


class Derive:
    """What a board does once for ``"sec2_password": "random"``: the verifier of a 16-character password."""

    name = "derive"

    def setup(self):
        pass

    def run(self):
        from wifiprov import srp_verifier

        srp_verifier.verifier("wifiprov", "c4mza2nfegf2izbg", unhex(SEC2["salt_hex"]))


class Unit:
    name = "unit"

    def setup(self):
        pass

    def run(self):
        pow(5, B_EXP, N)


def timed(item):
    item.setup()
    gc.collect()
    start = ticks_us()
    item.run()
    return ticks_diff(ticks_us(), start)


items = (
    Unit(),
    Handshake(
        "sec1",
        lambda: Security1(b"abcd1234"),
        SEC1,
        (unhex(SEC1["device_private_key_hex"]), unhex(SEC1["device_random_hex"])),
    ),
    Handshake("sec2", lambda: sec2_security, SEC2, (unhex(SEC2["b_hex"]), unhex(SEC2["device_nonce_hex"])[:8])),
    Derive(),
)
for item in items:  # warm-up: the first runs of a fresh interpreter are several times slower
    timed(item)
samples = {item.name: [] for item in items}
for _ in range(ROUNDS):
    for item in items:
        samples[item.name].append(timed(item))
rand.set_source(None)


unit = median(samples["unit"])
print("interpreter: %s %s" % (sys.implementation.name, ".".join(str(x) for x in sys.implementation.version[:3])))
print("unit = pow(5, b, N), 256-bit b, 3072-bit N: %.1f ms (median of %d)" % (unit / 1000, ROUNDS))
print("%-6s %14s %8s" % ("", "critical ms", "units"))
for name in ("sec1", "sec2"):
    us = median(samples[name])
    print("%-6s %14.1f %8.2f" % (name, us / 1000, us / unit))
print("sec2 verifier precompute (once per boot): %.1f ms = %.2f units" % (verifier_us / 1000, verifier_us / unit))
derive_us = median(samples["derive"])
print("sec2 verifier derived on the board (first boot with a random password): %.1f ms = %.2f units"
      % (derive_us / 1000, derive_us / unit))
print("heap retained: library (protocomm, security 1+2, crypto) %d B; sec2 verifier tables %d B" % (heap_library, heap_verifier))
