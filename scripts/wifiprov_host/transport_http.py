"""SoftAP/HTTP transport: ``POST /<endpoint>`` on one persistent connection with the session cookie (PROTOCOL.md §8.1)."""

import http.client
import socket

from wifiprov_host.transport import (
    LINK_PROFILES,
    ConnectionDropped,
    DeviceNotFound,
    RequestFailed,
    Transport,
)

DEFAULT_ADDRESS = "192.168.4.1:80"

# The headers esp_prov sends; the device ignores everything but the cookie.
_BASE_HEADERS = {"Content-type": "application/x-www-form-urlencoded", "Accept": "text/plain"}


class HttpTransport(Transport):
    """HTTP/1.1 client for the device's provisioning server at ``address`` ("host[:port]").

    Keeps one keep-alive connection, copies the ``session=<id>`` cookie from any
    ``Set-Cookie`` into later requests (so a reconnect continues the same session), and
    maps "socket closed without a response" to :class:`RequestFailed`.
    """

    kind = "http"
    scan_page_size, scan_group_channels = LINK_PROFILES["http"]

    def __init__(self, address=DEFAULT_ADDRESS, timeout=60.0):
        self.address = address
        self.timeout = timeout
        self.cookie = None
        self.connections_opened = 0
        self._conn = None

    def send(self, endpoint, data):
        """POST ``data`` to ``/endpoint`` and return the body of the 200 answer."""
        if not data:
            raise ValueError("the device rejects empty HTTP bodies")
        conn = self._connection()
        headers = dict(_BASE_HEADERS)
        if self.cookie is not None:
            headers["Cookie"] = self.cookie
        try:
            conn.request("POST", "/" + endpoint, body=bytes(data), headers=headers)
        except OSError as exc:
            self._drop()
            raise ConnectionDropped("sending to %s failed: %s" % (self.address, exc)) from exc
        try:
            response = conn.getresponse()
            body = response.read()
        except http.client.RemoteDisconnected as exc:
            self._drop()
            raise RequestFailed("device closed the connection without answering /%s" % endpoint) from exc
        except ConnectionResetError as exc:
            self._drop()
            raise RequestFailed("device reset the connection instead of answering /%s" % endpoint) from exc
        except socket.timeout as exc:
            self._drop()
            raise ConnectionDropped("no answer from %s within %g s" % (self.address, self.timeout)) from exc
        except (http.client.HTTPException, OSError) as exc:
            self._drop()
            raise ConnectionDropped("broken HTTP answer from %s: %s" % (self.address, exc)) from exc
        self._take_cookie(response)
        if response.will_close:
            self._drop()
        if response.status != 200:
            raise RequestFailed("device answered /%s with HTTP %d %s" % (endpoint, response.status, response.reason))
        return body

    def connect(self):
        """Open the connection now (it is otherwise opened by the first request)."""
        self._connection()

    def close(self):
        """Close the connection (the device keeps the session until another client comes)."""
        self._drop()

    def _connection(self):
        if self._conn is None:
            conn = http.client.HTTPConnection(self.address, timeout=self.timeout)
            try:
                conn.connect()
            except (OSError, http.client.InvalidURL) as exc:
                conn.close()
                error = DeviceNotFound if self.connections_opened == 0 else ConnectionDropped
                raise error("cannot connect to %s: %s (is this computer on the device's SoftAP network?)"
                            % (self.address, exc)) from exc
            self.connections_opened += 1
            self._conn = conn
        return self._conn

    def _take_cookie(self, response):
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                # Only "name=value": the device compares the whole Cookie header value.
                self.cookie = value.split(";", 1)[0].strip()

    def _drop(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def address_for(service_name):
    """HTTP address for esp_prov's ``--service_name``: "host[:port]", or the default for a SoftAP name.

    A name without dots or a colon (e.g. ``PROV_1A2B3C``) is the device's SoftAP SSID,
    not a host: the server is then at the default address once you joined that network.
    """
    if not service_name:
        return DEFAULT_ADDRESS
    if "." in service_name or ":" in service_name or service_name == "localhost":
        return service_name
    return DEFAULT_ADDRESS
