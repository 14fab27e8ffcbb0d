"""Example application (ESP-IDF's wifi_prov_mgr example on MicroPython): provision Wi-Fi, then work.

Settings come from /wifiprov.json (see wifiprov/config.py). With stored credentials the
board joins that network straight away; otherwise it starts the provisioning service
(SoftAP + HTTP, security 0/1/2), prints the QR payload and URL, serves the ``custom-data``
endpoint, and once connected prints ``Hello World!`` every second.
"""

import asyncio
import gc

import esp32
import network

from wifiprov import config, manager, pbmessages
from wifiprov.log import Logger, printable
from wifiprov.softap import HttpTransport
from wifiprov.store import NvsStore
from wifiprov.wifi import WifiAdapter

QR_VERSION = "v1"
QR_BASE_URL = "https://espressif.github.io/esp-jumpstart/qrcode.html"
CUSTOM_ENDPOINT = "custom-data"

log = Logger("app")


def _json_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def qr_payload(settings, name, transport):
    """The provisioning QR payload, as the seed example writes it (no spaces).

    Security 1 carries the PoP; security 2 the username and, in dev mode only (the
    password is in the settings), the password as ``pop``.
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
    log.info("If QR code is not visible, copy paste the below URL in a browser.\n%s?data=%s" % (QR_BASE_URL, payload))


def custom_data(session_id, data):
    """The example's ``custom-data`` endpoint: log the text, answer ``SUCCESS`` with its NUL."""
    log.info("Received data: " + printable(data))
    return b"SUCCESS\x00"


def _event_logger(settings):
    failure_text = {
        pbmessages.AuthError: "Wi-Fi station authentication failed",
        pbmessages.NetworkNotFound: "Wi-Fi access-point not found",
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


async def unlock_on_button(prov, pin_number):
    """Poll the button (pulled up, low while pressed) until provisioning ends; a press reopens
    provisioning that failed sessions closed (or cuts a back-off short)."""
    from machine import Pin

    pin = Pin(pin_number, Pin.IN, Pin.PULL_UP)
    was_up = True
    while not prov.done:
        up = pin.value()
        if was_up and not up and not prov.accepting_sessions():  # pressed just now
            log.info("Button pressed: provisioning open again")
            prov.unlock()
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


def _ble_link(connected):
    log.info("BLE transport: Connected!" if connected else "BLE transport: Disconnected!")


async def provision(settings, wifi, store):
    """Run the provisioning service until it has ended (credentials worked, SoftAP or BLE off)."""
    log.info("Starting provisioning")
    public = config.public_secret(settings)
    if public is not None:
        log.warn('security %d with the example\'s public secret: anyone who has read the example can provision '
                 'this board; set "%s" in /wifiprov.json ("random" makes one per device)' % (settings["security"], public))
    ble_class = _ble_transport_class() if settings["transport"] == "ble" else None
    prov = manager.ProvisioningManager(settings, wifi, store, Logger("wifi_prov_mgr"))
    prov.add_listener(_event_logger(settings))
    prov.add_endpoint(CUSTOM_ENDPOINT, custom_data)
    prov.prepare()
    if ble_class is not None:
        server = ble_class(prov.protocomm, prov.endpoint_names(), prov.service_name,
                           service_uuid=settings["ble_service_uuid"], keep_ble=settings["keep_ble"],
                           force_encryption=settings["ble_force_encryption"],
                           log=Logger("wifi_prov_scheme_ble"), on_link=_ble_link)
    else:
        wifi.ap_start(prov.service_name, settings["softap_password"])
        address = network.WLAN(network.AP_IF).ifconfig()[0]
        server = HttpTransport(prov.protocomm, address, settings["http_port"], log=Logger("protocomm_httpd").warn)
    await server.start()
    prov.start()
    if settings["unlock_button_pin"] is not None:
        asyncio.create_task(unlock_on_button(prov, settings["unlock_button_pin"]))
    print_qr(settings, qr_payload(settings, prov.service_name, "ble" if ble_class else "softap"))
    await prov.wait()
    await server.stop()


async def work(wifi, connected):
    """The application proper: once online, say hello every second and report link changes."""
    if not connected:
        while not wifi.isconnected():
            await asyncio.sleep(0.1)
        log.info("Connected with IP Address:" + wifi.ip())
        connected = True
    while True:
        log.info("Hello World!")
        await asyncio.sleep(1)
        now = wifi.isconnected()
        if connected and not now:
            log.info("Disconnected. Connecting to the AP again...")
        elif now and not connected:
            log.info("Connected with IP Address:" + wifi.ip())
        connected = now


async def main():
    """Boot: join the stored network, or provision one first; then run the application."""
    try:
        settings = config.load(config.DEFAULT_PATH, log.info, log.error)
    except ValueError as exc:  # a bad security setting: no provisioning with weaker settings than asked
        log.error("%s: provisioning not started" % (exc,))
        return
    if config.RANDOM_SECRET in (settings["pop"], settings["sec2_password"]):
        from wifiprov import device_secret

        device_secret.resolve(settings, esp32, log.info)
    wifi = WifiAdapter(network)
    store = NvsStore(esp32)
    stored = store.load()
    if stored is None:
        await provision(settings, wifi, store)
        gc.collect()
        await work(wifi, True)
    else:
        log.info("Already provisioned, starting Wi-Fi STA")
        wifi.join(stored[0], stored[1])
        del stored
        await work(wifi, False)


if __name__ == "__main__":
    asyncio.run(main())
