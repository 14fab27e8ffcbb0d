"""Stand-in for micropython-lib's ``aioble`` (core, device, peripheral, server) on the simulated ``bluetooth``.

Only the part of aioble's API that wifiprov's BLE transport uses, with aioble's documented
behaviour (PLATFORM.md §A6): ``Service``, ``Characteristic``, ``BufferedCharacteristic``
(``gatts_set_buffer`` at registration), ``Descriptor``, ``register_services``;
``advertise()`` (explicit payloads sent as given, otherwise built with aioble's ``< 31``
packing rule), ``DeviceConnection``; ``on_read`` runs inside the read-request IRQ and its
return value is the IRQ's; a write only records the connection and sets a
``ThreadSafeFlag`` for ``await written()``; ``core.ble_irq`` chains the modules' handlers
with no exception guard. Pairing/bonding storage (aioble-security), the central role and
write capture are not simulated.
"""

from .core import GattError, config, log_error, log_info, log_warn, stop
from .device import Device, DeviceConnection, DeviceDisconnectedError
from .peripheral import advertise
from .server import BufferedCharacteristic, Characteristic, Descriptor, Service, register_services

ADDR_PUBLIC = 0
ADDR_RANDOM = 1
