"""Constant-time comparison of secrets (tags, proofs)."""


def equal(a, b):
    """Return True when the bytes-like ``a`` and ``b`` are equal, in time that depends only on their length."""
    n = len(a)
    if n != len(b):
        return False
    diff = 0
    for i in range(n):
        diff |= a[i] ^ b[i]
    return diff == 0
