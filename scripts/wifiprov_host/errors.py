"""Errors of the provisioning protocol layer, one class per cause a user must be told apart.

Transport failures live in :mod:`wifiprov_host.transport`; the CLI maps both onto exit codes.
"""


class ProvError(Exception):
    """Base of every protocol-level failure."""


class UsageError(ProvError):
    """Something the user must supply is missing and cannot be asked for (no terminal)."""


class ProtocolError(ProvError):
    """The device's answer is malformed or not the one the protocol calls for."""


class UnsupportedByDevice(ProvError):
    """The device lacks a capability or protocol version the run needs."""


class SessionRejected(ProvError):
    """The device refused a security handshake step (PROTOCOL.md §7.7)."""


class AuthenticationFailed(SessionRejected):
    """The device refused the client's proof: wrong PoP (sec1) or wrong username/password (sec2)."""


class DeviceNotAuthenticated(ProvError):
    """The device's own proof did not verify: it does not know the PoP / verifier."""


class StatusError(ProvError):
    """The device answered a command with a non-Success ``status``."""

    def __init__(self, command, status_name, hint=""):
        text = "%s refused by the device: %s" % (command, status_name)
        super().__init__(text + (" (%s)" % hint if hint else ""))
        self.command = command
        self.status_name = status_name


class NetworkNotInScan(ProvError):
    """The requested SSID was not among the access points the device found."""


class WifiFailed(ProvError):
    """The device could not join the network; ``reason`` is "AuthError", "NetworkNotFound" or, over Improv,
    "UnableToConnect"."""

    MESSAGES = {
        "AuthError": "Wi-Fi authentication failed (wrong passphrase?)",
        "NetworkNotFound": "Wi-Fi network not found (wrong SSID or out of range?)",
        "UnableToConnect": "Wi-Fi connection failed (Improv gives no reason: wrong passphrase, or out of range?)",
    }

    def __init__(self, reason):
        super().__init__(self.MESSAGES.get(reason, "Wi-Fi connection failed (%s)" % reason))
        self.reason = reason


class WifiTimeout(ProvError):
    """The device was still connecting when the time limit ran out."""
