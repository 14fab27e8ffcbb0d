"""X25519 Diffie-Hellman (RFC 7748) on Python integers, with little-endian byte-string keys."""

_P = (1 << 255) - 19
_MASK255 = (1 << 255) - 1
_BASE_POINT = b"\x09" + bytes(31)


def x25519(scalar, u):
    """Return the 32-byte u-coordinate of ``scalar`` times the point ``u``.

    Both arguments are 32-byte strings; the scalar is clamped and the top bit of ``u``
    ignored, as RFC 7748 requires. Raises ``ValueError`` when the result is all zero
    (``u`` was a low-order point).
    """
    if len(scalar) != 32 or len(u) != 32:
        raise ValueError("x25519 needs 32-byte inputs")
    k = bytearray(scalar)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    p = _P
    m = _MASK255
    x1 = int.from_bytes(u, "little") & m
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    # Montgomery ladder. The four products that feed further products are only folded
    # once (2^255 = 19 mod p, leaving them a few bits above 255); the ladder outputs
    # are reduced fully with % p. Values may be negative until the final reduction.
    for t in range(254, -1, -1):
        bit = (k[t >> 3] >> (t & 7)) & 1
        if swap ^ bit:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = bit
        a = x2 + z2
        b = x2 - z2
        c = x3 + z3
        d = x3 - z3
        aa = a * a
        aa = (aa & m) + 19 * (aa >> 255)
        bb = b * b
        bb = (bb & m) + 19 * (bb >> 255)
        da = d * a
        da = (da & m) + 19 * (da >> 255)
        cb = c * b
        cb = (cb & m) + 19 * (cb >> 255)
        e = aa - bb
        x3 = da + cb
        x3 = x3 * x3 % p
        z3 = da - cb
        z3 = z3 * z3
        z3 = x1 * ((z3 & m) + 19 * (z3 >> 255)) % p
        x2 = aa * bb % p
        z2 = e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    result = x2 * pow(z2, p - 2, p) % p
    if not result:
        raise ValueError("x25519 result is zero (low-order point)")
    return result.to_bytes(32, "little")


def public_key(private):
    """Return the X25519 public key (32 bytes) of the 32-byte ``private`` key."""
    return x25519(private, _BASE_POINT)
