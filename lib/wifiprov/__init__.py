"""wifiprov: ESP-IDF compatible Wi-Fi provisioning for MicroPython."""

__version__ = "0.1.0"
