"""Simulated ``machine`` module for the virtual board: the chip's MAC and resets.

``unique_id()`` is the base MAC of the simulated world (``network.world()``); ``reset()``
and ``soft_reset()`` call the hook the virtual board installs with ``set_reset_hook``
(it restarts the board process) and never return.
"""

import network

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_reset_hook = None
_reset_cause = PWRON_RESET


def set_reset_hook(hook, cause=PWRON_RESET):
    """Call ``hook(cause)`` on ``reset()``/``soft_reset()``; ``cause`` is what ``reset_cause()`` says now."""
    global _reset_hook, _reset_cause
    _reset_hook = hook
    _reset_cause = cause


def unique_id():
    """The 6-byte base MAC (= the station MAC)."""
    return network.world()["mac"]


def reset():
    """Hard reset: the board restarts from boot.py."""
    _restart(HARD_RESET)


def soft_reset():
    """Soft reset: the board restarts from boot.py."""
    _restart(SOFT_RESET)


def _restart(cause):
    if _reset_hook is None:
        raise SystemExit("machine reset")
    _reset_hook(cause)
    raise SystemExit("machine reset")


def reset_cause():
    """Why the board (re)started."""
    return _reset_cause


def freq():
    """CPU clock in Hz (stock ESP32 firmware runs at 160 MHz)."""
    return 160000000
