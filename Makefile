# wifiprov — host-side tasks and board tasks. `make help` lists them.
PY       := .venv/bin/python
PYTEST   := .venv/bin/pytest
MPREMOTE := .venv/bin/mpremote
ESPTOOL  := .venv/bin/esptool
DEPLOY   := $(PY) scripts/deploy.py
NODE     ?= node
MP       := host_tests/mp_runner/run.mjs

# Board settings: make deploy PORT=/dev/ttyUSB0 [MPY=1] [CONFIG=file] [MIP=0] [FROZEN=1]
PORT        ?=
CONFIG      ?=
CHIP        ?= esp32
FLASH_BAUD  ?= 460800
FLASH_OFFSET ?= $(if $(filter esp32 esp32s2,$(CHIP)),0x1000,0x0)
MICROPYTHON ?= ../micropython
BOARD       ?= ESP32_GENERIC

# Under `make -n` the deploy script's lines still run (they start with +), in --dry-run
# mode: they print exactly the mpremote/mpy-cross commands a real run executes. (GNU make
# puts the one-letter flags first in MAKEFLAGS, without a dash: "n", "ns", "kn".)
DRY_RUN = $(if $(findstring n,$(filter-out -%,$(firstword $(MAKEFLAGS)))),--dry-run)

# A board target without PORT (or flash without FIRMWARE) stops here, with one line.
PORT_GOALS := $(filter deploy erase new-secret repl monitor hil flash,$(MAKECMDGOALS))
ifneq ($(PORT_GOALS),)
ifeq ($(strip $(PORT)),)
$(error make $(firstword $(PORT_GOALS)) needs the board's serial port: make $(firstword $(PORT_GOALS)) PORT=/dev/ttyUSB0)
endif
endif
ifneq ($(filter flash,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(FIRMWARE)),)
$(error make flash needs a MicroPython image: make flash PORT=$(PORT) FIRMWARE=ESP32_GENERIC-20250415-v1.25.0.bin (from micropython.org/download))
endif
endif

.PHONY: help setup demo test bench memory romfs gen mip mpy deploy erase new-secret repl monitor hil flash firmware

help:
	@echo "host (no board needed):"
	@echo "  make demo      set everything up, then run the demo on the virtual board (see README)"
	@echo "  make test      set up if needed, then run the whole host test-suite (pytest host_tests)"
	@echo "  make bench     handshake benchmark on the real MicroPython runtime (v1.27 and v1.23) and CPython"
	@echo "  make memory    memory benchmark: smallest heap per security level on the unix-port VMs, heap held after"
	@echo "  make romfs     build/wifiprov.romfs: the library for firmware with a ROMFS partition (code runs from flash)"
	@echo "  make gen       regenerate lib/wifiprov/pbmessages.py and the host *_pb2 from proto/"
	@echo "  make mip       regenerate the mip packages (package.json, package-softap.json) from lib/"
	@echo "  make mpy       compile lib/ to .mpy in build/mpy/ (MPY_COMPAT=1.22: build/mpy-1.22/; MPY_OUT=dir)"
	@echo "  make fuzz      longer fuzz campaign: FUZZ x the CI example budgets, fresh seeds (default FUZZ=20)"
	@echo "  make firmware  print how to build MicroPython with lib/ and aioble frozen in (needs ESP-IDF)"
	@echo "board (PORT=/dev/ttyUSB0, or the virtual board's pty):"
	@echo "  make flash PORT=... FIRMWARE=image.bin [CHIP=esp32]   erase the chip, write stock MicroPython"
	@echo "  make deploy PORT=... [MPY=1] [CONFIG=f.json] [MIP=0] [FROZEN=1]   copy lib/, boot.py, main.py, settings"
	@echo "  make erase PORT=...    forget the stored Wi-Fi credentials (nothing else), then reset"
	@echo "  make new-secret PORT=...  forget the per-device PoP / SRP password (\"random\"): a new one at the next boot"
	@echo "  make repl PORT=...     MicroPython REPL (Ctrl-C stops the app, Ctrl-D soft-resets, Ctrl-] quits)"
	@echo "  make monitor PORT=...  show the console, read-only"
	@echo "  make hil PORT=... [BLE_NAME=auto] [SOFTAP_HOST=192.168.4.1:80] [SSID=... PASSPHRASE=...]"
	@echo "                 the board tests (host_tests/board) against the real board"
	@echo "  make -n deploy PORT=...  shows the exact commands without touching the board"

setup: .venv/.installed host_tests/node_modules/.installed scripts/wifiprov_host/pb/__init__.py

.venv/.installed: requirements.txt
	@echo "== Python environment (.venv) from requirements.txt"
	@bash scripts/setup_system.sh
	python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

# npm's package.json lives in host_tests/ (the root one is mip's: `mpremote mip install`).
host_tests/node_modules/.installed: host_tests/package.json host_tests/package-lock.json
	@echo "== MicroPython WebAssembly runtimes from host_tests/package-lock.json"
	npm ci --prefix host_tests --no-audit --no-fund --loglevel=error
	@touch $@

scripts/wifiprov_host/pb/__init__.py: .venv/.installed $(wildcard proto/*.proto) scripts/gen_proto.py
	$(PY) scripts/gen_proto.py

gen: .venv/.installed
	$(PY) scripts/gen_proto.py

demo: setup
	$(PY) scripts/demo.py

test: setup
	$(PYTEST) host_tests

bench: setup
	@echo "== MicroPython v1.27 (WebAssembly)"
	$(NODE) $(MP) --mp new --script scripts/bench_handshakes.py
	@echo "== MicroPython v1.23 (WebAssembly)"
	$(NODE) $(MP) --mp old --script scripts/bench_handshakes.py
	@echo "== CPython"
	PYTHONPATH=scripts/devsim:lib $(PY) scripts/bench_handshakes.py

memory: setup
	$(PY) scripts/memory/bench.py

romfs: .venv/.installed
	+$(DEPLOY) romfs $(DRY_RUN)

mip: .venv/.installed
	$(PY) scripts/gen_mip.py

mpy: .venv/.installed
	+$(DEPLOY) mpy $(strip $(if $(MPY_COMPAT),--compat $(MPY_COMPAT)) $(if $(MPY_OUT),--out $(MPY_OUT)) $(DRY_RUN))

DEPLOY_ARGS = $(strip --port $(PORT) $(if $(filter 1,$(MPY)),--mpy) $(if $(CONFIG),--config $(CONFIG)) \
	$(if $(filter 0,$(MIP)),--no-mip) $(if $(filter 1,$(FROZEN)),--frozen) $(DRY_RUN))

deploy: .venv/.installed
	+$(DEPLOY) deploy $(DEPLOY_ARGS)

erase: .venv/.installed
	+$(DEPLOY) erase $(strip --port $(PORT) $(DRY_RUN))

new-secret: .venv/.installed
	+$(DEPLOY) new-secret $(strip --port $(PORT) $(DRY_RUN))

repl: .venv/.installed
	@echo "== REPL on $(PORT): Ctrl-C stops the application, Ctrl-D soft-resets (it boots again), Ctrl-] quits"
	$(MPREMOTE) connect $(PORT) repl

monitor: .venv/.installed
	$(DEPLOY) monitor --port $(PORT)

hil: .venv/.installed scripts/wifiprov_host/pb/__init__.py
	@echo "== the board tests against the board on $(PORT) (firmware/README_HIL.md)"
	$(PYTEST) host_tests/board $(strip --port $(PORT) $(if $(BLE_NAME),--ble-name $(BLE_NAME)) \
		$(if $(SOFTAP_HOST),--softap-host $(SOFTAP_HOST)) $(if $(SSID),--wifi-ssid "$(SSID)") \
		$(if $(PASSPHRASE),--wifi-passphrase "$(PASSPHRASE)"))

flash: .venv/.installed
	@echo "== erase all of $(CHIP) on $(PORT): firmware, file system and NVS (stored credentials)"
	$(ESPTOOL) --chip $(CHIP) --port $(PORT) erase-flash
	@echo "== write $(FIRMWARE) at $(FLASH_OFFSET)"
	$(ESPTOOL) --chip $(CHIP) --port $(PORT) --baud $(FLASH_BAUD) write-flash $(FLASH_OFFSET) $(FIRMWARE)

firmware:
	@echo "== firmware: MicroPython with lib/ (wifiprov) and aioble frozen in, from firmware/manifest.py"
	@echo "It is not built here: that needs Espressif's ESP-IDF toolchain (the version named in MicroPython's"
	@echo "ports/esp32/README.md) and a MicroPython checkout, which this project does not fetch or build."
	@echo "On a machine with ESP-IDF installed (firmware/README.md):"
	@echo
	@echo "  git clone --depth 1 --branch v1.27.0 https://github.com/micropython/micropython.git $(MICROPYTHON)"
	@echo "  . \$$IDF_PATH/export.sh"
	@echo "  make -C $(MICROPYTHON)/mpy-cross"
	@echo "  make -C $(MICROPYTHON)/ports/esp32 BOARD=$(BOARD) submodules"
	@echo "  make -C $(MICROPYTHON)/ports/esp32 BOARD=$(BOARD) FROZEN_MANIFEST=$(abspath firmware/manifest.py)"
	@echo
	@echo "Then put it on the board (the image is build-$(BOARD)/firmware.bin) and add the entry points:"
	@echo "  make flash PORT=/dev/ttyUSB0 FIRMWARE=$(MICROPYTHON)/ports/esp32/build-$(BOARD)/firmware.bin"
	@echo "  make deploy PORT=/dev/ttyUSB0 FROZEN=1"

# Hardening: the fuzz properties with FUZZ x their CI example budgets and fresh random seeds
# (the CI run, inside `make test`, is seeded and small). The end of the output lists the
# examples each property ran; WIFIPROV_FUZZ_REPORT=file.json also writes them to a file.
FUZZ ?= 20
.PHONY: fuzz
fuzz: setup
	WIFIPROV_FUZZ=$(FUZZ) $(PYTEST) -p no:cacheprovider host_tests/hardening/test_fuzz_codec.py \
		host_tests/hardening/test_fuzz_protocomm.py host_tests/hardening/test_fuzz_http.py \
		host_tests/hardening/test_fuzz_micropython.py host_tests/hardening/test_faults_device.py \
		host_tests/hardening/test_ble_hostile.py
