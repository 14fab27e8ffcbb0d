"""Benchmark of the device handshakes; runs under MicroPython (``make bench``) and CPython.

Per handshake it prints the device-side critical path (from receiving the client's
first message to having produced the last response) in ms and in units of one bare
``pow(5, b, N)`` (256-bit b, the 3072-bit N) measured in the same run, and the heap
the imported library retains. Client messages come from the vectors, so the device
does exactly the work of a real session.
"""

import gc
import json
import sys
import time

try:
    from time import ticks_diff, ticks_us
except ImportError:  # CPython

    def ticks_us():
        return int(time.perf_counter() * 1000000)

    def ticks_diff(a, b):
        return a - b


ROUNDS = 3
VECTOR_DIRS = ("/vectors", "host_tests/vectors")


def load(name):
    for folder in VECTOR_DIRS:
        try:
            with open(folder + "/" + name) as f:
                return json.load(f)
        except OSError:
            pass
    raise OSError("vectors not found: " + name)


def unhex(text):
    import binascii

    return binascii.unhexlify(text)


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def measure(fn):
    """Median wall time of ``fn()`` over ROUNDS runs, in µs."""
    times = []
    for _ in range(ROUNDS):
        gc.collect()
        start = ticks_us()
        fn()
        times.append(ticks_diff(ticks_us(), start))
    return median(times)


def handshake_runner(make_security, case, randoms):
    """Return fn() that replays the case's two client messages (setup excluded from timing)."""
    from wifiprov import rand
    from wifiprov.protocomm import Protocomm

    steps = [unhex(step["hex"]) for step in case["handshake"]]
    state = {}

    def setup():
        queue = list(randoms)
        rand.set_source(lambda n: queue.pop(0))
        security = make_security()
        pc = Protocomm(security)
        pc.set_security_endpoint("prov-session")
        pc.open_session(1)  # makes the key pair / b,B ahead of time, as on a real board
        state["pc"] = pc

    def run():
        pc = state["pc"]
        if pc.handle(1, "prov-session", steps[0]) != steps[1]:
            raise AssertionError("Resp0 differs from the vector")
        if pc.handle(1, "prov-session", steps[2]) != steps[3]:
            raise AssertionError("Resp1 differs from the vector")

    return setup, run


def main():
    gc.collect()
    heap_before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    from wifiprov import protocomm, security0, security1, security2  # noqa: F401

    gc.collect()
    heap_library = (gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0) - heap_before

    sec2_vectors = load("sec2.json")
    n = int(sec2_vectors["group"]["N_hex"], 16)
    b = int.from_bytes(unhex(sec2_vectors["cases"][0]["b_hex"]), "big")
    unit = measure(lambda: pow(5, b, n))

    from wifiprov.security1 import Security1
    from wifiprov.security2 import Security2

    results = []
    case1 = load("sec1.json")["cases"][1]
    setup1, run1 = handshake_runner(
        lambda: Security1(b"abcd1234"),
        case1,
        (unhex(case1["device_private_key_hex"]), unhex(case1["device_random_hex"])),
    )
    case2 = sec2_vectors["cases"][0]
    salt, verifier = unhex(case2["salt_hex"]), unhex(case2["verifier_hex"])
    start = ticks_us()
    gc.collect()
    before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    sec2_template = Security2(salt, verifier)
    gc.collect()
    verifier_heap = (gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0) - before
    verifier_us = ticks_diff(ticks_us(), start)
    setup2, run2 = handshake_runner(
        lambda: sec2_template,
        case2,
        (unhex(case2["b_hex"]), unhex(case2["device_nonce_hex"])[:8]),
    )
    for name, setup, run in (("sec1", setup1, run1), ("sec2", setup2, run2)):
        times = []
        for _ in range(ROUNDS):
            setup()
            gc.collect()
            start = ticks_us()
            run()
            times.append(ticks_diff(ticks_us(), start))
        results.append((name, median(times)))

    print("interpreter: %s %s" % (sys.implementation.name, ".".join(str(x) for x in sys.implementation.version[:3])))
    print("unit = pow(5, b, N), 256-bit b, 3072-bit N: %.1f ms" % (unit / 1000))
    print("%-6s %12s %8s" % ("", "critical ms", "units"))
    for name, us in results:
        print("%-6s %12.1f %8.2f" % (name, us / 1000, us / unit))
    print("sec2 verifier precompute: %.1f ms, %d bytes retained" % (verifier_us / 1000, verifier_heap))
    print("library heap retained after import: %d bytes" % heap_library)


main()
