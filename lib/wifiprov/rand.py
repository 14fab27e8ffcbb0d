"""The one source of randomness of the device code (``os.urandom`` unless a test injects one)."""

import os

_source = None


def random_bytes(n):
    """Return ``n`` random bytes from the current source."""
    if _source is not None:
        return _source(n)
    return os.urandom(n)


def set_source(source):
    """Replace the randomness source with ``source(n) -> bytes``; ``None`` restores ``os.urandom``."""
    global _source
    _source = source
