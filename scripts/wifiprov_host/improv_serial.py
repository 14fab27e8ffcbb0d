"""Improv Wi-Fi over a serial port (version 1), the client side: packets in and out among the board's console lines."""

import time

from wifiprov_host.errors import AuthenticationFailed, ProtocolError, StatusError, WifiFailed
from wifiprov_host.transport import DeviceNotFound

HEADER = b"IMPROV"
VERSION = 1
TYPE_STATE, TYPE_ERROR, TYPE_RPC, TYPE_RESULT = 1, 2, 3, 4
CMD_WIFI_SETTINGS, CMD_CURRENT_STATE, CMD_DEVICE_INFO, CMD_SCAN = 1, 2, 3, 4
STATES = {2: "ready", 3: "provisioning", 4: "provisioned"}
ERROR_UNABLE_TO_CONNECT = 3
DETECT_TIMEOUT_S = 10.0  # ESP Web Tools waits as long for a board that was just flashed
RPC_TIMEOUT_S = 30.0  # the serial SDK's safety net for one command


def packet(packet_type, data):
    """A packet as the client sends it: header, version, type, length, data, checksum over all of it, newline."""
    body = HEADER + bytes((VERSION, packet_type, len(data))) + bytes(data)
    return body + bytes((sum(body) & 0xFF, 10))


def strings(data):
    """The length-prefixed strings of an RPC result's data, as text (``ProtocolError`` if they do not add up)."""
    out = []
    i = 0
    while i < len(data):
        end = i + 1 + data[i]
        if end > len(data):
            raise ProtocolError("RPC result strings overrun: %s" % bytes(data).hex())
        out.append(bytes(data[i + 1 : end]).decode("utf-8", "replace"))
        i = end
    return out


def failure(error):
    """The run's exception for an Improv error state."""
    if error == ERROR_UNABLE_TO_CONNECT:
        return WifiFailed("UnableToConnect")
    if error == 4:
        return AuthenticationFailed("the device wants authorization (Improv error 4)")
    if error == 0xFF:
        return StatusError("Wi-Fi settings", "unknown error (Improv error 0xFF)", "credentials are being tried?")
    return ProtocolError("the device answered Improv error %d" % error)


class ImprovSerialLink:
    """Improv on ``port``, a pyserial port (``serial.serial_for_url``): it reads with a short timeout.

    Every method raises ``DeviceNotFound``/``ProtocolError``/``WifiFailed``/... as the CLI maps them.
    """

    def __init__(self, port, sleep=time.sleep, clock=time.monotonic):
        self.port = port
        self.sleep = sleep
        self.clock = clock
        self.state = None
        self._buf = bytearray()
        self._pending = []  # packets read but not yet looked at

    def close(self):
        """Release the serial port."""
        self.port.close()

    def send(self, command, data=b""):
        """One RPC packet."""
        self.port.write(packet(TYPE_RPC, bytes((command, len(data))) + bytes(data)))
        self.port.flush()

    def current_state(self, timeout=DETECT_TIMEOUT_S):
        """Ask for the state every second until the board answers (it may still be booting)."""
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            self.send(CMD_CURRENT_STATE)
            if self._wait(min(1.0, deadline - self.clock()), lambda kind, data: kind == TYPE_STATE):
                return self.state
        raise DeviceNotFound("no Improv answer on %s within %g s (is improv_serial on?)" % (self.port.name, timeout))

    def rpc(self, command, data=b"", timeout=RPC_TIMEOUT_S):
        """Send a command and return the strings of its first RPC result."""
        self.send(command, data)
        return self.result(command, timeout)

    def result(self, command, timeout):
        """The strings of the next RPC result for ``command``; an error state raises, silence ``None``."""
        found = self._wait(timeout, lambda kind, data: kind == TYPE_RESULT and data[:1] == bytes((command,)),
                           raise_errors=True)
        if found is None:
            return None
        data = found[1]
        if len(data) < 2 or data[1] + 2 != len(data):
            raise ProtocolError("malformed RPC result: %s" % bytes(data).hex())
        return strings(data[2:])

    def scan(self, timeout=RPC_TIMEOUT_S):
        """``[(ssid, rssi, secured)]``: one RPC result per network until an empty one."""
        self.send(CMD_SCAN)
        networks = []
        while True:
            found = self.result(CMD_SCAN, timeout)
            if found is None:
                raise ProtocolError("the scan did not end within %g s" % timeout)
            if not found:
                return networks
            if len(found) < 3 or not found[1].lstrip("-").isdigit():
                raise ProtocolError("malformed scan result: %r" % (found,))
            networks.append((found[0], int(found[1]), found[2] != "NO"))

    def _wait(self, timeout, wanted, raise_errors=False):
        """Read packets until one is ``wanted(type, data)``; returns ``(type, data)`` or None after ``timeout``."""
        deadline = self.clock() + timeout
        while True:
            self._pending += self._packets()
            while self._pending:
                kind, data = self._pending.pop(0)
                if kind == TYPE_STATE and data:
                    self.state = data[0]
                if kind == TYPE_ERROR and data and data[0] and raise_errors:
                    raise failure(data[0])
                if wanted(kind, data):
                    return kind, data
            if self.clock() >= deadline:
                return None
            chunk = self.port.read(4096)
            if chunk:
                self._buf += chunk
            else:
                self.sleep(0.01)

    def _packets(self):
        """Whole packets from the buffer, in order; console text around them is dropped."""
        found = []
        while True:
            start = self._buf.find(HEADER)
            if start < 0:
                del self._buf[: max(0, len(self._buf) - len(HEADER) + 1)]
                return found
            if len(self._buf) < start + 9:
                del self._buf[:start]
                return found
            size = self._buf[start + 8]
            end = start + 9 + size
            if len(self._buf) <= end:
                del self._buf[:start]
                return found
            body = bytes(self._buf[start:end])
            checksum = self._buf[end]
            del self._buf[: end + 1]
            if body[6] == VERSION and checksum == sum(body) & 0xFF:
                found.append((body[7], body[9:]))
