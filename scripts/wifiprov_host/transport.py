"""The transport seam of the host client: one request in, one response out, and its errors."""


class TransportError(Exception):
    """Base of every failure below the protocol layer."""


class DeviceNotFound(TransportError):
    """The device could not be found or reached (no BLE advertisement, HTTP connect failed)."""


class ConnectionDropped(TransportError):
    """The link broke during the session (BLE disconnect, HTTP timeout or truncated answer)."""


class RequestFailed(TransportError):
    """The device answered with the protocol's failure: no payload (PROTOCOL.md §1).

    HTTP: socket closed without a response (or an HTTP error status); BLE: an ATT error
    on the write or the following read; in memory: the device core returned ``None``.
    """


class Transport:
    """One provisioning link to one device.

    ``scan_page_size`` and ``scan_group_channels`` are what esp_prov uses on this kind
    of link (BLE: 4 results per page, no channel grouping; HTTP: 100 and 5).
    """

    kind = "abstract"
    scan_page_size = 100
    scan_group_channels = 0

    def send(self, endpoint, data):
        """Send ``data`` (bytes) to ``endpoint`` and return the response bytes."""
        raise NotImplementedError

    def close(self):
        """Release the link; further ``send`` calls are not allowed."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


# What esp_prov uses per link kind: (results per scan page, group_channels).
LINK_PROFILES = {"ble": (4, 0), "http": (100, 5)}
