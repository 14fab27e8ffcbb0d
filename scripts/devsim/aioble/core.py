"""aioble.core stand-in: the one ``BLE`` object, the IRQ chain, activation and logging."""

import bluetooth

log_level = 1


def log_error(*args):
    if log_level > 0:
        print("[aioble] E:", *args)


def log_warn(*args):
    if log_level > 1:
        print("[aioble] W:", *args)


def log_info(*args):
    if log_level > 2:
        print("[aioble] I:", *args)


class GattError(Exception):
    """A GATT operation ended with a non-zero ATT status."""

    def __init__(self, status):
        super().__init__(status)
        self._status = status


def ensure_active():
    """Switch BLE on (loading bonding secrets first when aioble-security is installed)."""
    if not ble.active():
        try:
            from .security import load_secrets

            load_secrets()
        except ImportError:
            pass
        ble.active(True)


def config(*args, **kwargs):
    """``ble.config`` after making sure BLE is on."""
    ensure_active()
    return ble.config(*args, **kwargs)


_irq_handlers = []
_shutdown_handlers = []


def register_irq_handler(irq, shutdown):
    """Add a module's IRQ handler to the chain and its clean-up to ``stop()``."""
    if irq:
        _irq_handlers.append(irq)
    if shutdown:
        _shutdown_handlers.append(shutdown)


def stop():
    """Switch BLE off and forget every module's state."""
    ble.active(False)
    for handler in _shutdown_handlers:
        handler()


def ble_irq(event, data):
    """The chain: the first handler returning something other than None decides the IRQ's result."""
    log_info(event, data)
    for handler in _irq_handlers:
        result = handler(event, data)
        if result is not None:
            return result
    return None


ble = bluetooth.BLE()
ble.irq(ble_irq)
