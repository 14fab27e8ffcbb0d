"""Runs on the virtual board as its main.py (bench.py puts the example main.py beside it as app.py): the
example application unchanged, plus a task beside it that reports the heap provisioning leaves behind.

Prints ``memory: before BYTES`` (``gc.mem_alloc()`` after ``gc.collect()`` before the
application starts), then, once provisioning has ended and the application has run for
1.5 s, ``memory: after BYTES``; each is followed by ``micropython.qstr_info()``.
"""

import asyncio
import gc
import sys

import micropython

import app


async def watch():
    """Wait until provisioning has come and gone, let the application run, then measure."""
    seen = False
    while True:
        await asyncio.sleep_ms(100)
        if "wifiprov.service" in sys.modules:
            seen = True
        elif seen:
            break
    await asyncio.sleep_ms(1500)
    gc.collect()
    print("memory: after %d" % gc.mem_alloc())
    micropython.qstr_info()


async def main():
    gc.collect()
    print("memory: before %d" % gc.mem_alloc())
    micropython.qstr_info()
    asyncio.create_task(watch())
    await app.main()


asyncio.run(main())
