"""Runs on MicroPython: a security handshake's heap allocation per message and its critical path in units.

``probe_handshake.py DEVSIM CASE LEVEL alloc|time [ROUNDS]``, CASE a JSON file of hex strings
cut from the vectors and settings (``steps``, ``randoms``, ``salt``, ``verifier``, ``table_width``,
``unit_b``, ``unit_n``). The provisioning service's
modules are loaded first, so the heap is as full as on a board that provisions; then the
client messages of security LEVEL (1 or 2) run through ``Protocomm``, with the key
pair / ``b`` and ``B`` made beforehand as the board does while it waits.

``alloc`` (run it with a large heap) prints ``alloc Cmd0 BYTES`` and ``alloc Cmd1 BYTES``: what
each message allocates, the collector off. ``time`` (run it with the heap under test) prints
``critical UNITS`` and ``unit US``: the median over ROUNDS of the time from the client's first
message to the last response, in units of one bare ``pow(5, b, N)`` (256-bit ``b``, the 3072-bit
``N``) measured beside it.
"""

import gc
import json
import sys
import time
from binascii import unhexlify

SERVICE = ("wifiprov.manager", "wifiprov.softap", "wifiprov.store", "wifiprov.log")


def _scheme(level, case):
    if level == 1:
        from wifiprov.security1 import Security1

        return Security1(b"abcd1234")
    from wifiprov.security2 import Security2

    return Security2(unhexlify(case["salt"]), unhexlify(case["verifier"]), table_width=case["table_width"])


def main():
    devsim, case_file, level, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    with open(case_file) as f:  # a few hex strings cut from the vectors by the host (bench.py)
        case = json.load(f)
    sys.path.insert(0, devsim)
    import network  # noqa: F401  (the service's modules import it)

    sys.path.pop(0)
    for name in SERVICE:
        __import__(name)
    from wifiprov import rand
    from wifiprov.protocomm import Protocomm

    steps = [unhexlify(text) for text in case["steps"]]
    randoms = [unhexlify(text) for text in case["randoms"]]
    b = int.from_bytes(unhexlify(case["unit_b"]), "big")
    n = int.from_bytes(unhexlify(case["unit_n"]), "big")
    security = _scheme(level, case)

    def session():
        queue = list(randoms)
        rand.set_source(lambda n: queue.pop(0))
        if level == 2:
            security._next_server = None  # b from the vector
        pc = Protocomm(security)
        pc.set_security_endpoint("prov-session")
        pc.open_session(1)  # the key pair / b and B: made before the client's first message
        return pc

    if mode == "alloc":
        pc = session()
        for name, request, expected in (("Cmd0", steps[0], steps[1]), ("Cmd1", steps[2], steps[3])):
            gc.collect()
            gc.disable()
            before = gc.mem_alloc()
            response = pc.handle(1, "prov-session", request)
            allocated = gc.mem_alloc() - before
            gc.enable()
            if response != expected:
                raise SystemExit("%s: the response differs from the vector" % name)
            print("alloc %s %d" % (name, allocated))
        return
    critical, units = [], []
    for _ in range(rounds):
        pc = session()
        gc.collect()
        start = time.ticks_us()
        pow(5, b, n)
        units.append(time.ticks_diff(time.ticks_us(), start))
        gc.collect()
        start = time.ticks_us()
        ok = pc.handle(1, "prov-session", steps[0]) == steps[1] and pc.handle(1, "prov-session", steps[2]) == steps[3]
        critical.append(time.ticks_diff(time.ticks_us(), start))
        if not ok:
            raise SystemExit("the handshake differs from the vector")
        pc = None
    critical.sort()
    units.sort()
    unit = units[len(units) // 2]
    print("unit %d" % unit)
    print("critical %.2f" % (critical[len(critical) // 2] / unit))


main()
