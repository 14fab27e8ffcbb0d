"""QR Code (ISO/IEC 18004) encoder for the provisioning payload: byte mode, versions 1..10, ECC L or M.

Like ESP-IDF's ``esp_qrcode_generate`` (qrcodegen, ECC LOW, max version 10, automatic
mask): the smallest version that holds the data at level L, raised to M when the data
still fits in that version. ``lines()`` draws it as ``esp_qrcode_print_console`` does.
"""

from micropython import const

_MAX_VERSION = const(10)
_ECC_M = const(0)  # format-information bits of the levels
_ECC_L = const(1)

# Per version 1..10: (EC codewords per block, blocks, data codewords in the short blocks,
# blocks that carry one more data codeword), for level L then level M.
_BLOCKS_L = (
    (7, 1, 19, 0), (10, 1, 34, 0), (15, 1, 55, 0), (20, 1, 80, 0), (26, 1, 108, 0),
    (18, 2, 68, 0), (20, 2, 78, 0), (24, 2, 97, 0), (30, 2, 116, 0), (18, 4, 68, 2),
)
_BLOCKS_M = (
    (10, 1, 16, 0), (16, 1, 28, 0), (26, 1, 44, 0), (18, 2, 32, 0), (24, 2, 43, 0),
    (16, 4, 27, 0), (18, 4, 31, 0), (22, 4, 38, 2), (22, 5, 36, 2), (26, 5, 43, 1),
)
# Alignment pattern centre coordinates for versions 2..10 (version 1 has none).
_ALIGN = (
    (6, 18), (6, 22), (6, 26), (6, 30), (6, 34), (6, 22, 38), (6, 24, 42), (6, 26, 46), (6, 28, 50),
)

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = bytearray(512)
_LOG = bytearray(256)


def _init_field():
    value = 1
    for i in range(255):
        _EXP[i] = value
        _LOG[value] = i
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for i in range(255, 512):
        _EXP[i] = _EXP[i - 255]


_init_field()


def _data_codewords(blocks):
    ec, count, short, long_count = blocks
    return count * short + long_count


def _choose(length):
    """(version, ECC level, block layout) for ``length`` data bytes."""
    for version in range(1, _MAX_VERSION + 1):
        count_bits = 8 if version < 10 else 16
        needed = 4 + count_bits + 8 * length
        if needed <= 8 * _data_codewords(_BLOCKS_L[version - 1]):
            if needed <= 8 * _data_codewords(_BLOCKS_M[version - 1]):
                return version, _ECC_M, _BLOCKS_M[version - 1]
            return version, _ECC_L, _BLOCKS_L[version - 1]
    raise ValueError("QR payload too long")


def _bitstream(data, version, capacity):
    """Mode, count, data, terminator and pad codewords: ``capacity`` bytes."""
    out = bytearray(capacity)
    bits = [0]  # bits written so far

    def put(value, width):
        for i in range(width - 1, -1, -1):
            if (value >> i) & 1:
                out[bits[0] >> 3] |= 0x80 >> (bits[0] & 7)
            bits[0] += 1

    put(0b0100, 4)
    put(len(data), 8 if version < 10 else 16)
    for byte in data:
        put(byte, 8)
    used = (min(bits[0] + 4, capacity * 8) + 7) >> 3  # terminator, then up to a whole byte
    pad = 0xEC
    for i in range(used, capacity):
        out[i] = pad
        pad ^= 0xEC ^ 0x11
    return out


def _ec_codewords(block, ec_len):
    """Reed-Solomon remainder of ``block`` for the generator of degree ``ec_len``."""
    generator = bytearray(ec_len + 1)  # coefficients, highest degree first
    generator[0] = 1
    for i in range(ec_len):
        root = _EXP[i]
        for j in range(i + 1, 0, -1):
            product = _EXP[_LOG[generator[j - 1]] + _LOG[root]] if generator[j - 1] else 0
            generator[j] ^= product
    remainder = bytearray(ec_len)
    for byte in block:
        factor = byte ^ remainder[0]
        remainder[:-1] = remainder[1:]
        remainder[-1] = 0
        if factor:
            log_factor = _LOG[factor]
            for j in range(ec_len):
                if generator[j + 1]:
                    remainder[j] ^= _EXP[_LOG[generator[j + 1]] + log_factor]
    return remainder


def _codewords(data, version, blocks):
    """Data plus error correction, split into blocks and interleaved."""
    ec_len, count, short, long_count = blocks
    stream = _bitstream(data, version, _data_codewords(blocks))
    data_blocks = []
    ec_blocks = []
    pos = 0
    for b in range(count):
        size = short + (1 if b >= count - long_count else 0)
        chunk = stream[pos : pos + size]
        pos += size
        data_blocks.append(chunk)
        ec_blocks.append(_ec_codewords(chunk, ec_len))
    out = bytearray()
    for i in range(short + 1):
        for chunk in data_blocks:
            if i < len(chunk):
                out.append(chunk[i])
    for i in range(ec_len):
        for chunk in ec_blocks:
            out.append(chunk[i])
    return out


class QrCode:
    """A finished symbol: ``size`` modules square; ``dark(x, y)`` is True for dark modules."""

    def __init__(self, version, ecc):
        self.version = version
        self.ecc = ecc
        self.size = 17 + 4 * version
        self.mask = None
        self._modules = bytearray(self.size * self.size)
        self._function = bytearray(self.size * self.size)

    def dark(self, x, y):
        """True if the module at column ``x``, row ``y`` is dark (outside the symbol: light)."""
        if 0 <= x < self.size and 0 <= y < self.size:
            return self._modules[y * self.size + x] == 1
        return False

    def _set(self, x, y, dark):
        index = y * self.size + x
        self._modules[index] = 1 if dark else 0
        self._function[index] = 1

    def _draw_function_patterns(self):
        size = self.size
        for i in range(size):
            self._set(6, i, i % 2 == 0)
            self._set(i, 6, i % 2 == 0)
        for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
            for dy in range(-4, 5):
                for dx in range(-4, 5):
                    x, y = cx + dx, cy + dy
                    if 0 <= x < size and 0 <= y < size:
                        ring = max(abs(dx), abs(dy))
                        self._set(x, y, ring != 2 and ring != 4)
        if self.version > 1:
            centres = _ALIGN[self.version - 2]
            last = len(centres) - 1
            for i, cx in enumerate(centres):
                for j, cy in enumerate(centres):
                    if (i == 0 and j == 0) or (i == 0 and j == last) or (i == last and j == 0):
                        continue
                    for dy in range(-2, 3):
                        for dx in range(-2, 3):
                            self._set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1)
        self._draw_format(0)  # reserves the areas; the real bits come with the mask
        if self.version >= 7:
            rem = self.version
            for _ in range(12):
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
            bits = (self.version << 12) | rem
            for i in range(18):
                bit = (bits >> i) & 1
                a = size - 11 + i % 3
                b = i // 3
                self._set(a, b, bit)
                self._set(b, a, bit)

    def _draw_format(self, mask):
        data = (self.ecc << 3) | mask
        rem = data
        for _ in range(10):
            rem = (rem << 1) ^ ((rem >> 9) * 0x537)
        bits = ((data << 10) | rem) ^ 0x5412
        size = self.size
        for i in range(6):
            self._set(8, i, (bits >> i) & 1)
        self._set(8, 7, (bits >> 6) & 1)
        self._set(8, 8, (bits >> 7) & 1)
        self._set(7, 8, (bits >> 8) & 1)
        for i in range(9, 15):
            self._set(14 - i, 8, (bits >> i) & 1)
        for i in range(8):
            self._set(size - 1 - i, 8, (bits >> i) & 1)
        for i in range(8, 15):
            self._set(8, size - 15 + i, (bits >> i) & 1)
        self._set(8, size - 8, True)

    def _draw_codewords(self, codewords):
        size = self.size
        total = len(codewords) * 8
        i = 0
        right = size - 1
        while right >= 1:
            if right == 6:
                right = 5
            upward = ((right + 1) & 2) == 0
            for vert in range(size):
                y = size - 1 - vert if upward else vert
                for x in (right, right - 1):
                    index = y * size + x
                    if not self._function[index] and i < total:
                        self._modules[index] = (codewords[i >> 3] >> (7 - (i & 7))) & 1
                        i += 1
            right -= 2

    def _apply_mask(self, mask):
        """XOR ``mask`` onto the data modules (applying it twice undoes it)."""
        pattern = bytearray(144)  # every mask repeats every 12 modules both ways
        for i in range(144):
            pattern[i] = _mask_bit(mask, i % 12, i // 12)
        size = self.size
        modules = self._modules
        function = self._function
        for y in range(size):
            row = y * size
            period = (y % 12) * 12
            for x in range(size):
                if pattern[period + x % 12] and not function[row + x]:
                    modules[row + x] ^= 1

    def _penalty(self):
        size = self.size
        modules = self._modules
        score = 0
        for line in range(size):
            score += _line_penalty(modules, line * size, 1, size)  # row
            score += _line_penalty(modules, line, size, size)  # column
        for y in range(size - 1):
            row = y * size
            for x in range(size - 1):
                colour = modules[row + x]
                if colour == modules[row + x + 1] == modules[row + size + x] == modules[row + size + x + 1]:
                    score += 3
        dark = 0
        for value in modules:
            dark += value
        total = size * size
        k = (abs(dark * 20 - total * 10) + total - 1) // total - 1
        return score + k * 10


def _mask_bit(mask, x, y):
    """1 where data mask ``mask`` flips the module at column ``x``, row ``y``."""
    if mask == 0:
        flip = (x + y) % 2 == 0
    elif mask == 1:
        flip = y % 2 == 0
    elif mask == 2:
        flip = x % 3 == 0
    elif mask == 3:
        flip = (x + y) % 3 == 0
    elif mask == 4:
        flip = (x // 3 + y // 2) % 2 == 0
    elif mask == 5:
        flip = x * y % 2 + x * y % 3 == 0
    elif mask == 6:
        flip = (x * y % 2 + x * y % 3) % 2 == 0
    else:
        flip = ((x + y) % 2 + x * y % 3) % 2 == 0
    return 1 if flip else 0


def _line_penalty(modules, start, step, size):
    """Rules 1 and 3 (runs and finder-like patterns) for one row or column, light border assumed."""
    score = 0
    history = [0] * 7
    colour = 0
    run = 0
    index = start
    for _ in range(size):
        value = modules[index]
        index += step
        if value == colour:
            run += 1
            if run == 5:
                score += 3
            elif run > 5:
                score += 1
        else:
            _add_run(history, run, size)
            if not colour:
                score += _finder_patterns(history) * 40
            colour = value
            run = 1
    if colour:
        _add_run(history, run, size)
        run = 0
    _add_run(history, run + size, size)
    return score + _finder_patterns(history) * 40


def _add_run(history, run, size):
    if history[0] == 0:
        run += size  # the light border before the first run
    history.pop()
    history.insert(0, run)


def _finder_patterns(history):
    """How many 1:1:3:1:1 dark-light patterns with 4 light modules on a side end the history."""
    n = history[1]
    if not (n > 0 and history[2] == n and history[3] == n * 3 and history[4] == n and history[5] == n):
        return 0
    found = 0
    if history[0] >= n * 4 and history[6] >= n:
        found += 1
    if history[6] >= n * 4 and history[0] >= n:
        found += 1
    return found


def encode(data, mask=None):
    """The QR code of ``data`` (bytes or str); ``mask`` 0..7 forces a data mask, else the
    one with the lowest penalty score is used."""
    if isinstance(data, str):
        data = data.encode()
    version, ecc, blocks = _choose(len(data))
    code = QrCode(version, ecc)
    code._draw_function_patterns()
    code._draw_codewords(_codewords(data, version, blocks))
    best = mask
    if best is None:
        best_score = None
        for candidate in range(8):
            code._apply_mask(candidate)
            code._draw_format(candidate)
            score = code._penalty()
            if best_score is None or score < best_score:
                best, best_score = candidate, score
            code._apply_mask(candidate)
    code._apply_mask(best)
    code._draw_format(best)
    code.mask = best
    return code


def lines(code, border=2):
    """Text lines drawing ``code`` with half blocks, two module rows per line (dark = block)."""
    glyphs = (" ", "\u2580", "\u2584", "\u2588")  # none, upper, lower, both dark
    for y in range(-border, code.size + border, 2):
        row = []
        for x in range(-border, code.size + border):
            row.append(glyphs[code.dark(x, y) + 2 * code.dark(x, y + 1)])
        yield "".join(row)
