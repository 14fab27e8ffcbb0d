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

# The device library, as the frozen package "wifiprov". wifiprov/sha512_viper.py is viper
# code: the port freezes it as machine code for its own architecture, so a build for a chip
# whose MicroPython has no native emitter (ESP32-C3 before v1.24) must leave that file out;
# wifiprov.sha512 then runs in pure Python.
package("wifiprov", base_path="../lib")
