"""BLE transport: protocomm over GATT with aioble (PROTOCOL.md §8.2), each response ready before its read.

One primary service; per endpoint a Read+Write characteristic (512-byte value buffer) with
a read-only 0x2901 descriptor holding the endpoint name. Advertising data is Flags + the
128-bit service UUID, the scan response the name (+ manufacturer data); one central at a
time, a protocomm session per connection, advertising again after a disconnect.

Request/response, DESIGN.md option (b): the write IRQ only copies the request and hands
it to the main task (a ``ThreadSafeFlag``); the main task runs protocomm and stores the
response; a read of that characteristic is held inside the read-request IRQ
(``time.sleep_ms`` releases the GIL, so the main task runs meanwhile) until the response
is stored, for at most ~20 s (the ATT transaction timeout is 30 s). Option (a), computing
inside the write IRQ, is ruled out: a security 2 Cmd0 is seconds of big-integer work
through a deep Python call chain, which would block the NimBLE host and overflow its
4-6 KB stack. Request counters written by one side only (``written`` by the IRQ,
``answered`` by the main task) say whether a response is pending, so a read never sees
a stale value or the echoed request. A failed request (protocomm's ``None``) empties the
value and denies the client's next read with ATT 0x0E (PLATFORM.md §A5: a write cannot
carry an ATT error on MicroPython). Every BLE IRQ, aioble's own handlers included, runs
behind one try/except, because an exception escaping a handler disables it for good.

A guest service (Improv Wi-Fi, ``wifiprov.improv_ble``) can be served beside the provisioning
service, or alone when there are no endpoints. Its service is registered after the
provisioning one (the iOS library takes the first service it discovers), it sees every IRQ
first, and since both advertisements do not fit one 31-byte packet the two alternate.
"""

import asyncio
import time

import aioble
import aioble.core
import bluetooth
from micropython import const

from wifiprov import ble_layout

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)

_FLAG_READ_ENCRYPTED = const(0x0200)
_FLAG_WRITE_ENCRYPTED = const(0x1000)

_ATT_UNLIKELY_ERROR = const(0x0E)  # not 0x05/0x0F: those make phones start pairing
_USER_DESCRIPTION = const(0x2901)
_VALUE_MAX = const(512)  # ATT maximum; sec2 Cmd0 is ~406 bytes, Resp0 ~416
_PREFERRED_MTU = const(512)  # what the Android library asks for
_ADV_INTERVAL_US = const(160000)  # ESP-IDF's 0x100 x 0.625 ms
_HOLD_STEP_MS = const(10)
_HOLD_STEPS = const(2000)  # ~20 s
_QUEUE_MAX = const(4)  # requests written but not yet answered; a client reads after each
_IO_NO_INPUT_OUTPUT = const(3)
# With a guest the advertisements take turns: a phone scanning for ~1 s (Android's balanced
# scan window) sees every one of them whole.
_TURN_MS = const(500)


class _Endpoint(aioble.BufferedCharacteristic):
    """One endpoint's characteristic; ``on_read`` holds or denies reads inside the read-request IRQ."""

    def __init__(self, service, uuid, name, extra_flags):
        super().__init__(service, uuid, read=True, write=True, max_len=_VALUE_MAX)
        self.flags |= extra_flags
        self.name = name
        self.written = 0  # requests received; changed by the write IRQ only
        self.answered = 0  # requests answered; changed by the main task only
        self.failed = 0  # the answered request that failed, until its read is denied
        aioble.Descriptor(self, bluetooth.UUID(_USER_DESCRIPTION), read=True, initial=name.encode())

    def on_read(self, connection):
        """Wait while a response is being computed; deny the read that follows a failure."""
        steps = _HOLD_STEPS
        while self.answered != self.written:
            if not steps:
                return _ATT_UNLIKELY_ERROR
            time.sleep_ms(_HOLD_STEP_MS)
            steps -= 1
        if self.failed and self.failed == self.answered:
            self.failed = 0
            return _ATT_UNLIKELY_ERROR
        return 0


class BleTransport:
    """Serves ``protocomm`` over BLE between ``start()`` and ``stop()``.

    ``endpoints``: endpoint names in characteristic order (``manager.endpoint_names()``);
    ``name``: the advertised name (the service name, at most 29 bytes); ``service_uuid``:
    canonical text; ``manufacturer_data``: bytes for the scan response, company id first
    (little endian), cut to what fits; ``force_encryption``: characteristics need an
    encrypted link (clients pair, Just Works); ``keep_ble``: leave the BLE stack on at
    ``stop()``; ``log``: ``info``/``warn`` object (``wifiprov.log.Logger``) or None;
    ``on_link(connected)``: called on the main task when a central comes or goes.

    ``guest``: another service to serve (no endpoints and no protocomm: it alone), an
    object with ``service`` (an ``aioble.Service``), ``irq(event, data)`` (called first in
    every BLE IRQ, guarded), ``advert(alone)`` (its advertising data and scan response,
    asked afresh at every turn) and ``async serve()`` (its task while serving).
    """

    def __init__(self, protocomm, endpoints, name, service_uuid=ble_layout.EXAMPLE_SERVICE_UUID,
                 manufacturer_data=None, force_encryption=False, keep_ble=False, log=None, on_link=None,
                 guest=None):
        self.protocomm = protocomm
        self._adv_data = ble_layout.advertising_data(service_uuid)
        self._resp_data = ble_layout.scan_response(name, manufacturer_data)
        self._name = name
        self._service_uuid = service_uuid
        self._force_encryption = force_encryption
        self._keep_ble = keep_ble
        self._log = log
        self._on_link = on_link
        self._guest = guest
        extra = (_FLAG_READ_ENCRYPTED | _FLAG_WRITE_ENCRYPTED) if force_encryption else 0
        self._service = aioble.Service(bluetooth.UUID(service_uuid)) if endpoints else None
        self._characteristics = []
        for endpoint, endpoint_id in ble_layout.endpoint_ids(endpoints):
            uuid = bluetooth.UUID(ble_layout.endpoint_uuid(service_uuid, endpoint_id))
            self._characteristics.append(_Endpoint(self._service, uuid, endpoint, extra))
        self._by_handle = {}  # value handle -> _Endpoint, while serving
        self._queue = []  # (endpoint, link, conn_handle, request or None, number): IRQ appends, main pops
        self._flag = None
        self._link_flag = None
        self._link = 0  # odd while a central is connected; changed by the IRQ only
        self._conn = None  # its connection handle; changed by the IRQ only
        self._session_link = 0  # the link the protocomm session belongs to (main task)
        self._session_conn = None
        self._irq_error = None
        self._tasks = []
        self._stopped = False

    # ---- main task

    async def start(self):
        """Switch BLE on, register the service and start advertising."""
        ble = aioble.core.ble
        aioble.config(gap_name=self._name)
        aioble.config(mtu=_PREFERRED_MTU)
        if self._force_encryption:
            aioble.config(bond=False, le_secure=True, mitm=True, io=_IO_NO_INPUT_OUTPUT)
        services = [svc for svc in (self._service, self._guest and self._guest.service) if svc]
        aioble.register_services(*services)
        for endpoint in self._characteristics:
            endpoint.written = endpoint.answered = endpoint.failed = 0
        # aioble keeps the handle in _value_handle; the write IRQ needs handle -> endpoint.
        self._by_handle = dict((ep._value_handle, ep) for ep in self._characteristics)
        self._queue = []
        self._flag = asyncio.ThreadSafeFlag()
        self._link_flag = asyncio.ThreadSafeFlag()
        ble.irq(self._irq)
        self._tasks = [asyncio.create_task(self._serve()), asyncio.create_task(self._advertise())]
        if self._guest is not None:
            self._tasks.append(asyncio.create_task(self._guest.serve()))
        if self._service is not None:
            self._info("advertising %s, service %s" % (self._name, self._service_uuid))

    async def stop(self):
        """Stop advertising, drop the central, close the session; BLE off unless ``keep_ble``; let go
        of ``protocomm`` and the guest (a stopped transport is not started again)."""
        if self._stopped:
            return
        self._stopped = True
        self._by_handle = {}  # no new requests from here on
        for endpoint in self._characteristics:  # a read held now is denied at once
            number = endpoint.written
            endpoint.failed = number
            endpoint.answered = number
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []
        ble = aioble.core.ble
        ble.irq(aioble.core.ble_irq)
        if self._link & 1:
            try:
                ble.gap_disconnect(self._conn)
            except OSError:  # already gone
                pass
        if self._session_link & 1 and self.protocomm is not None:
            self.protocomm.close_session(self._session_conn)
        self._session_link = self._link
        if self._keep_ble:
            self._info("provisioning service stopped, BLE stack kept on")
        else:
            aioble.stop()
            self._info("BLE stack switched off")
        # A finished task of this transport can stay referenced while the loop runs (MicroPython's
        # asyncio): what it holds must not keep the provisioning service alive. Not started again.
        self.protocomm = None
        self._guest = None
        self._on_link = None
        self._log = None
        self._queue = []

    async def _advertise(self):
        turn = 0
        while True:
            adverts = self._adverts()
            adv_data, resp_data = adverts[turn % len(adverts)]
            turn += 1
            try:
                connection = await aioble.advertise(_ADV_INTERVAL_US, adv_data=adv_data, resp_data=resp_data,
                                                    timeout_ms=_TURN_MS if self._guest else None)
            except asyncio.TimeoutError:  # the next advertisement's turn
                continue
            except OSError as exc:  # the stack refused to advertise; try again
                self._warn("advertising failed: %r" % (exc,))
                await asyncio.sleep(1)
                continue
            if connection is None:  # cancelled (aioble swallows the cancellation)
                return
            if self._guest is not None:  # a central that came as a turn ended finds advertising restarted
                aioble.core.ble.gap_advertise(None)
            self._follow_link()
            # Not connection.disconnected(): a central leaving before this task ran makes aioble's
            # disconnect IRQ fail (its event does not exist yet), and aioble never learns of it.
            while self._link & 1:
                await self._link_flag.wait()
            self._follow_link()

    def _adverts(self):
        """The (advertising data, scan response) pairs that take turns."""
        if self._guest is None:
            return ((self._adv_data, self._resp_data),)
        if self._service is None:
            return (self._guest.advert(True),)
        return ((self._adv_data, self._resp_data), self._guest.advert(False))

    async def _serve(self):
        while True:
            await self._flag.wait()
            if self._irq_error is not None:
                self._warn("BLE IRQ handler failed: %r" % (self._irq_error,))
                self._irq_error = None
            while self._queue:
                item = self._queue.pop(0)
                try:
                    self._answer(*item)
                except Exception as exc:  # e.g. MemoryError storing the answer: deny its read, serve on
                    endpoint, number = item[0], item[4]
                    endpoint.failed = number
                    endpoint.answered = number
                    self._warn("request to %s failed: %r" % (endpoint.name, exc))
                await asyncio.sleep(0)

    def _answer(self, endpoint, link, conn_handle, request, number):
        """Run one request through protocomm and store the response (or the failure)."""
        response = None
        if link == self._link and request is not None:
            self._follow_link()
            response = self.protocomm.handle(conn_handle, endpoint.name, request)
        if response is None:
            endpoint.write(b"")  # the echoed request must not stay readable
            endpoint.failed = number
        else:
            endpoint.write(response)
        endpoint.answered = number  # last: the held read may go once this is set

    def _follow_link(self):
        """Bring the protocomm session in line with the IRQ's view of the link."""
        link, conn_handle = self._link, self._conn
        if link == self._session_link:
            return
        if self._session_link & 1:
            if self.protocomm is not None:
                self.protocomm.close_session(self._session_conn)
            self._notify(False)
        self._session_link = link
        self._session_conn = conn_handle
        if link & 1:
            if self.protocomm is not None:
                self.protocomm.open_session(conn_handle)
            self._notify(True)

    def _notify(self, connected):
        self._info("central %s" % ("connected" if connected else "disconnected"))
        if self._on_link is not None:
            try:
                self._on_link(connected)
            except Exception as exc:  # an application callback must not stop the transport
                self._warn("on_link failed: %r" % (exc,))

    # ---- NimBLE task (IRQ): short, shallow, no protocomm

    def _irq(self, event, data):
        """Every BLE IRQ: note links and requests, then aioble's handlers, all guarded."""
        try:
            if self._guest is not None:
                self._guest.irq(event, data)
            if event == _IRQ_GATTS_WRITE:
                self._request_written(data[0], data[1])
            elif event == _IRQ_CENTRAL_CONNECT:
                self._conn = data[0]
                self._link += 1 + (self._link & 1)  # the next odd number: a new link
            elif event == _IRQ_CENTRAL_DISCONNECT and data[0] == self._conn and self._link & 1:
                self._link += 1
                self._link_flag.set()
            return aioble.core.ble_irq(event, data)
        except Exception as exc:  # escaping, it would switch this handler off for good
            self._irq_error = exc
            if self._flag is not None:
                self._flag.set()
            return _ATT_UNLIKELY_ERROR if event == _IRQ_GATTS_READ_REQUEST else None

    def _request_written(self, conn_handle, value_handle):
        endpoint = self._by_handle.get(value_handle)
        if endpoint is None:  # a descriptor, or no longer serving
            return
        request = aioble.core.ble.gatts_read(value_handle)
        if len(self._queue) >= _QUEUE_MAX:  # writes without reads: drop the central
            request = None
            aioble.core.ble.gap_disconnect(conn_handle)
        endpoint.written += 1
        self._queue.append((endpoint, self._link, conn_handle, request, endpoint.written))
        self._flag.set()

    def _info(self, text):
        if self._log is not None:
            self._log.info(text)

    def _warn(self, text):
        if self._log is not None:
            self._log.warn(text)
