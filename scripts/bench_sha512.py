"""Benchmark of wifiprov.sha512 and the sec2 SRP steps that use it; runs under MicroPython and CPython.

Prints, for the interpreter it runs on:
* µs per 128-byte block (16-block updates repeated for TIME_MS, the collector on, so its
  work counts) and bytes allocated per block (one 16-block update, the collector off);
* the time and allocation of ``digest()``;
* the heap ``import wifiprov.sha512`` keeps (``gc.mem_alloc()`` after ``gc.collect()``;
  new qstr pools come in chunks, so expect some hundred bytes of noise);
* one sec2 Cmd0 (``srp6a.Server.process_cmd0`` after ``prepare()``) and Cmd1
  (``verify_proof``) from the first sec2 vector: the median time of ROUNDS with the
  collector on, and the total allocation of one more with it off.

Counting allocation with the collector off needs a heap that holds all of it (the old
SHA-512 allocated 2.7 MB in Cmd0 on a 32-bit port). Run it as:

    MICROPYPATH=.frozen:lib ../shared/tools/micropython-i386 -X heapsize=4m scripts/bench_sha512.py
    MICROPYPATH=.frozen:lib .venv/bin/micropython -X heapsize=4m scripts/bench_sha512.py
    node host_tests/mp_runner/run.mjs --mp new [--mpy] --script scripts/bench_sha512.py
    PYTHONPATH=scripts/devsim:lib .venv/bin/python scripts/bench_sha512.py

``--pure`` (after the script) keeps ``wifiprov.sha512`` from loading its viper block
function, as on a port without a native emitter. The ``#@phase`` lines let the
WebAssembly runner collect between chunks (its GC frees nothing until a call returns).
"""

import gc
import sys

from benchlib import heap, load_vectors, median, ticks_diff, ticks_us

ROUNDS = 5
BLOCKS = 16
TIME_MS = 500
HAS_HEAP = hasattr(gc, "mem_alloc")

if "--pure" in sys.argv:
    sys.modules["wifiprov.sha512_viper"] = None


import wifiprov  # noqa: E402  (the package itself is not what is measured)

heap_start = heap()
#@phase
import wifiprov.sha512  # noqa: E402
#@phase
heap_import = heap() - heap_start
from binascii import unhexlify  # noqa: E402

from wifiprov import rand, srp6a  # noqa: E402
from wifiprov.sha512 import sha512  # noqa: E402


def measure(call, collector_on=False):
    """(µs, bytes allocated) of one ``call()``; the allocation is only counted with the collector off."""
    gc.collect()
    if not collector_on:
        gc.disable()
    before = gc.mem_alloc() if HAS_HEAP else 0
    start = ticks_us()
    call()
    us = ticks_diff(ticks_us(), start)
    after = gc.mem_alloc() if HAS_HEAP else 0
    gc.enable()
    return us, after - before


def timed_blocks(h, data):
    """µs per block of ``h.update(data)`` repeated for at least TIME_MS, the collector on."""
    gc.collect()
    blocks = 0
    start = ticks_us()
    while True:
        h.update(data)
        blocks += BLOCKS
        us = ticks_diff(ticks_us(), start)
        if us >= TIME_MS * 1000:
            return us / blocks


data = bytes((i * 7 + 3) & 255 for i in range(128 * BLOCKS))
h = sha512()
h.update(data)  # warm-up
block_us = timed_blocks(h, data)
block_alloc = max(measure(lambda: h.update(data))[1] for _ in range(3)) / BLOCKS
digest_samples = [measure(h.digest) for _ in range(ROUNDS)]

case = load_vectors("sec2.json")["cases"][0]
verifier = srp6a.Verifier(unhexlify(case["salt_hex"]), unhexlify(case["verifier_hex"]))
username = unhexlify(case["username_bytes_hex"])
client_pubkey = unhexlify(case["A_hex"])
client_proof = unhexlify(case["M_hex"])
b_bytes = unhexlify(case["b_hex"])
rand.set_source(lambda n: b_bytes)
cmd0_samples = []
cmd1_samples = []
for i in range(ROUNDS + 1):
    server = srp6a.Server(verifier)
    server.prepare()
    # The last round counts allocation, the others time with the collector working.
    cmd0_samples.append(measure(lambda: server.process_cmd0(username, client_pubkey), i < ROUNDS))
    proof = []
    cmd1_samples.append(measure(lambda: proof.append(server.verify_proof(client_proof)), i < ROUNDS))
    if proof[0] != unhexlify(case["H_AMK_hex"]):
        raise AssertionError("H_AMK differs from the vector")
rand.set_source(None)

variant = "viper" if getattr(wifiprov.sha512, "native", False) else "pure"
print("interpreter: %s %s, sha512 %s" % (
    sys.implementation.name, ".".join(str(x) for x in sys.implementation.version[:3]), variant))
print("per 128-byte block: %.1f us, %.0f B allocated" % (block_us, block_alloc))
print("digest(): %.1f us, %d B allocated" % (median([s[0] for s in digest_samples]), max(s[1] for s in digest_samples)))
print("import wifiprov.sha512 keeps %d B of heap" % heap_import)
for name, samples in (("Cmd0 (process_cmd0)", cmd0_samples), ("Cmd1 (verify_proof)", cmd1_samples)):
    print("sec2 %s: %.2f ms, %d B allocated" % (name, median([s[0] for s in samples[:-1]]) / 1000, samples[-1][1]))
