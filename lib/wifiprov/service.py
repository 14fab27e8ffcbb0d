"""The provisioning service as ESP-IDF's wifi_prov_mgr example runs it: stored credentials or provisioning
over the configured transport, the QR payload, and the example's console lines.

``wifiprov.provision()`` reads the settings (``wifiprov.settings``), calls ``run`` and releases
every module afterwards; an application normally uses that rather than this module. Only what
the settings ask for is imported: the manager only to provision, one security scheme, one
transport, the QR encoder while it draws.
"""

import asyncio

import network
from micropython import const

from wifiprov import release
from wifiprov.log import Logger, printable

# Values of proto/ (pbenums; host_tests/host/test_codegen.py checks them).
_AUTH_ERROR = const(0)  # WifiConnectFailedReason.AuthError
_NETWORK_NOT_FOUND = const(1)  # WifiConnectFailedReason.NetworkNotFound

QR_VERSION = "v1"
QR_BASE_URL = "https://espressif.github.io/esp-jumpstart/qrcode.html"

log = Logger("app")


def _json_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def qr_payload(settings, name, transport):
    """The provisioning QR payload, as the seed example writes it (no spaces).

    Security 1 carries the PoP; security 2 the username and, when the board knows the
    password (dev mode, or a per-device password), the password as ``pop``.
    """
    fields = [("ver", QR_VERSION), ("name", name)]
    level = settings["security"]
    if level == 1 and settings["pop"]:
        fields.append(("pop", settings["pop"]))
    elif level == 2 and settings["sec2_password"]:
        fields.append(("username", settings["sec2_username"]))
        fields.append(("pop", settings["sec2_password"]))
    fields.append(("transport", transport))
    return "{" + ",".join(_json_string(k) + ":" + _json_string(v) for k, v in fields) + "}"


def print_qr(settings, payload):
    """The QR code (if ``show_qr``) and the URL fallback, as the seed example prints them."""
    if settings["show_qr"]:
        from wifiprov import qr

        log.info("Scan this QR code from the provisioning application for Provisioning.")
        for line in qr.lines(qr.encode(payload)):
            print(line)
        print()
        qr = None
        release("qr")
    log.info("If QR code is not visible, copy paste the below URL in a browser.\n%s?data=%s" % (QR_BASE_URL, payload))


def _event_logger(settings, manager):
    from wifiprov import pbmessages

    failure_text = {
        _AUTH_ERROR: "Wi-Fi station authentication failed",
        _NETWORK_NOT_FOUND: "Wi-Fi access-point not found",
    }

    def on_event(event, data):
        if event == manager.EVENT_START:
            log.info("Provisioning started")
        elif event == manager.EVENT_CRED_RECV:
            # The passphrase is never printed (the seed example shows it in clear).
            log.info("Received Wi-Fi credentials\n\tSSID     : %s\n\tPassword : ********" % printable(data))
        elif event == manager.EVENT_CRED_FAIL:
            log.error(
                "Provisioning failed!\n\tReason : %s\n\tPlease reset to factory and retry provisioning"
                % failure_text.get(data, "Wi-Fi connection failed")
            )
            if settings["reset_on_failure"]:
                log.info("Failed to connect with provisioned AP, resetting provisioned credentials")
        elif event == manager.EVENT_CRED_SUCCESS:
            log.info("Provisioning successful")
            log.info("Connected with IP Address:" + data)
        elif event == manager.EVENT_SESSION_SETUP_OK:
            log.info("Secured session established!")
        elif event == manager.EVENT_SESSION_INVALID_PARAMS:
            log.error("Received invalid security parameters for establishing secure session!")
        elif event == manager.EVENT_SESSION_CREDENTIALS_MISMATCH:
            log.error("Received incorrect username and/or PoP for establishing secure session!")
        elif event == manager.EVENT_SESSIONS_CLOSED:
            how = "reboot" if settings["unlock_button_pin"] is None else "reboot or press the button"
            log.error("Provisioning closed after %d failed sessions: %s to open it again" % (data, how))

    return on_event


async def unlock_on_button(prov, pin_number, on_press=None):
    """Poll the button (pulled up, low while pressed) until provisioning ends; a press reopens
    provisioning that failed sessions closed (or cuts a back-off short) and calls ``on_press()``."""
    from machine import Pin

    pin = Pin(pin_number, Pin.IN, Pin.PULL_UP)
    was_up = True
    while not prov.done:
        up = pin.value()
        if was_up and not up:  # pressed just now
            if not prov.accepting_sessions():
                log.info("Button pressed: provisioning open again")
                prov.unlock()
            if on_press is not None:
                on_press()
        was_up = up
        await asyncio.sleep(0.1)


def _ble_transport_class():
    """``wifiprov.ble.BleTransport``, or None (said on the console) where BLE cannot run."""
    try:
        from wifiprov.ble import BleTransport
    except ImportError as exc:  # ESP32-S2: no bluetooth module; or aioble not installed
        hint = " (install it: mpremote mip install aioble)" if "aioble" in str(exc) else ""
        log.warn("BLE not available: %s%s; provisioning over SoftAP instead" % (exc, hint))
        return None
    return BleTransport


def _improv_ble(prov, settings):
    """The Improv BLE service for the BLE transport to host, or None when Improv over BLE is off."""
    if not settings["improv_ble"]:
        return None
    from wifiprov.improv import device_info
    from wifiprov.improv_ble import ImprovBle

    return ImprovBle(prov, device_info(prov.service_name), settings["unlock_button_pin"] is not None,
                     settings["improv_redirect_url"], Logger("improv"))


def _improv_serial(prov, settings):
    """``[ImprovSerial]`` on the console, or ``[]`` when Improv over serial is off."""
    if not settings["improv_serial"]:
        return []
    from wifiprov.improv import device_info
    from wifiprov.improv_serial import ImprovSerial

    return [ImprovSerial(prov, device_info(prov.service_name), settings["improv_redirect_url"], Logger("improv"))]


def _ble_link(connected):
    log.info("BLE transport: Connected!" if connected else "BLE transport: Disconnected!")


async def provision(settings, wifi, store, endpoints=(), listener=None):
    """Run the provisioning service until it has ended (credentials worked, SoftAP or BLE off).

    ``endpoints``: ``(name, handler)`` pairs served beside the built-in ones; ``listener(event,
    data)`` hears the manager's events (``wifiprov.manager.EVENT_*``).
    """
    from wifiprov import manager

    log.info("Starting provisioning")
    transport = settings["transport"]
    ble_class = _ble_transport_class() if transport == "ble" or settings["improv_ble"] else None
    prov = manager.ProvisioningManager(settings, wifi, store, Logger("wifi_prov_mgr"))
    prov.add_listener(_event_logger(settings, manager))
    if listener is not None:
        prov.add_listener(listener)
    for name, handler in endpoints:
        prov.add_endpoint(name, handler)
    prov.prepare()
    servers = _improv_serial(prov, settings)
    guest = _improv_ble(prov, settings) if ble_class is not None else None
    espressif = None  # the transport Espressif clients get
    if ble_class is not None and (transport == "ble" or guest is not None):
        espressif = "ble" if transport == "ble" else None
        server = ble_class(prov.protocomm if espressif else None, prov.endpoint_names() if espressif else (),
                           prov.service_name, service_uuid=settings["ble_service_uuid"], keep_ble=settings["keep_ble"],
                           force_encryption=settings["ble_force_encryption"],
                           log=Logger("wifi_prov_scheme_ble"), on_link=_ble_link, guest=guest)
        servers.append(server)
    if transport == "softap" or (transport == "ble" and ble_class is None) or not servers:
        from wifiprov.softap import HttpTransport

        espressif = "softap"
        wifi.ap_start(prov.service_name, settings["softap_password"])
        address = network.WLAN(network.AP_IF).ifconfig()[0]
        servers.append(HttpTransport(prov.protocomm, address, settings["http_port"], log=Logger("protocomm_httpd").warn))
    for server in servers:
        await server.start()
    prov.start()
    if settings["unlock_button_pin"] is not None:
        asyncio.create_task(unlock_on_button(prov, settings["unlock_button_pin"], guest and guest.press))
    if espressif is not None:
        print_qr(settings, qr_payload(settings, prov.service_name, espressif))
    await prov.wait()
    for server in servers:
        await server.stop()


async def run(settings, endpoints=(), listener=None):
    """Join the stored network (returns False), or provision one first (True); ``settings`` as
    ``wifiprov.settings.load`` makes them. The manager and its endpoints are loaded only to provision."""
    import esp32

    from wifiprov.store import NvsStore
    from wifiprov.wifi import WifiAdapter

    wifi = WifiAdapter(network)
    store = NvsStore(esp32)
    stored = store.load()
    if stored is not None:
        log.info("Already provisioned, starting Wi-Fi STA")
        wifi.join(stored[0], stored[1])
        return False
    await provision(settings, wifi, store, endpoints, listener)
    return True
