"""Device- and radio-supplied text for the terminal, escaped by the device library's own rule (``wifiprov.log.printable``)."""

import os
import sys

_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lib")
if _LIB not in sys.path:
    sys.path.append(_LIB)

from wifiprov.log import printable  # noqa: E402,F401
