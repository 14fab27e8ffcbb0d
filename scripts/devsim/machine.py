"""Simulated ``machine`` module for the virtual board: the chip's MAC, resets and input pins.

``unique_id()`` is the base MAC of the simulated world (``network.world()``); ``reset()``
and ``soft_reset()`` call the hook the virtual board installs with ``set_reset_hook``
(it restarts the board) and never return. ``Pin`` inputs read their pull level;
``press(pin_id)`` holds one low for a moment, as a push button to ground does. The board
has one button: once ``set_button_file(path)`` names a host file, its appearing is a
press of whichever input pin is read next (``scripts/vboard.py`` creates it on SIGUSR1).
Runs under CPython and on MicroPython.
"""

import hostsys
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


_PRESS_MS = 300  # how long a press holds the pin low
_pressed_until = {}  # pin id -> hostsys.now_ms() until which it reads 0
_button_file = None


def press(pin_id):
    """Push the button on ``pin_id``: it reads low for a moment."""
    _pressed_until[pin_id] = hostsys.now_ms() + _PRESS_MS


def set_button_file(path):
    """Take the host file ``path`` appearing as a press of the board's button (None: no button)."""
    global _button_file
    _button_file = path


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

    def value(self, level=None):
        if level is not None:
            raise OSError("output pins are not simulated")
        if _button_file is not None and hostsys.exists(_button_file):
            hostsys.remove(_button_file)
            press(self.id)
        if hostsys.now_ms() < _pressed_until.get(self.id, 0):
            return 0
        return 0 if self._pull == Pin.PULL_DOWN else 1
