"""Simulated hardware and CPython stand-ins for the MicroPython modules the device code uses.

``network``, ``esp32``, ``machine`` (with ``wlan_station`` and ``hostsys``) run under CPython
and on MicroPython's unix port: the virtual board's MicroPython runtime imports exactly
these (``scripts/vboard_boot.py``). The rest is CPython only: ``bluetooth``, ``aioble`` and
``ble_central`` (the simulated radio), and ``cryptolib`` and ``micropython``, which stand in
for modules the VM has built in. Put this folder on ``sys.path`` (before ``lib/``) to run
device code under CPython: the CPython virtual board and the host test-suite both do.
"""
