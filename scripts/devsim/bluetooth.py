"""Simulated ``bluetooth`` module of MicroPython's ESP32 port (NimBLE), plus the radio simulated centrals reach.

What the board code sees follows PLATFORM.md §A5 (``extmod/modbluetooth.c``,
``extmod/nimble/modbluetooth_nimble.c``):

* IRQs are synchronous: the handler runs on the "NimBLE host task" (a thread here) and
  the ATT response goes out only when it returns. The write IRQ's return value is
  ignored and the stored value already *is* the request; the read-request IRQ fires once
  per Read / Read Blob PDU and a non-zero int return denies the read with that ATT code.
  An exception escaping a handler is printed and the handler is set to None for good.
* Every value starts with a 20-byte buffer and remote writes are silently cut to it;
  ``gatts_set_buffer`` resizes (and empties) it, a longer local ``gatts_write`` grows it.
* Long writes (Prepare/Execute, at most 512 bytes) arrive as one write IRQ; long reads
  slice the whole value per Read Blob.
* ``gap_advertise`` refuses payloads over 31 bytes with ``OSError(EINVAL)`` and a message
  naming the size; advertising stops when a central connects; MTU exchange happens when
  the central (or ``gattc_exchange_mtu``) asks and is reported by ``_IRQ_MTU_EXCHANGED``.
* Characteristics with the encrypted read/write flags answer ATT 0x05 on an unencrypted
  link; ``pair()`` (Just Works) encrypts it.
* Notifications: NimBLE adds a CCCD to every notify/indicate characteristic and keeps its
  value per connection (no IRQ for it); ``gatts_write(..., send_update=True)`` notifies
  the connections that subscribed, ``gatts_notify`` one connection whatever its CCCD; a
  notification carries at most MTU-3 bytes (the rest is cut off).

Timing. Board Python runs on two threads, the main task (its asyncio loop) and the NimBLE
thread, and as on the board a GIL lets one of them run at a time: the NimBLE thread holds
it for an IRQ handler, the main thread whenever it is not idle in its event loop (attached
when BLE is switched on inside a running loop); ``time.sleep_ms`` releases it. After a
Write Response the NimBLE thread keeps the GIL until the central's next request has been
served (``read_race``, on by default) -- the worst case in which the client's read arrives
before the main task ran at all, so a transport that answers late serves a stale value or
the echoed request, deterministically.

Importing this module gives CPython's ``asyncio`` MicroPython's ``ThreadSafeFlag`` and
``time`` the ``sleep_ms``/``ticks_*`` functions (``sleep_ms`` releases the simulated GIL).
Centrals use ``air()`` (see ``scripts/devsim/ble_central.py``).
"""

import asyncio
import contextlib
import errno
import queue
import sys
import threading
import time
import traceback

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

_FLAG_READ_ENCRYPTED = 0x0200
_FLAG_READ_AUTHENTICATED = 0x0400
_FLAG_WRITE_ENCRYPTED = 0x1000
_FLAG_WRITE_AUTHENTICATED = 0x2000

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28

ATT_INVALID_HANDLE = 0x01
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INVALID_OFFSET = 0x07
ATT_PREPARE_QUEUE_FULL = 0x09
ATT_INVALID_VALUE_LENGTH = 0x0D

DEFAULT_ATTR_LEN = 20  # MP_BLUETOOTH_DEFAULT_ATTR_LEN
ATT_MTU_DEFAULT = 23
ATT_MTU_MAX = 527
ATTR_MAX_LEN = 512  # BLE_ATT_ATTR_MAX_LEN: the longest prepared (long) write
PREFERRED_MTU_DEFAULT = 256  # CONFIG_BT_NIMBLE_ATT_PREFERRED_MTU on ESP-IDF
ADV_PAYLOAD_MAX = 31
PREPARE_QUEUE_MAX = 64
RACE_WINDOW_S = 0.5  # how long the NimBLE thread waits, GIL held, for the read after a write

_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


class AttErrorResponse(Exception):
    """The device answered a central's request with ATT error ``att_error``."""

    def __init__(self, code, text=""):
        super().__init__("ATT error 0x%02x%s" % (code, (": " + text) if text else ""))
        self.att_error = code


class LinkLost(ConnectionError):
    """The connection is gone (either side disconnected, or BLE was switched off)."""


# ---------------------------------------------------------------- GIL, ThreadSafeFlag, time


class _Gil:
    """MicroPython's GIL as far as the board's two threads are concerned."""

    def __init__(self):
        self._lock = threading.Lock()
        self._owner = None

    def held(self):
        return self._owner is threading.current_thread()

    def acquire(self):
        self._lock.acquire()
        self._owner = threading.current_thread()

    def release(self):
        self._owner = None
        self._lock.release()

    def release_for(self, thread):
        """Take the GIL back from ``thread`` (its loop was closed elsewhere, or it has ended)."""
        if self._owner is thread:
            self.release()

    def release_orphaned(self):
        """Free the GIL if the thread holding it has ended."""
        owner = self._owner
        if owner is not None and not owner.is_alive():
            self.release_for(owner)


GIL = _Gil()


class _GilSelector:
    """Wraps an asyncio loop's selector: the loop's thread gives the GIL up while it waits."""

    def __init__(self, selector):
        self._selector = selector
        self._thread = threading.current_thread()

    def select(self, timeout=None):
        held = GIL.held()
        if held:
            GIL.release()
        try:
            return self._selector.select(timeout)
        finally:
            if held:
                GIL.acquire()

    def close(self):
        self._selector.close()
        GIL.release_for(self._thread)

    def __getattr__(self, name):
        return getattr(self._selector, name)


def _attach_running_loop():
    """From now on the thread running the current asyncio loop holds the GIL while it runs."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if isinstance(loop._selector, _GilSelector):
        return
    loop._selector = _GilSelector(loop._selector)
    GIL.acquire()


def sleep_ms(ms):
    """``time.sleep_ms``: sleeps with the GIL released (``mp_hal_delay_ms``)."""
    if threading.current_thread() is _STACK._worker:
        _STACK.irq_sleeps += 1
    held = GIL.held()
    if held:
        GIL.release()
    try:
        time.sleep(ms / 1000)
    finally:
        if held:
            GIL.acquire()


class ThreadSafeFlag:
    """MicroPython's ``asyncio.ThreadSafeFlag``: ``set()`` from any thread or IRQ, one task ``await wait()``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = False
        self._waiter = None

    def set(self):
        with self._lock:
            waiter, self._waiter = self._waiter, None
            if waiter is None:
                self._state = True
                return
        try:
            waiter.get_loop().call_soon_threadsafe(self._wake, waiter)
        except RuntimeError:  # that loop is closed
            with self._lock:
                self._state = True

    def _wake(self, waiter):
        if waiter.done():  # the waiting task went away: keep the flag set
            with self._lock:
                self._state = True
        else:
            waiter.set_result(None)

    def clear(self):
        with self._lock:
            self._state = False

    async def wait(self):
        with self._lock:
            if self._state:
                self._state = False
                return
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
        try:
            await waiter
        finally:
            with self._lock:
                if self._waiter is waiter:
                    self._waiter = None


_T0 = time.monotonic()
_TICKS_PERIOD = 1 << 30


def _install_micropython_extensions():
    asyncio.ThreadSafeFlag = ThreadSafeFlag
    time.sleep_ms = sleep_ms
    if not hasattr(time, "ticks_ms"):
        time.ticks_ms = lambda: int((time.monotonic() - _T0) * 1000) % _TICKS_PERIOD
        time.ticks_add = lambda ticks, delta: (ticks + delta) % _TICKS_PERIOD
        time.ticks_diff = lambda a, b: (a - b + _TICKS_PERIOD // 2) % _TICKS_PERIOD - _TICKS_PERIOD // 2
    if not hasattr(asyncio, "sleep_ms"):
        asyncio.sleep_ms = lambda ms: asyncio.sleep(ms / 1000)


_install_micropython_extensions()


# ---------------------------------------------------------------- UUID


class UUID:
    """``bluetooth.UUID``: from a 16-bit int, a 128-bit UUID string, or 2/4/16 little-endian bytes."""

    def __init__(self, value):
        if isinstance(value, UUID):
            self._data = value._data
        elif isinstance(value, int):
            if not 0 <= value <= 0xFFFF:
                raise ValueError("invalid UUID")
            self._data = bytes((value & 0xFF, value >> 8))
        elif isinstance(value, str):
            digits = value.replace("-", "")
            if len(digits) != 32:
                raise ValueError("invalid UUID")
            self._data = bytes(reversed(bytes.fromhex(digits)))
        else:
            data = bytes(value)
            if len(data) not in (2, 4, 16):
                raise ValueError("invalid UUID")
            self._data = data

    def __bytes__(self):
        return self._data

    def __eq__(self, other):
        return isinstance(other, UUID) and other._data == self._data

    def __hash__(self):
        return hash(self._data)

    def __repr__(self):
        if len(self._data) == 16:
            return "UUID('%s')" % text_of(self._data)
        return "UUID(0x%s)" % self._data[::-1].hex()


def text_of(uuid_le):
    """Canonical 128-bit text of little-endian UUID bytes (16-bit ones on the Bluetooth base UUID)."""
    if len(uuid_le) in (2, 4):
        return "%08x%s" % (int.from_bytes(uuid_le, "little"), _BASE_UUID_TAIL)
    h = uuid_le[::-1].hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


# ---------------------------------------------------------------- the GATT database


class _Attribute:
    """One ATT attribute; ``entry`` is the board's value store (Python-visible attributes only)."""

    def __init__(self, handle, uuid, kind, flags=0, value=b""):
        self.handle = handle
        self.uuid = uuid
        self.kind = kind  # "service", "declaration", "value", "descriptor", "cccd"
        self.flags = flags
        self.value = bytes(value)  # stack-owned attributes
        self.entry = None

    def readable(self):
        if self.kind == "value":
            return bool(self.flags & FLAG_READ)
        if self.kind == "descriptor":
            return bool(self.flags & FLAG_READ)
        return True

    def writable(self):
        if self.kind == "value":
            return bool(self.flags & FLAG_WRITE)
        if self.kind == "descriptor":
            return bool(self.flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE))
        return self.kind == "cccd"

    def needs_encryption(self, write):
        if self.kind != "value":  # NimBLE has no security options on descriptors
            return False
        mask = (_FLAG_WRITE_ENCRYPTED | _FLAG_WRITE_AUTHENTICATED) if write else (
            _FLAG_READ_ENCRYPTED | _FLAG_READ_AUTHENTICATED)
        return bool(self.flags & mask)


class _Entry:
    """``mp_bluetooth_gatts_db_entry_t``: data, allocation, append mode."""

    def __init__(self):
        self.data = b""
        self.alloc = DEFAULT_ATTR_LEN
        self.append = False


class _Connection:
    def __init__(self, handle, address):
        self.handle = handle
        self.address = address
        self.mtu = ATT_MTU_DEFAULT
        self.mtu_exchanged = False
        self.encrypted = False
        self.closed = False
        self.central_mtu = ATT_MTU_DEFAULT
        self.prepared = []  # (handle, offset, bytes)
        self.cccds = {}  # CCCD handle -> its 2-byte value on this connection
        self.on_notify = None  # the central's callback(value_handle, data), run on the NimBLE thread
        self.on_lost = None  # the central's callback() when the link goes (any thread)

    def close(self):
        """The link is gone: the central hears of it."""
        if not self.closed:
            self.closed = True
            if self.on_lost is not None:
                self.on_lost()


# ---------------------------------------------------------------- the stack


class _Stack:
    """NimBLE host + controller of the one simulated board; the NimBLE thread runs every IRQ."""

    def __init__(self):
        self.address = bytes.fromhex("240ac4261fce")  # base MAC + 2, as IDF derives the BT address
        self.read_race = True
        self.trace_irqs = False
        self.irq_failures = []  # exceptions that escaped the IRQ handler (it is None since)
        self.irq_stats = {}  # event -> {"calls", "max_depth", "modules"} while trace_irqs
        self.irq_sleeps = 0
        self._db_lock = threading.Lock()
        self._ops = queue.Queue()
        self._worker = None
        self._kept = False  # the NimBLE thread holds the GIL past a write (read_race)
        self._pinned = False  # ... or for as long as a test starves the main task
        self.reset()

    def reset(self):
        """Power-on state: off, no handler, no services, no connections."""
        self.active = False
        self.handler = None
        self.preferred_mtu = PREFERRED_MTU_DEFAULT
        self.gap_name = "MPY ESP32"
        self.security = {"bond": False, "mitm": False, "io": 3, "le_secure": False}
        self.adv_data = b""
        self.resp_data = b""
        self.advertising = False
        self.connectable = True
        self.connections = {}
        self.attributes = {}
        self.services = []  # (service attribute, end handle, [(decl, value attr, [descriptors])])
        self.irq_failures = []
        self.irq_stats = {}
        self.irq_sleeps = 0  # time.sleep_ms calls inside IRQ handlers (a read held by the board)
        self._table_reset()

    def _table_reset(self):
        """The GAP and GATT services NimBLE always registers (handles 1-9)."""
        self.attributes = {}
        self.services = []
        self.cccd_of = {}  # value handle -> its CCCD's handle
        self._next_handle = 1
        self._add_service(UUID(0x1800), [(UUID(0x2A00), FLAG_READ, (), "gap_name"), (UUID(0x2A01), FLAG_READ, (), b"\x00\x00")])
        self._add_service(UUID(0x1801), [(UUID(0x2A05), FLAG_INDICATE, (), b"")])

    def _new_attribute(self, uuid, kind, flags=0, value=b""):
        attr = _Attribute(self._next_handle, uuid, kind, flags, value)
        self.attributes[attr.handle] = attr
        self._next_handle += 1
        return attr

    def _add_service(self, uuid, characteristics, python=False):
        service = self._new_attribute(UUID(0x2800), "service", value=bytes(uuid))
        chars = []
        handles = []
        for char_uuid, flags, descriptors, initial in characteristics:
            decl = self._new_attribute(UUID(0x2803), "declaration")
            value = self._new_attribute(char_uuid, "value", flags, b"" if initial == "gap_name" else initial)
            value.gap_name = initial == "gap_name"
            decl.value = bytes((flags & 0xFF,)) + value.handle.to_bytes(2, "little") + bytes(char_uuid)
            if python:
                value.entry = _Entry()
                handles.append(value.handle)
            descs = []
            if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                cccd = self._new_attribute(UUID(0x2902), "cccd", value=b"\x00\x00")
                self.cccd_of[value.handle] = cccd.handle
                descs.append(cccd)
            for desc_uuid, desc_flags in descriptors:
                desc = self._new_attribute(desc_uuid, "descriptor", desc_flags)
                desc.entry = _Entry()
                handles.append(desc.handle)
                descs.append(desc)
            chars.append((decl, value, descs))
        self.services.append((service, self._next_handle - 1, chars))
        return tuple(handles)

    # ---- the NimBLE thread

    def submit(self, operation, *args):
        """Run ``operation(*args)`` on the NimBLE thread and return its result (or raise its error)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="nimble-host", daemon=True)
            self._worker.start()
        if threading.current_thread() is self._worker:
            raise RuntimeError("a central operation from inside an IRQ handler")
        done = threading.Event()
        box = {}
        self._ops.put((operation, args, done, box))
        done.wait()
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def post(self, operation, *args):
        """Queue ``operation(*args)`` for the NimBLE thread without waiting (stack-initiated events)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="nimble-host", daemon=True)
            self._worker.start()
        self._ops.put((operation, args, None, {}))

    def _run(self):
        while True:
            try:
                item = self._ops.get(timeout=RACE_WINDOW_S if self._kept and not self._pinned else None)
            except queue.Empty:
                self._release_kept()
                continue
            operation, args, done, box = item
            wrote = False
            try:
                box["result"] = operation(*args)
                wrote = operation in (self.write, self.execute_write)
            except BaseException as exc:  # goes back to the central that asked
                box["error"] = exc
            if self._kept and not wrote and not self._pinned:
                self._release_kept()
            if done is not None:
                done.set()

    def pin(self):
        """NimBLE thread: take the GIL and keep it until ``unpin`` (the main task cannot run)."""
        if not GIL.held():
            GIL.acquire()
        self._kept = True
        self._pinned = True

    def unpin(self):
        self._pinned = False
        self._release_kept()

    def _release_kept(self):
        if self._kept:
            self._kept = False
            GIL.release()

    def invoke(self, event, data, keep_gil=False):
        """Call the board's IRQ handler as ``invoke_irq_handler`` does: GIL held, exceptions disable it."""
        handler = self.handler
        if handler is None:
            return None
        own = not GIL.held()
        if own:
            GIL.acquire()
        try:
            if self.trace_irqs:
                return self._traced(handler, event, data)
            return handler(event, data)
        except Exception as exc:  # MicroPython prints it and sets the handler to None
            sys.stderr.write("Unhandled exception in IRQ callback handler\n")
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
            self.irq_failures.append(exc)
            self.handler = None
            return None
        finally:
            if keep_gil and self.read_race:
                if own:
                    self._kept = True
            elif own:
                GIL.release()

    def _traced(self, handler, event, data):
        """Run ``handler`` recording its Python call depth and the modules whose code ran."""
        stats = self.irq_stats.setdefault(event, {"calls": 0, "max_depth": 0, "modules": set()})
        stats["calls"] += 1
        stack = []
        depth = [0]

        def profile(frame, what, arg):
            # This simulator's helpers (sleep_ms, ThreadSafeFlag.set, ...) and what they call stand
            # for C code on the board: neither counted nor listed.
            if what == "call":
                in_c = (stack and stack[-1] is None) or frame.f_globals.get("__name__") == __name__
                if in_c:
                    stack.append(None)
                    return
                stack.append(True)
                depth[0] += 1
                stats["modules"].add(frame.f_globals.get("__name__", "?"))
                stats["max_depth"] = max(stats["max_depth"], depth[0])
            elif what == "return" and stack:
                if stack.pop():
                    depth[0] -= 1

        sys.setprofile(profile)
        try:
            return handler(event, data)
        finally:
            sys.setprofile(None)

    # ---- operations run on the NimBLE thread (one per ATT PDU / link event)

    def connection(self, conn_handle):
        conn = self.connections.get(conn_handle)
        if conn is None or conn.closed or not self.active:
            raise LinkLost("not connected")
        return conn

    def connect(self, central_address, board_address, central_mtu):
        if not self.active or not self.advertising or not self.connectable or board_address != self.address:
            raise LinkLost("no connectable advertiser at %s" % board_address.hex(":"))
        self.advertising = False  # legacy advertising ends with the connection
        handle = 1  # the lowest free handle: a new central often gets the previous one's
        while handle in self.connections:
            handle += 1
        conn = _Connection(handle, central_address)
        conn.central_mtu = central_mtu
        self.connections[handle] = conn
        self.invoke(_IRQ_CENTRAL_CONNECT, (handle, 0, central_address))
        return handle

    def disconnect(self, conn_handle):
        conn = self.connections.pop(conn_handle, None)
        if conn is None:
            return
        conn.close()
        if self.active:
            self.invoke(_IRQ_CENTRAL_DISCONNECT, (conn_handle, 0, conn.address))

    def exchange_mtu(self, conn_handle, client_mtu):
        conn = self.connection(conn_handle)
        if conn.mtu_exchanged:
            return conn.mtu
        conn.mtu = max(ATT_MTU_DEFAULT, min(client_mtu, self.preferred_mtu))
        conn.mtu_exchanged = True
        self.invoke(_IRQ_MTU_EXCHANGED, (conn_handle, conn.mtu))
        return conn.mtu

    def pair(self, conn_handle):
        conn = self.connection(conn_handle)
        conn.encrypted = True  # Just Works: encrypted, not authenticated
        self.invoke(_IRQ_ENCRYPTION_UPDATE, (conn_handle, True, False, self.security["bond"], 16))
        return True

    def discover(self, conn_handle):
        self.connection(conn_handle)
        out = []
        for service, end, chars in self.services:
            entries = []
            for decl, value, descs in chars:
                entries.append({"uuid": text_of(bytes(value.uuid)), "properties": value.flags & 0xFF,
                                "handle": value.handle,
                                "descriptors": [{"uuid": text_of(bytes(d.uuid)), "handle": d.handle} for d in descs]})
            out.append({"uuid": text_of(service.value), "start": service.handle, "end": end,
                        "characteristics": entries})
        return out

    def _attribute(self, conn, handle, write):
        attr = self.attributes.get(handle)
        if attr is None:
            raise AttErrorResponse(ATT_INVALID_HANDLE)
        if write and not attr.writable():
            raise AttErrorResponse(ATT_WRITE_NOT_PERMITTED)
        if not write and not attr.readable():
            raise AttErrorResponse(ATT_READ_NOT_PERMITTED)
        if attr.needs_encryption(write) and not conn.encrypted:
            raise AttErrorResponse(ATT_INSUFFICIENT_AUTHENTICATION, "the link is not encrypted")
        return attr

    def _value_for_read(self, conn, handle):
        attr = self._attribute(conn, handle, False)
        if attr.kind == "cccd":
            return conn.cccds.get(handle, b"\x00\x00")
        if attr.entry is None:
            return self.gap_name.encode() if getattr(attr, "gap_name", False) else attr.value
        result = self.invoke(_IRQ_GATTS_READ_REQUEST, (conn.handle, handle))
        code = result if isinstance(result, int) else 0  # mp_obj_get_int_maybe: True is 1
        if code:
            raise AttErrorResponse(code & 0xFF, "denied by the read-request IRQ")
        with self._db_lock:
            return attr.entry.data

    def read(self, conn_handle, handle):
        conn = self.connection(conn_handle)
        return self._value_for_read(conn, handle)[: conn.mtu - 1]

    def read_blob(self, conn_handle, handle, offset):
        conn = self.connection(conn_handle)
        value = self._value_for_read(conn, handle)
        if offset > len(value):
            raise AttErrorResponse(ATT_INVALID_OFFSET)
        return value[offset : offset + conn.mtu - 1]

    def _store(self, conn, attr, data):
        """``characteristic_access_cb`` for a write: copy what fits, then the write IRQ (return ignored)."""
        if attr.kind == "cccd":
            if len(data) != 2:
                raise AttErrorResponse(ATT_INVALID_VALUE_LENGTH)
            conn.cccds[attr.handle] = bytes(data)
            return
        if attr.entry is None:
            attr.value = bytes(data)
            return
        with self._db_lock:
            entry = attr.entry
            base = entry.data if entry.append else b""
            entry.data = (base + bytes(data))[: entry.alloc]
        self.invoke(_IRQ_GATTS_WRITE, (conn.handle, attr.handle), keep_gil=True)

    def write(self, conn_handle, handle, data):
        conn = self.connection(conn_handle)
        if len(data) > conn.mtu - 3:
            raise ValueError("a Write Request carries at most MTU-3 = %d bytes" % (conn.mtu - 3))
        self._store(conn, self._attribute(conn, handle, True), data)

    def prepare_write(self, conn_handle, handle, offset, data):
        conn = self.connection(conn_handle)
        if len(data) > conn.mtu - 5:
            raise ValueError("a Prepare Write carries at most MTU-5 = %d bytes" % (conn.mtu - 5))
        self._attribute(conn, handle, True)
        if len(conn.prepared) >= PREPARE_QUEUE_MAX:
            raise AttErrorResponse(ATT_PREPARE_QUEUE_FULL)
        conn.prepared.append((handle, offset, bytes(data)))
        return data

    def execute_write(self, conn_handle, commit):
        conn = self.connection(conn_handle)
        prepared, conn.prepared = conn.prepared, []
        if not commit:
            return
        values = {}
        order = []
        for handle, offset, data in prepared:
            if handle not in values:
                values[handle] = b""
                order.append(handle)
            if offset != len(values[handle]):
                raise AttErrorResponse(ATT_INVALID_OFFSET)
            values[handle] += data
            if len(values[handle]) > ATTR_MAX_LEN:
                raise AttErrorResponse(ATT_INVALID_VALUE_LENGTH, "long writes stop at %d bytes" % ATTR_MAX_LEN)
        for handle in order:
            self._store(conn, self._attribute(conn, handle, True), values[handle])

    def gattc_exchange_mtu(self, conn_handle, client_mtu):
        self.exchange_mtu(conn_handle, client_mtu)

    def set_listener(self, conn_handle, on_notify, on_lost):
        conn = self.connection(conn_handle)
        conn.on_notify = on_notify
        conn.on_lost = on_lost

    def notify(self, conn_handle, value_handle, data, subscribed_only):
        """An ATT Handle Value Notification to one connection (none if it has not subscribed and
        ``subscribed_only``), cut to MTU-3 bytes."""
        conn = self.connections.get(conn_handle)
        if conn is None or conn.closed or not self.active:
            return
        cccd = conn.cccds.get(self.cccd_of.get(value_handle), b"\x00\x00")
        if subscribed_only and not cccd[0] & 1:
            return
        if conn.on_notify is not None:
            conn.on_notify(value_handle, bytes(data[: conn.mtu - 3]))


_STACK = _Stack()


# ---------------------------------------------------------------- the board's API


def _uuid_arg(value):
    if not isinstance(value, UUID):
        raise TypeError("UUID object expected, got %r" % (value,))
    return value


class BLE:
    """``bluetooth.BLE()``: the one BLE object of the board."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def _need_active(self):
        if not _STACK.active:
            raise OSError(errno.ENODEV, "BLE is not active")

    def active(self, flag=None):
        if flag is not None:
            if flag and not _STACK.active:
                _STACK.active = True
                _attach_running_loop()
            elif not flag and _STACK.active:
                _STACK.active = False  # no IRQs while NimBLE shuts down
                _STACK.advertising = False
                for conn in _STACK.connections.values():
                    conn.close()
                _STACK.connections = {}
                _STACK._table_reset()
        return _STACK.active

    def config(self, *args, **kwargs):
        if args:
            (key,) = args
            if key == "mac":
                self._need_active()
                return (0, _STACK.address)
            if key == "gap_name":
                return _STACK.gap_name.encode()
            if key == "mtu":
                self._need_active()
                return _STACK.preferred_mtu
            if key in _STACK.security:
                return _STACK.security[key]
            raise ValueError("unknown config param")
        for key, value in kwargs.items():
            if key == "gap_name":
                _STACK.gap_name = value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
            elif key == "mtu":
                self._need_active()
                if not ATT_MTU_DEFAULT <= value <= ATT_MTU_MAX:
                    raise OSError(errno.EINVAL, "mtu must be %d..%d" % (ATT_MTU_DEFAULT, ATT_MTU_MAX))
                _STACK.preferred_mtu = value
            elif key in _STACK.security:
                _STACK.security[key] = value
            elif key not in ("addr_mode", "rxbuf"):
                raise ValueError("unknown config param")
        return None

    def irq(self, handler):
        _STACK.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        self._need_active()
        if interval_us is None:
            _STACK.advertising = False
            return
        for what, data in (("advertising data", adv_data), ("scan response", resp_data)):
            if data is not None and len(data) > ADV_PAYLOAD_MAX:
                raise OSError(errno.EINVAL, "%s is %d bytes: legacy advertising allows %d (NimBLE refuses it)"
                              % (what, len(data), ADV_PAYLOAD_MAX))
        if adv_data is not None:
            _STACK.adv_data = bytes(adv_data)
        if resp_data is not None:
            _STACK.resp_data = bytes(resp_data)
        _STACK.connectable = bool(connectable)
        _STACK.advertising = True

    def gap_disconnect(self, conn_handle):
        self._need_active()
        conn = _STACK.connections.get(conn_handle)
        if conn is None or conn.closed:
            return False
        conn.close()  # the central's next request fails; the IRQ follows on the NimBLE thread
        _STACK.post(_STACK.disconnect, conn_handle)
        return True

    def gattc_exchange_mtu(self, conn_handle):
        self._need_active()
        conn = _STACK.connections.get(conn_handle)
        if conn is None:
            raise OSError(errno.ENOTCONN)
        _STACK.post(_STACK.gattc_exchange_mtu, conn_handle, conn.central_mtu)

    def gatts_register_services(self, services):
        self._need_active()
        if _STACK.advertising or _STACK.connections:
            raise OSError(errno.EBUSY, "advertising or connected: NimBLE cannot reset its GATT table")
        _STACK._table_reset()
        result = []
        for service_uuid, characteristics in services:
            chars = []
            for char in characteristics:
                descriptors = tuple((_uuid_arg(d[0]), d[1]) for d in (char[2] if len(char) > 2 else ()))
                chars.append((_uuid_arg(char[0]), char[1], descriptors, b""))
            result.append(_STACK._add_service(_uuid_arg(service_uuid), chars, python=True))
        return tuple(result)

    def _entry(self, value_handle):
        attr = _STACK.attributes.get(value_handle)
        if attr is None or attr.entry is None:
            raise OSError(errno.EINVAL)
        return attr.entry

    def gatts_read(self, value_handle):
        self._need_active()
        with _STACK._db_lock:
            entry = self._entry(value_handle)
            data = entry.data
            if entry.append:
                entry.data = b""
            return data

    def gatts_write(self, value_handle, data, send_update=False):
        self._need_active()
        with _STACK._db_lock:
            entry = self._entry(value_handle)
            data = bytes(data)
            if len(data) > entry.alloc:
                entry.alloc = len(data)
            entry.data = data
        if send_update:
            for conn_handle in list(_STACK.connections):
                _STACK.post(_STACK.notify, conn_handle, value_handle, data, True)

    def gatts_notify(self, conn_handle, value_handle, data=None):
        self._need_active()
        if data is None:
            with _STACK._db_lock:
                data = self._entry(value_handle).data
        _STACK.post(_STACK.notify, conn_handle, value_handle, bytes(data), False)

    def gatts_set_buffer(self, value_handle, length, append=False):
        self._need_active()
        with _STACK._db_lock:
            entry = self._entry(value_handle)
            entry.alloc = length
            entry.data = b""
            entry.append = bool(append)


# ---------------------------------------------------------------- the air, as centrals see it


class Peer:
    """A central's end of one connection: one method per ATT request (each runs on the NimBLE thread)."""

    def __init__(self, conn_handle, central_mtu):
        self.conn_handle = conn_handle
        self.central_mtu = central_mtu
        self.mtu = ATT_MTU_DEFAULT

    def exchange_mtu(self, mtu=None):
        """ATT Exchange MTU; returns the connection's MTU."""
        self.mtu = _STACK.submit(_STACK.exchange_mtu, self.conn_handle, mtu or self.central_mtu)
        return self.mtu

    def services(self):
        """Primary services with their characteristics and descriptors (done by NimBLE, no IRQ)."""
        return _STACK.submit(_STACK.discover, self.conn_handle)

    def read(self, handle):
        """ATT Read Request: at most MTU-1 bytes."""
        return _STACK.submit(_STACK.read, self.conn_handle, handle)

    def read_blob(self, handle, offset):
        """ATT Read Blob Request."""
        return _STACK.submit(_STACK.read_blob, self.conn_handle, handle, offset)

    def write(self, handle, data):
        """ATT Write Request (at most MTU-3 bytes); returns when the Write Response arrives."""
        _STACK.submit(_STACK.write, self.conn_handle, handle, bytes(data))

    def prepare_write(self, handle, offset, data):
        """ATT Prepare Write Request (at most MTU-5 bytes)."""
        return _STACK.submit(_STACK.prepare_write, self.conn_handle, handle, offset, bytes(data))

    def execute_write(self, commit=True):
        """ATT Execute Write Request."""
        _STACK.submit(_STACK.execute_write, self.conn_handle, commit)

    def pair(self):
        """Just Works pairing: the link is encrypted afterwards."""
        return _STACK.submit(_STACK.pair, self.conn_handle)

    def listen(self, on_notify, on_lost=None):
        """Hand every notification to ``on_notify(value_handle, data)`` (on the NimBLE thread) and
        call ``on_lost()`` when the link goes, whichever side ends it (on any thread)."""
        _STACK.submit(_STACK.set_listener, self.conn_handle, on_notify, on_lost)

    def disconnect(self):
        """The central ends the connection."""
        conn = _STACK.connections.get(self.conn_handle)
        if conn is not None and conn.closed:
            return
        _STACK.submit(_STACK.disconnect, self.conn_handle)

    @property
    def connected(self):
        conn = _STACK.connections.get(self.conn_handle)
        return conn is not None and not conn.closed and _STACK.active


class Air:
    """The simulated radio: what a scanning or connecting central can observe and do."""

    @property
    def stack(self):
        return _STACK

    def adverts(self):
        """``[{"addr", "adv", "resp", "connectable"}]`` of the boards advertising now (0 or 1)."""
        if not (_STACK.active and _STACK.advertising):
            return []
        return [{"addr": _STACK.address, "adv": _STACK.adv_data, "resp": _STACK.resp_data,
                 "connectable": _STACK.connectable}]

    def connect(self, board_address, central_address=b"\x5c\xf3\x70\x00\x00\x01", central_mtu=517):
        """Connect to the advertiser at ``board_address``; returns a :class:`Peer`."""
        handle = _STACK.submit(_STACK.connect, bytes(central_address), bytes(board_address), central_mtu)
        return Peer(handle, central_mtu)

    @contextlib.contextmanager
    def main_task_starved(self):
        """While inside, the board's main task cannot run (the NimBLE thread holds the GIL) but
        centrals can: connections, writes and IRQs happen "before the main task ran"."""
        _STACK.submit(_STACK.pin)
        try:
            yield
        finally:
            _STACK.submit(_STACK.unpin)

    def reset(self):
        """Power-cycle the simulated controller (between tests): off, no handler, no services."""
        GIL.release_orphaned()
        _STACK.submit(_STACK.reset)
        _STACK.read_race = True
        _STACK.trace_irqs = False


def air():
    """The simulated radio the board's ``BLE`` object lives on."""
    return Air()
