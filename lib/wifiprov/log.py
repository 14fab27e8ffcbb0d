"""Console logging in ESP-IDF's format: ``I (<ms since boot>) <tag>: <text>``.

``Logger(tag)`` has ``error``/``warn``/``info``/``debug``; ``warn`` alone also fits
where a plain ``log(text)`` callable is expected (Protocomm, HttpTransport).
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
