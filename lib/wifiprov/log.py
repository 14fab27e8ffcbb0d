"""Console logging in ESP-IDF's format: ``I (<ms since boot>) <tag>: <text>``.

``Logger(tag)`` has ``error``/``warn``/``info``/``debug``; ``warn`` alone also fits
where a plain ``log(text)`` callable is expected (Protocomm, HttpTransport).
``printable(data)`` is the one rule for putting client- or radio-supplied text on a
console line.
"""

import time

try:
    _ticks_ms = time.ticks_ms
except AttributeError:  # CPython: ms since this module was imported
    _t0 = time.monotonic()

    def _ticks_ms():
        return int((time.monotonic() - _t0) * 1000)


ERROR = 1
WARN = 2
INFO = 3
DEBUG = 4

_LETTERS = "?EWID"

level = INFO


def _escaped(code):
    """True for characters that must not reach a terminal as they are: C0 and C1 controls,
    DEL, the backslash (so escapes stay unambiguous), line/paragraph separators and the
    bidirectional controls (Trojan Source)."""
    if code < 0xA0:
        return code < 0x20 or code >= 0x7F or code == 0x5C
    if code < 0x2000:
        return code == 0x61C
    return code in (0x200E, 0x200F, 0x2028, 0x2029) or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


def printable(data):
    """``data`` (bytes or str from a client or the radio) as text that stays on one console line.

    UTF-8 text keeps its letters; every character ``_escaped`` names becomes ``\\xNN`` /
    ``\\uNNNN`` (a backslash ``\\\\``). Bytes that are not UTF-8 are shown byte by byte:
    printable ASCII as is, the rest as ``\\xNN``.
    """
    if isinstance(data, str):
        text = data
    else:
        data = bytes(data)
        try:
            text = data.decode()
        except UnicodeError:
            text = None
    if text is None:  # not UTF-8: every byte outside printable ASCII is escaped
        codes = data
        plain_below = 0x80
    else:
        codes = [ord(ch) for ch in text]
        plain_below = 0x110000
    out = []
    for code in codes:
        if code == 0x5C:
            out.append("\\\\")
        elif code < plain_below and not _escaped(code):
            out.append(chr(code))
        elif code < 0x100:
            out.append("\\x%02x" % code)
        else:
            out.append("\\u%04x" % code)
    return "".join(out)


def write(severity, tag, text):
    """Print ``text`` for ``tag`` if ``severity`` is at or above the module's ``level``."""
    if severity <= level:
        print("%s (%d) %s: %s" % (_LETTERS[severity], _ticks_ms(), tag, text))


class Logger:
    """Writes lines tagged ``tag``."""

    def __init__(self, tag):
        self.tag = tag

    def error(self, text):
        """Log at error level (``E``)."""
        write(ERROR, self.tag, text)

    def warn(self, text):
        """Log at warning level (``W``)."""
        write(WARN, self.tag, text)

    def info(self, text):
        """Log at info level (``I``)."""
        write(INFO, self.tag, text)

    def debug(self, text):
        """Log at debug level (``D``), shown only when ``level`` is ``DEBUG``."""
        write(DEBUG, self.tag, text)
