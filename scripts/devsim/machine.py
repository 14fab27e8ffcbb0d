"""Simulated ``machine`` module for the virtual board: the chip's MAC, resets and input pins.

``unique_id()`` is the base MAC of the simulated world (``network.world()``); ``reset()``
and ``soft_reset()`` call the hook the virtual board installs with ``set_reset_hook``
(it restarts the board process) and never return. ``Pin`` inputs read their pull level;
``press(pin_id)`` holds one low for a moment, as a push button to ground does, and once
the application has made an input pin, SIGUSR1 to the board process presses it (how a
test pushes the board's button).
"""

import signal
import threading
import time

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


_PRESS_S = 0.3  # how long a press holds the pin low
_pressed_until = {}  # pin id -> time.monotonic() until which it reads 0


def press(pin_id):
    """Push the button on ``pin_id``: it reads low for a moment."""
    _pressed_until[pin_id] = time.monotonic() + _PRESS_S


class Pin:
    """``machine.Pin``: inputs only (level from the pull, low while pressed)."""

    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, pin_id, mode=-1, pull=-1):
        self.id = pin_id
        self._pull = pull
        if mode == Pin.IN and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGUSR1, lambda signum, frame: press(pin_id))

    def value(self, level=None):
        if level is not None:
            raise OSError("output pins are not simulated")
        if time.monotonic() < _pressed_until.get(self.id, 0):
            return 0
        return 0 if self._pull == Pin.PULL_DOWN else 1
