"""What the benchmark scripts share, under MicroPython and CPython alike: a microsecond clock, the
reference vectors, the heap in use and a median."""

import gc
import json
import time

try:
    from time import ticks_diff, ticks_us
except ImportError:  # CPython

    def ticks_us():
        """Microseconds from an arbitrary start."""
        return int(time.perf_counter() * 1000000)

    def ticks_diff(a, b):
        """``a - b`` for two ``ticks_us`` values."""
        return a - b


VECTOR_DIRS = ("/vectors", "host_tests/vectors")  # the MicroPython runner's copy, or the repository's


def load_vectors(name):
    """The parsed vector file ``name`` (e.g. ``"sec2.json"``)."""
    for folder in VECTOR_DIRS:
        try:
            with open(folder + "/" + name) as f:
                return json.load(f)
        except OSError:
            pass
    raise OSError("vectors not found: " + name)


def heap():
    """Bytes in use once the garbage is collected (0 where the interpreter cannot say, e.g. CPython)."""
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0


def median(values):
    """The middle value of ``values`` (the upper one of an even count)."""
    values = sorted(values)
    return values[len(values) // 2]
