"""Runs on MicroPython: the heap each wifiprov module keeps once imported (``probe_modules.py DEVSIM``).

Modules are imported leaf first, so each number is the module's own: its bytecode, the
objects it makes at import and the names it interns. Prints ``module NAME BYTES`` per
module, each followed by the interned-name pool's size (``micropython.qstr_info``), whose
growth is part of BYTES (the pool grows in chunks, so the host spreads it by names added). The simulated hardware
from DEVSIM (``network``, ``esp32``) is loaded first, as the virtual board does, because
``wifiprov.service`` imports ``network``.
"""

import gc
import sys

import micropython

LEAF_FIRST = (
    "wifiprov", "wifiprov.log", "wifiprov.rand", "wifiprov.consttime", "wifiprov.pbmessages", "wifiprov.pbcodec",
    "wifiprov.security", "wifiprov.protocomm", "wifiprov.version_info", "wifiprov.attempts", "wifiprov.wifi",
    "wifiprov.scan_handler", "wifiprov.config_handler", "wifiprov.ctrl_handler", "wifiprov.manager",
    "wifiprov.config", "wifiprov.store", "wifiprov.softap", "wifiprov.service", "wifiprov.qr",
    "wifiprov.device_secret",
    "wifiprov.security0",
    "wifiprov.x25519", "wifiprov.aes_block", "wifiprov.aes_ctr", "wifiprov.security1",
    "wifiprov.sha512", "wifiprov.srp6a", "wifiprov.aes_gcm", "wifiprov.security2", "wifiprov.srp_verifier",
    "wifiprov.improv", "wifiprov.improv_serial",  # only with improv_ble / improv_serial (improv_ble needs aioble)
)


def main():
    sys.path.insert(0, sys.argv[1])
    import asyncio  # noqa: F401  (an application has it before provisioning starts)
    import esp32  # noqa: F401
    import network  # noqa: F401

    sys.path.pop(0)
    gc.collect()
    start = last = gc.mem_alloc()
    print("module (before) 0")
    micropython.qstr_info()
    for name in LEAF_FIRST:
        __import__(name)
        gc.collect()
        now = gc.mem_alloc()
        print("module %s %d" % (name, now - last))
        micropython.qstr_info()
        last = now
    print("total %d" % (last - start))


main()
