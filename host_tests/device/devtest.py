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


def _here():
    """This file's folder, or None where the runtime gives no path."""
    here = __file__.replace("\\", "/")
    return here.rsplit("/", 1)[0] if "/" in here else None


def _candidate_dirs():
    dirs = list(_VECTOR_DIRS)
    if _here() is not None:
        dirs.insert(0, _here() + "/../vectors")
    return dirs


def repo_root():
    """Two folders up from this one: the repository's, with main.py, when the tests run from a checkout."""
    return None if _here() is None else _here() + "/../.."


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


def response_head(head):
    """``(status, {lower-case header name: value})`` of an HTTP response head (bytes, without the blank line)."""
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        key, value = line.split(b":", 1)
        headers[key.strip().lower()] = value.strip()
    return int(lines[0].split(b" ")[1]), headers


class FixedRandom:
    """Deterministic randomness source: each request for n bytes gets the first queued chunk of length n."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def __call__(self, n):
        for i, chunk in enumerate(self.chunks):
            if len(chunk) == n:
                return self.chunks.pop(i)
        raise AssertionError("no fixed random chunk of %d bytes queued" % n)
