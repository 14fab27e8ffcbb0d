"""wifiprov.qr against the segno package (CPython only): every module of every mask, the
version / ECC choice, and the mask choice by ESP-IDF's (qrcodegen's) penalty rules."""

import os
import random

import pytest
import segno
from segno import encoder

from wifiprov import qr

PAYLOADS = [
    b'{"ver":"v1","name":"PROV_261FCC","pop":"abcd1234","transport":"softap"}',
    b'{"ver":"v1","name":"PROV_261FCC","username":"wifiprov","pop":"abcd1234","transport":"ble"}',
    b'{"ver":"v1","name":"PROV_261FCC","transport":"ble"}',
    b"a",
    "Grüße, 你好".encode(),
]
_rng = random.Random(4)
# Sizes around every version/level boundary of versions 1..10, random content.
for _n in (14, 15, 16, 17, 26, 27, 32, 33, 42, 43, 53, 61, 62, 78, 84, 85, 106, 107, 122, 134, 135, 152, 154, 180,
           192, 213, 230, 271):
    PAYLOADS.append(bytes(_rng.randrange(256) for _ in range(_n)))


def _spec_padding(buff, version, length):
    # segno 1.6.6 appends a whole zero byte when the bit stream is already byte-aligned after
    # the terminator (ISO/IEC 18004 7.4.10 pads only up to the boundary); qrcodegen and
    # wifiprov.qr do not, so segno is compared with that one step as the standard says.
    if length % 8:
        buff.extend([0] * (8 - length % 8))


@pytest.fixture
def reference(monkeypatch):
    monkeypatch.setattr(encoder, "write_padding_bits", _spec_padding)
    return segno


def _matrix(code):
    return [[1 if code.dark(x, y) else 0 for x in range(code.size)] for y in range(code.size)]


def _level(code):
    return "M" if code.ecc == 0 else "L"


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: "%d_bytes" % len(p))
def test_every_mask_matches_segno_module_for_module(reference, payload):
    chosen = qr.encode(payload)
    for mask in range(8):
        mine = qr.encode(payload, mask=mask)
        theirs = reference.make(payload, mode="byte", error=_level(chosen), version=chosen.version, mask=mask,
                                boost_error=False, micro=False)
        assert (mine.version, mine.mask) == (theirs.version, theirs.mask)
        assert _matrix(mine) == [list(row) for row in theirs.matrix], "mask %d" % mask


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: "%d_bytes" % len(p))
def test_smallest_version_at_level_l_then_m_if_it_still_fits(payload):
    code = qr.encode(payload)
    assert code.version == segno.make(payload, mode="byte", error="L", boost_error=False, micro=False).version
    try:
        segno.make(payload, mode="byte", error="M", version=code.version, boost_error=False, micro=False)
        fits_m = True
    except segno.DataOverflowError:
        fits_m = False
    assert _level(code) == ("M" if fits_m else "L")


def _runs(line):
    """Run lengths of a row/column framed by a light border as wide as the symbol."""
    cells = [0] * len(line) + list(line) + [0] * len(line)
    runs, colour, length = [], 0, 0
    for cell in cells:
        if cell == colour:
            length += 1
        else:
            runs.append((colour, length))
            colour, length = cell, 1
    runs.append((colour, length))
    return runs


def _finder_like(line):
    """qrcodegen's N3: dark-light-dark-light-dark runs n:n:3n:n:n with light >= 4n on one side, >= n on the other."""
    runs = _runs(line)
    count = 0
    for i in range(1, len(runs) - 5):
        colours = [c for c, _ in runs[i:i + 5]]
        if colours != [1, 0, 1, 0, 1]:
            continue
        n = runs[i][1]
        if [r for _, r in runs[i:i + 5]] != [n, n, 3 * n, n, n]:
            continue
        before, after = runs[i - 1][1], runs[i + 5][1]
        count += (before >= 4 * n and after >= n) + (after >= 4 * n and before >= n)
    return count


def _reference_penalty(matrix):
    size = len(matrix)
    n1, n2, _, _ = encoder.mask_scores(tuple(bytearray(r) for r in matrix), size, size)
    lines = matrix + [[matrix[y][x] for y in range(size)] for x in range(size)]
    n3 = 40 * sum(_finder_like(line) for line in lines)
    dark, total = sum(map(sum, matrix)), size * size
    n4 = 10 * ((abs(dark * 20 - total * 10) + total - 1) // total - 1)
    return n1 + n2 + n3 + n4


@pytest.mark.parametrize("payload", PAYLOADS[:12], ids=lambda p: "%d_bytes" % len(p))
def test_mask_with_the_lowest_penalty_is_chosen(payload):
    scores = [_reference_penalty(_matrix(qr.encode(payload, mask=m))) for m in range(8)]
    assert qr.encode(payload).mask == scores.index(min(scores))


def test_too_long_for_version_10_raises():
    qr.encode(os.urandom(271))
    with pytest.raises(ValueError):
        qr.encode(os.urandom(272))


def test_lines_draw_two_rows_per_line_with_a_two_module_border():
    code = qr.encode(PAYLOADS[0])
    lines = list(qr.lines(code))
    assert len(lines) == (code.size + 4 + 1) // 2
    assert all(len(line) == code.size + 4 for line in lines)
    assert lines[0] == " " * (code.size + 4)
    # Rows 0 and 1 of the top-left finder: 7 dark, then a dark row over a light-dark-light row.
    assert lines[1][2:9] == "\u2588\u2580\u2580\u2580\u2580\u2580\u2588"
    for y in range(code.size):
        for x in range(code.size):
            glyph = lines[(y + 2) // 2][x + 2]
            upper = (y + 2) % 2 == 0
            dark_here = glyph == "\u2588" or glyph == ("\u2580" if upper else "\u2584")
            assert dark_here == code.dark(x, y)
