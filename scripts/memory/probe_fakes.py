"""Runs on MicroPython: the heap the virtual board's simulated hardware keeps (``probe_fakes.py DEVSIM``).

Prints ``fakes BYTES``: ``network``, ``esp32`` and ``machine`` from DEVSIM imported, as the
virtual board does before its boot.py runs. A board has them in C, so the benchmark takes
this off the smallest heap to give the board's own heap.
"""

import gc
import sys

gc.collect()
before = gc.mem_alloc()
sys.path.insert(0, sys.argv[1])
import esp32  # noqa: E402,F401
import machine  # noqa: E402,F401
import network  # noqa: E402,F401

sys.path.pop(0)
gc.collect()
print("fakes %d" % (gc.mem_alloc() - before))
