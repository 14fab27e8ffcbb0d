"""Improv Wi-Fi without I/O: RPC frames (BLE revision 2.4), serial packets (version 1) and the Improv service's
states over the provisioning manager, shared by the BLE and serial front doors.

The front door feeds what the client sent (``frame()`` for BLE, ``command()`` for a serial
packet that ``PacketReader`` found) and an ``out`` object of its own hears what the client
must learn: ``out.state(value)``, ``out.error(value)``, ``out.result(command, strings)``.
The Wi-Fi attempt itself is the manager's (``set_config``/``apply_config``), so retries,
failure reasons, the credential store and the events are the same as for every other
client; its events move the Improv state (any front door's attempt shows as provisioning).
"""

from micropython import const

from wifiprov import manager as mgr

_STATE_AUTHORIZATION_REQUIRED = const(1)
_STATE_AUTHORIZED = const(2)
_STATE_PROVISIONING = const(3)
_STATE_PROVISIONED = const(4)

_ERROR_NONE = const(0)
_ERROR_INVALID_RPC = const(1)
_ERROR_UNKNOWN_RPC = const(2)
_ERROR_UNABLE_TO_CONNECT = const(3)
_ERROR_NOT_AUTHORIZED = const(4)
ERROR_UNKNOWN = const(0xFF)

_CMD_WIFI_SETTINGS = const(1)
_CMD_IDENTIFY = const(2)  # BLE
_CMD_CURRENT_STATE = const(2)  # serial
_CMD_DEVICE_INFO = const(3)
_CMD_SCAN = const(4)

FRAME_MAX = const(258)  # command, length, 255 data bytes, checksum

TYPE_STATE = const(1)
TYPE_ERROR = const(2)
TYPE_RPC = const(3)
TYPE_RESULT = const(4)

_HEADER = b"IMPROV"
PACKET_MAX = const(267)  # header, version, type, length, 255 data bytes, checksum, newline
_VERSION = const(1)
_NEWLINE = const(10)
_CTRL_C = const(3)

# PacketReader.feed results
PACKET = const(1)
BAD_PACKET = const(2)
INTERRUPT = const(3)

_AUTHORIZED_MS = const(60000)  # the spec's suggestion: a press authorizes for a minute
_SSID_MAX = const(32)
_PASSPHRASE_MAX = const(63)

# WifiAuthMode 0..7 as the BLE scan result names it (the spec knows NO, WEP, WPA, WPA2).
_AUTH_NAMES = ("NO", "WEP", "WPA", "WPA2", "WPA2", "WPA2", "WPA3", "WPA2")


def checksum(data, end):
    """The low byte of the sum of ``data[:end]``."""
    total = 0
    for i in range(end):
        total += data[i]
    return total & 0xFF


def split_strings(data):
    """The length-prefixed strings of ``data`` as a list of bytes, or None if they do not add up."""
    out = []
    i = 0
    end = len(data)
    while i < end:
        n = data[i]
        if i + 1 + n > end:
            return None
        out.append(bytes(data[i + 1 : i + 1 + n]))
        i += 1 + n
    return out


def put_result(buf, offset, command, strings):
    """Write ``command, length, (len, string)...`` into ``buf`` at ``offset``; returns the end offset.

    ``ValueError`` when the strings do not fit one RPC result (255 bytes) or ``buf``.
    """
    size = 0
    for s in strings:
        size += 1 + len(s)
    if size > 255 or offset + 2 + size > len(buf):
        raise ValueError("RPC result of %d bytes" % size)
    buf[offset] = command
    buf[offset + 1] = size
    i = offset + 2
    for s in strings:
        buf[i] = len(s)
        buf[i + 1 : i + 1 + len(s)] = s
        i += 1 + len(s)
    return i


def ble_result(buf, command, strings, limit):
    """A BLE RPC result frame in ``buf`` (with its checksum), at most ``limit`` bytes; returns its length.

    A scan result keeps as many whole networks (3 strings each, strongest first) as fit;
    any other result that does not fit raises ``ValueError``.
    """
    limit = min(limit, len(buf))
    while True:
        try:
            end = put_result(buf, 0, command, strings)
        except ValueError:
            end = FRAME_MAX + 1
        if end < limit:
            buf[end] = checksum(buf, end)
            return end + 1
        if command != _CMD_SCAN or not strings:
            raise ValueError("RPC result %d does not fit %d bytes" % (command, limit))
        strings = strings[:-3]


def serial_packet(buf, packet_type, size):
    """Complete the serial packet whose ``size`` data bytes are already at ``buf[9:]``; returns its length.

    Header, version, type and length go in front, the checksum (over every byte before it)
    and a newline after. The serial SDK splits its input on newlines until it has read a
    packet's length byte, so an RPC result that would say 10 gets an empty string more.
    """
    if size == _NEWLINE and packet_type == TYPE_RESULT:
        buf[9 + size] = 0
        buf[10] += 1
        size += 1
    buf[0:6] = _HEADER
    buf[6] = _VERSION
    buf[7] = packet_type
    buf[8] = size
    end = 9 + size
    buf[end] = checksum(buf, end)
    buf[end + 1] = _NEWLINE
    return end + 2


class PacketReader:
    """Finds the client's serial packets in console input, byte by byte.

    ``feed(byte)`` returns None, ``PACKET`` (``type`` and ``payload`` hold it), ``BAD_PACKET``
    (wrong checksum) or ``INTERRUPT``: a Ctrl-C (0x03) that is not part of a packet, which
    the console would have turned into KeyboardInterrupt. Other bytes outside a packet
    are dropped, and so are packets of another protocol version. ``partial`` is True
    inside a packet; ``reset()`` abandons it.
    """

    def __init__(self):
        self._buf = bytearray(PACKET_MAX)
        self._n = 0
        self.type = 0
        self.payload = None

    @property
    def partial(self):
        return self._n > 0

    def reset(self):
        """Forget a packet begun but not finished."""
        self._n = 0

    def feed(self, byte):
        """Take one input byte; see the class docstring for the result."""
        n = self._n
        buf = self._buf
        if n < 6 and byte != _HEADER[n]:
            self._n = 1 if byte == _HEADER[0] else 0
            return INTERRUPT if byte == _CTRL_C else None
        buf[n] = byte
        n += 1
        if n < 9 or n < 10 + buf[8]:
            self._n = n
            return None
        self._n = 0
        if buf[6] != _VERSION:
            return None
        if byte != checksum(buf, n - 1):
            return BAD_PACKET
        self.type = buf[7]
        self.payload = memoryview(buf)[9 : n - 1]
        return PACKET


class Improv:
    """The Improv service of one front door over a ``ProvisioningManager``.

    ``serial``: the serial protocol (command 2 asks for the state, a scan answers one
    result per network and an empty one, no authorization: the cable is physical access)
    rather than BLE (command 2 identifies, one scan result, a button may have to
    authorize). ``info``: the device-info strings (firmware, version, chip, device name).
    ``button``: a press (``press()``) authorizes for a minute; while failed
    sessions keep provisioning closed (``manager.accepting_sessions()``) BLE needs the
    press too. ``redirect_url``: sent after success, ``{ip}`` replaced by the station's
    address. ``log``: an ``info``/``warn`` object or None. ``tick(now_ms)`` often.
    """

    def __init__(self, manager, out, serial, info, button=False, redirect_url=None, log=None):
        self._manager = manager
        self._out = out
        self._serial = serial
        self._info = info
        self._button = button and not serial
        self._url = redirect_url
        self._log = log
        self._authorized = False  # a press opened the window
        self._until = None  # when it closes (ticks_ms); None: fixed at the next tick
        self._mine = False  # the credentials being tried came from this front door
        self._trying = False  # some client's credentials are being tried
        self._result = None  # the redirect strings, once provisioned
        self.state = self._current()
        manager.add_listener(self._on_event)

    def press(self):
        """The button was pressed: authorized for a minute (BLE with a button)."""
        if self._button:
            self._authorized = True
            self._until = None
            self._refresh()

    def tick(self, now_ms):
        """Let the authorization run out and follow the manager's session gate."""
        if self._authorized:
            if self._until is None:
                self._until = mgr.ticks_add(now_ms, _AUTHORIZED_MS)
            elif mgr.ticks_diff(now_ms, self._until) >= 0:
                self._authorized = False
        self._refresh()

    def frame(self, frame, end):
        """A whole BLE RPC frame in ``frame[:end]``: command, length, data, checksum."""
        if end < 3 or frame[1] + 3 != end or checksum(frame, end - 1) != frame[end - 1]:
            self._out.error(_ERROR_INVALID_RPC)
            return
        self._command(frame[0], memoryview(frame)[2 : end - 1])

    def command(self, payload):
        """The data of a serial RPC packet: command, length, data."""
        if len(payload) < 2 or payload[1] + 2 != len(payload):
            self._out.error(_ERROR_INVALID_RPC)
            return
        self._command(payload[0], payload[2:])

    def invalid(self):
        """The client sent something that is no RPC packet (a bad checksum, a broken frame)."""
        self._out.error(_ERROR_INVALID_RPC)

    # ---- commands

    def _command(self, command, data):
        out = self._out
        out.error(_ERROR_NONE)
        self._refresh()
        if command == _CMD_WIFI_SETTINGS:
            self._wifi_settings(data)
        elif command not in (_CMD_IDENTIFY, _CMD_DEVICE_INFO, _CMD_SCAN):
            out.error(_ERROR_UNKNOWN_RPC)
        elif len(data):
            out.error(_ERROR_INVALID_RPC)
        elif command == _CMD_DEVICE_INFO:
            out.result(_CMD_DEVICE_INFO, self._info)
        elif command == _CMD_SCAN:
            self._scan()
        elif self._serial:  # _CMD_CURRENT_STATE
            out.state(self.state)
            if self._result is not None:
                out.result(_CMD_CURRENT_STATE, self._result)
        else:  # _CMD_IDENTIFY: no capability bit, so only a console line
            self._say("identify requested (this board has nothing to blink)")

    def _wifi_settings(self, data):
        strings = split_strings(data)
        if strings is None or len(strings) != 2:
            self._out.error(_ERROR_INVALID_RPC)
            return
        if self.state == _STATE_AUTHORIZATION_REQUIRED:
            self._out.error(_ERROR_NOT_AUTHORIZED)
            return
        ssid, passphrase = strings
        if not 0 < len(ssid) <= _SSID_MAX or len(passphrase) > _PASSPHRASE_MAX:
            self._out.error(_ERROR_INVALID_RPC)
            return
        if self.state != _STATE_AUTHORIZED:
            self._warn("Wi-Fi settings refused: credentials are being tried or provisioning ended")
            self._out.error(ERROR_UNKNOWN)
            return
        self._manager.set_config(ssid, passphrase)
        self._mine = True
        if self._manager.apply_config():  # not Success: the manager said why
            self._mine = False
            self._out.error(ERROR_UNKNOWN)

    def _scan(self):
        seen = []
        strings = []
        for ssid, _, _, rssi, auth in self._manager.scan():
            if not ssid or ssid in seen:  # a hidden network cannot be chosen; one line per name
                continue
            seen.append(ssid)
            rssi = ("%d" % rssi).encode()
            if self._serial:
                self._out.result(_CMD_SCAN, (ssid, rssi, b"NO" if auth == 0 else b"YES"))
            else:
                strings += (ssid, rssi, _AUTH_NAMES[auth].encode())
        self._out.result(_CMD_SCAN, strings)

    # ---- the manager's events

    def _on_event(self, event, data):
        if event == mgr.EVENT_START:  # also prov-ctrl Reprov after a success
            self._trying = False
            self._result = None
        elif event == mgr.EVENT_CRED_RECV:
            self._trying = True
        elif event == mgr.EVENT_CRED_FAIL:
            self._trying = False
            if self._mine:
                self._mine = False
                if self._button:  # the spec: after a failure the authorization starts over
                    self._authorized = True
                    self._until = None
                self._out.error(_ERROR_UNABLE_TO_CONNECT)
        elif event == mgr.EVENT_CRED_SUCCESS:
            self._trying = False
            url = self._url.replace("{ip}", data).encode() if self._url else None
            self._result = (url,) if url else ()
            self._refresh()
            if self._mine:
                self._mine = False
                self._out.result(_CMD_WIFI_SETTINGS, self._result)
                self._manager.wifi_status()  # the client was told: the manager may stop, as after GetStatus
            return
        self._refresh()

    # ---- helpers

    def _current(self):
        if self._result is not None:
            return _STATE_PROVISIONED
        if self._trying:
            return _STATE_PROVISIONING
        if self._serial or ((self._authorized or not self._button) and self._manager.accepting_sessions()):
            return _STATE_AUTHORIZED
        return _STATE_AUTHORIZATION_REQUIRED

    def _refresh(self):
        state = self._current()
        if state != self.state:
            self.state = state
            self._out.state(state)

    def _say(self, text):
        if self._log is not None:
            self._log.info(text)

    def _warn(self, text):
        if self._log is not None:
            self._log.warn(text)


def device_info(name):
    """The device-info strings: firmware, its version, the chip (``ESP32C3`` from MicroPython's "… module with
    ESP32C3"; elsewhere the platform) and the device name."""
    import sys

    from wifiprov import __version__

    machine = getattr(sys.implementation, "_machine", "")
    chip = machine[machine.find(" with ") + 6 :] if " with " in machine else sys.platform
    return (b"wifiprov", __version__.encode(), chip.encode(), name.encode())
