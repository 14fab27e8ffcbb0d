"""Shared pytest set-up.

The suite is organised by what each part needs:
``device/`` device-code unit tests (run here under CPython and, by ``runtime/``, on the
real MicroPython), ``runtime/`` the MicroPython-runtime and mpy-cross gates, ``host/``
the host client, code generation and simulators, ``vboard/`` scenarios against the
virtual board. Device code (lib/) runs under CPython with the devsim stand-ins.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "host_tests")
for path in (
    os.path.join(ROOT, "scripts", "devsim"),
    os.path.join(ROOT, "lib"),
    os.path.join(ROOT, "scripts"),
    os.path.join(HERE, "device"),
    os.path.join(HERE, "vboard"),
):
    if path not in sys.path:
        sys.path.insert(0, path)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def parametrize_fixtures():
    """Turns off pytest-embedded's per-test set-up, which only host_tests/board needs (its conftest restores it)."""
