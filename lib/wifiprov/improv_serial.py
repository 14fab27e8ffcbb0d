"""Improv Wi-Fi over the USB console (serial version 1): packets read from stdin while the application runs,
answers written raw between the console's own lines.

Two console traps, the same on a board and on the unix port: every RPC packet the client
sends contains 0x03 (its type), which the console turns into KeyboardInterrupt, so
``micropython.kbd_intr(-1)`` is in force while this listens (restored by ``stop()``), and a
Ctrl-C that is not part of a packet raises KeyboardInterrupt here instead, so Ctrl-C and
mpremote still stop the application; and ``print``/``sys.stdout`` turn ``\\n`` into
``\\r\\n``, so packets go out through ``sys.stdout.buffer``. stdin is polled (``select``),
never read while empty, so the event loop never blocks on it.
"""

import asyncio
import select
import sys

import micropython
from micropython import const

from wifiprov import improv
from wifiprov.manager import ticks_diff, ticks_ms

_CTRL_C = const(3)
_POLL_S = 0.02
_STALL_MS = const(1000)  # a packet unfinished this long is abandoned: the next Ctrl-C counts again


class ImprovSerial:
    """Serves Improv on the console between ``start()`` and ``stop()``, over ``manager``.

    ``info``, ``redirect_url``, ``log``: as ``wifiprov.improv.Improv`` takes them;
    ``stdin``/``stdout``: binary streams (default the console's).
    """

    def __init__(self, manager, info, redirect_url=None, log=None, stdin=None, stdout=None):
        self._in = stdin or _raw(sys.stdin.buffer)
        self._out = stdout or sys.stdout.buffer
        self._reader = improv.PacketReader()
        self._byte = bytearray(1)
        self._packet = bytearray(improv.PACKET_MAX)
        self._poll = None
        self._task = None
        self.improv = improv.Improv(manager, self, True, info, redirect_url=redirect_url, log=log)

    async def start(self):
        """Listen on the console (Ctrl-C is this reader's from now on)."""
        self._poll = select.poll()
        self._poll.register(self._in, select.POLLIN)
        micropython.kbd_intr(-1)
        self._task = asyncio.create_task(self._serve())

    async def stop(self):
        """Stop listening; Ctrl-C interrupts as before."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        micropython.kbd_intr(_CTRL_C)
        # A finished task can stay referenced while the loop runs (MicroPython's asyncio): through
        # this object it must not keep the manager alive.
        self._poll = None
        self.improv = None

    async def _serve(self):
        last = ticks_ms()
        while True:
            now = ticks_ms()
            while self._poll.poll(0) and self._in.readinto(self._byte):
                last = now
                self._take(self._byte[0])
            if self._reader.partial and ticks_diff(now, last) > _STALL_MS:
                self._reader.reset()
            self.improv.tick(now)
            await asyncio.sleep(_POLL_S)

    def _take(self, byte):
        found = self._reader.feed(byte)
        if found == improv.PACKET:
            if self._reader.type == improv.TYPE_RPC:
                self.improv.command(self._reader.payload)
        elif found == improv.BAD_PACKET:
            self.improv.invalid()
        elif found == improv.INTERRUPT:
            micropython.kbd_intr(_CTRL_C)
            raise KeyboardInterrupt

    # ---- what the client learns (wifiprov.improv calls these)

    def state(self, value):
        self._send(improv.TYPE_STATE, value)

    def error(self, value):
        self._send(improv.TYPE_ERROR, value)

    def result(self, command, strings):
        try:
            end = improv.put_result(self._packet, 9, command, strings)
        except ValueError:
            self.error(improv.ERROR_UNKNOWN)
            return
        self._write(improv.serial_packet(self._packet, improv.TYPE_RESULT, end - 9))

    def _send(self, packet_type, value):
        self._packet[9] = value
        self._write(improv.serial_packet(self._packet, packet_type, 1))

    def _write(self, n):
        self._out.write(memoryview(self._packet)[:n])
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()


def _raw(stream):
    """The unbuffered stream under ``stream`` where there is one (CPython), so ``poll`` sees every byte."""
    return getattr(stream, "raw", stream)
