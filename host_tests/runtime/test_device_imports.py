"""Device code imports only what stock ESP32 MicroPython firmware has (plus aioble via mip).

The WebAssembly runtime freezes modules the board lacks (abc, hmac, logging, ...), so
the MicroPython-runtime suite alone would not catch such an import.
"""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Built into ESP32/S2/C3 firmware v1.22+ (frozen asyncio included), or installed by `make deploy`.
BOARD_MODULES = {
    "aioble", "array", "asyncio", "binascii", "bluetooth", "collections", "cryptolib", "errno",
    "esp32", "gc", "hashlib", "io", "json", "machine", "micropython", "network", "os", "random",
    "re", "select", "socket", "struct", "sys", "time",
}


def device_files():
    for base, _, files in os.walk(os.path.join(ROOT, "lib")):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(base, name)
    for name in ("boot.py", "main.py"):
        if os.path.exists(os.path.join(ROOT, name)):
            yield os.path.join(ROOT, name)


def imported_modules(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_device_code_imports_only_board_modules():
    bad = []
    for path in device_files():
        for line, module in imported_modules(path):
            if module != "wifiprov" and module not in BOARD_MODULES:
                bad.append("%s:%d imports %s" % (os.path.relpath(path, ROOT), line, module))
    assert not bad, "modules the board does not have:\n" + "\n".join(bad)


def test_the_check_sees_every_device_file():
    names = {os.path.relpath(p, ROOT) for p in device_files()}
    assert "lib/wifiprov/protocomm.py" in names and len(names) > 20
