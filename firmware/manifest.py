# MicroPython firmware with wifiprov built in: lib/ and the aioble parts it needs, frozen.
# Build with (see firmware/README.md):
#   make -C <micropython>/ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=<absolute path of this file>
# Paths here are relative to this file's folder.

# Everything the port freezes by default (asyncio, the networking bundle, ...).
include("$(PORT_DIR)/boards/manifest.py")

# The BLE transport is a GATT peripheral (PLATFORM.md §A6). Pairing code would also need
# require("aioble-security"); scripts/deploy.py decides the same for `make deploy`.
require("aioble-core")
require("aioble-peripheral")
require("aioble-server")

# The device library, as the frozen package "wifiprov".
package("wifiprov", base_path="../lib")
