"""What the simulators need from the computer they run on: a millisecond clock and the host's files.

The same calls work under CPython and on MicroPython's unix port. On MicroPython the
board's ``/`` is its flash directory (``scripts/vboard_boot.py`` mounts it there), so host
files are reached through a ``VfsPosix`` without a root, which takes host paths as they are.
"""

import os
import time

try:
    _host = os.VfsPosix()
except AttributeError:  # CPython
    _host = None

try:
    _ticks_ms = time.ticks_ms
    _T0 = _ticks_ms()

    def now_ms():
        """Milliseconds since the simulators started (ticks_diff keeps this exact for 6 days)."""
        return time.ticks_diff(_ticks_ms(), _T0)

except AttributeError:  # plain CPython (the virtual board adds ticks_ms to its CPython)

    def now_ms():
        """Milliseconds since the simulators started."""
        return time.monotonic() * 1000


def open_file(path, mode):
    """Open the host file ``path``."""
    if _host is None:
        return open(path, mode)
    return _host.open(path, mode)


def exists(path):
    """True if the host file ``path`` exists."""
    try:
        (os if _host is None else _host).stat(path)
    except OSError:
        return False
    return True


def remove(path):
    """Delete the host file ``path`` (it must exist)."""
    if _host is None:
        os.remove(path)
    else:
        _host.remove(path)


def write_atomically(path, text):
    """Replace the host file ``path`` with ``text``: a reader finds the old or the new contents, never a mix."""
    tmp = path + ".tmp"
    with open_file(tmp, "w") as f:
        f.write(text)
        if _host is None:
            f.flush()
            os.fsync(f.fileno())
    if _host is None:
        os.replace(tmp, path)
    else:
        _host.rename(tmp, path)
