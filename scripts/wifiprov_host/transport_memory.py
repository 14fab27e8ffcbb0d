"""In-memory transport: calls a device-side object directly (device core, virtual board, test fake)."""

from wifiprov_host.transport import LINK_PROFILES, RequestFailed, Transport


class MemoryTransport(Transport):
    """Talk to ``device.handle(session_id, endpoint, data) -> bytes | None``.

    ``None`` is the protocol failure and raises :class:`RequestFailed`. If the device has
    ``open_session(session_id)`` it is called once here, as a BLE connect or the first
    HTTP request would. ``profile`` ("ble" or "http") picks the scan paging esp_prov uses
    on that link, so a simulated link behaves like the real one.
    """

    kind = "memory"

    def __init__(self, device, session_id=1, profile="http"):
        self.device = device
        self.session_id = session_id
        self.scan_page_size, self.scan_group_channels = LINK_PROFILES[profile]
        self.profile = profile
        opener = getattr(device, "open_session", None)
        if opener is not None:
            opener(session_id)
        self._closed = False

    def send(self, endpoint, data):
        """Hand the request to the device and return its answer."""
        if self._closed:
            raise RequestFailed("transport closed")
        response = self.device.handle(self.session_id, endpoint, bytes(data))
        if response is None:
            raise RequestFailed("device returned no payload for %s" % endpoint)
        return bytes(response)

    def close(self):
        """Close the session on the device side if it supports that (a BLE disconnect)."""
        if self._closed:
            return
        self._closed = True
        closer = getattr(self.device, "close_session", None)
        if closer is not None:
            closer(self.session_id)
