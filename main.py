"""Example application (ESP-IDF's wifi_prov_mgr example on MicroPython): provision Wi-Fi, then work.

``wifiprov.provision()`` reads /wifiprov.json (see wifiprov/config.py): with stored credentials
the board joins that network straight away; otherwise it starts the provisioning service (BLE,
or SoftAP + HTTP; security 0/1/2), prints the QR payload and URL, and serves this example's
``custom-data`` endpoint. It returns with its memory released; once connected the
application prints ``Hello World!`` every second.
"""

import asyncio
import time

import network


def log(text):
    """A console line in ESP-IDF's format, tagged ``app``."""
    print("I (%d) app: %s" % (time.ticks_ms(), text))


def custom_data(session_id, data):
    """The example's ``custom-data`` endpoint: log the text, answer ``SUCCESS`` with its NUL."""
    from wifiprov.log import printable  # client text: escaped, so it cannot forge console lines

    log("Received data: " + printable(data))
    return b"SUCCESS\x00"


async def work(announced):
    """The application proper: once online, say hello every second and report link changes.

    ``announced``: provisioning has already said which address the board got.
    """
    station = network.WLAN(network.STA_IF)
    while not station.isconnected():
        await asyncio.sleep(0.1)
    if not announced:
        log("Connected with IP Address:" + station.ifconfig()[0])
    connected = True
    while True:
        log("Hello World!")
        await asyncio.sleep(1)
        now = station.isconnected()
        if connected and not now:
            log("Disconnected. Connecting to the AP again...")
        elif now and not connected:
            log("Connected with IP Address:" + station.ifconfig()[0])
        connected = now


async def main():
    """Boot: join the stored network, or provision one first; then run the application."""
    import wifiprov

    provisioned = await wifiprov.provision(endpoints=[("custom-data", custom_data)])
    del wifiprov
    if provisioned is not None:
        await work(provisioned)


if __name__ == "__main__":
    asyncio.run(main())
