"""Shared pytest set-up: device code (lib/) runs under CPython with the devsim stand-ins."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "scripts", "devsim"), os.path.join(ROOT, "lib"), os.path.join(ROOT, "scripts"), os.path.join(ROOT, "host_tests", "device")):
    if path not in sys.path:
        sys.path.insert(0, path)
