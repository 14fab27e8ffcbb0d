# wifiprov — host-side tasks. `make help` lists them.
PY      := .venv/bin/python
PYTEST  := .venv/bin/pytest
NODE    ?= node
MP      := host_tests/mp_runner/run.mjs

.PHONY: help setup demo test bench gen

help:
	@echo "make demo    set everything up, then run the demo (see README)"
	@echo "make test    set up if needed, then run the whole host test-suite"
	@echo "make bench   handshake benchmark on the real MicroPython runtime (v1.27 and v1.23) and CPython"
	@echo "make gen     regenerate lib/wifiprov/pbmessages.py and the host *_pb2 from proto/"

setup: .venv/.installed node_modules/.installed scripts/wifiprov_host/pb/__init__.py

.venv/.installed: requirements.txt
	@echo "== Python environment (.venv) from requirements.txt"
	@bash scripts/setup_system.sh
	python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "== MicroPython WebAssembly runtimes from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
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
