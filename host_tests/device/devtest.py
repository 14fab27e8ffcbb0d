"""Helpers shared by the device test modules; runs under CPython and MicroPython.

The MicroPython runtime runner copies the vectors to ``/vectors``; under CPython they
are read from ``host_tests/vectors`` next to this folder.
"""

import json

try:
    from binascii import unhexlify as _unhexlify
except ImportError:  # pragma: no cover
    _unhexlify = bytes.fromhex

_VECTOR_DIRS = ("/vectors",)


def _candidate_dirs():
    dirs = list(_VECTOR_DIRS)
    here = __file__.replace("\\", "/")
    if "/" in here:
        base = here.rsplit("/", 1)[0]
        dirs.insert(0, base + "/../vectors")
    return dirs


def load_vectors(name):
    """Return the parsed JSON vector file ``name`` (e.g. ``"sec1.json"``)."""
    last = None
    for folder in _candidate_dirs():
        try:
            with open(folder + "/" + name) as f:
                return json.load(f)
        except OSError as exc:
            last = exc
    raise last


def unhex(text):
    """Hex string to bytes (None stays None)."""
    if text is None:
        return None
    return _unhexlify(text)


class FixedRandom:
    """Deterministic randomness source: each request for n bytes gets the first queued chunk of length n."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def __call__(self, n):
        for i, chunk in enumerate(self.chunks):
            if len(chunk) == n:
                return self.chunks.pop(i)
        raise AssertionError("no fixed random chunk of %d bytes queued" % n)
