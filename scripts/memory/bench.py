#!/usr/bin/env python3
"""The memory benchmark (``make memory``): how small a heap provisioning needs on real MicroPython, and what
it leaves behind.

For each VM — the 32-bit unix port beside the repository (``../shared/tools/micropython-i386``,
ESP32-sized objects) when it is there, and the 64-bit one from PyPI always — it measures:

* the smallest heap (``-X heapsize``, bisected in 4 KB steps, every probe repeated) in which
  the virtual board (``scripts/vboard.py --runtime micropython``, the example main.py and the
  library deployed to its file system) does a full SoftAP provisioning driven by the host CLI:
  scan, custom data, SetConfig/ApplyConfig, status, then the application running; per
  security level, from ``.py`` and (32-bit VM) from ``.mpy`` and from a ROMFS image (the
  bytecode in flash, as ROMFS or frozen firmware runs it; the image is not counted). "Board
  heap" is that minus the heap the simulated hardware keeps (a board has it in C);
* the heap held after provisioning while the application runs, and how much of it is the
  interned-name pool (which MicroPython never frees);
* the allocation of each handshake message and the security-2 critical path in units at the
  smallest security-2 heap (``probe_handshake.py``);
* the heap each module keeps (``probe_modules.py``);
* with ``--improv``, the same security-1 run with Improv Wi-Fi listening on the console
  (``improv_serial``): what Improv adds (off, the default, it loads nothing).

Prints a table per VM and writes everything to ``build/memory.json``.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEVSIM = os.path.join(ROOT, "scripts", "devsim")
VBOARD = os.path.join(ROOT, "scripts", "vboard.py")
PROV = os.path.join(ROOT, "scripts", "prov.py")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import vboard_mp  # noqa: E402 - where the VMs are

I386 = vboard_mp.I386_VM
VECTORS = os.path.join(ROOT, "host_tests", "vectors")
OUT = os.path.join(ROOT, "build", "memory.json")

STEP = 4096
HOME_SSID, HOME_PASSPHRASE = "MyHomeWiFiAP", "correct-horse-9"
WORLD = {"mac": "24:0a:c4:26:1f:cc", "ip": "192.168.1.42", "ap_ip": "127.0.0.1", "scan_ms": 150, "connect_ms": 300,
         "no_ap_ms": 400,
         "aps": [{"ssid": HOME_SSID, "bssid": "788a20841996", "channel": 1, "rssi": -45, "auth": "WPA2_PSK",
                  "password": HOME_PASSPHRASE},
                 {"ssid": "MobileHotspot", "bssid": "7a8a20841996", "channel": 11, "rssi": -46, "auth": "WPA2_PSK",
                  "password": "hotspot-pass"},
                 {"ssid": "InsecureWiFiAP", "bssid": "dca4caf1227c", "channel": 7, "rssi": -74, "auth": "OPEN"}]}
CREDENTIALS = {0: ["--sec_ver", "0"], 1: ["--sec_ver", "1", "--pop", "abcd1234"],
               2: ["--sec_ver", "2", "--sec2_username", "wifiprov", "--sec2_pwd", "abcd1234"]}
MEMORY_FAILURE = re.compile(r"MemoryError|out of memory")
QSTR_TOTAL = re.compile(r"n_total_bytes=(\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kib(n):
    return "%.1f" % (n / 1024.0)


class Flash:
    """A board file system: the library as source, as .mpy, or in a ROMFS image beside it (``variant``);
    boot.py, main.py (or the watcher), the settings."""

    def __init__(self, work, variant):
        self.path = tempfile.mkdtemp(prefix="flash-%s-" % variant, dir=work)  # one per VM: both have "py"
        self.romfs = None
        deploy = [sys.executable, os.path.join(ROOT, "scripts", "deploy.py")]
        if variant == "mpy":
            build = tempfile.mkdtemp(prefix="mpy-", dir=work)
            subprocess.run(deploy + ["mpy", "--out", build], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            shutil.copytree(os.path.join(build, "lib"), os.path.join(self.path, "lib"))
        elif variant == "romfs":
            self.romfs = os.path.join(work, "wifiprov.romfs")
            subprocess.run(deploy + ["romfs", "--out", self.romfs], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        else:
            shutil.copytree(os.path.join(ROOT, "lib"), os.path.join(self.path, "lib"),
                            ignore=shutil.ignore_patterns("__pycache__", "*.mpy"))
        shutil.copy(os.path.join(ROOT, "boot.py"), self.path)
        self.example()

    def example(self):
        """The example application as the board's main.py."""
        shutil.copy(os.path.join(ROOT, "main.py"), os.path.join(self.path, "main.py"))
        self._drop("app.py")

    def watched(self):
        """The example as app.py under the watcher that measures what provisioning leaves behind."""
        shutil.copy(os.path.join(ROOT, "main.py"), os.path.join(self.path, "app.py"))
        shutil.copy(os.path.join(HERE, "watch_main.py"), os.path.join(self.path, "main.py"))

    def settings(self, level, port, improv=False):
        with open(os.path.join(self.path, "wifiprov.json"), "w") as f:
            json.dump({"transport": "softap", "security": level, "http_port": port, "improv_serial": improv}, f)

    def _drop(self, name):
        try:
            os.remove(os.path.join(self.path, name))
        except OSError:
            pass


class Run:
    """One boot of the virtual board at a heap size, provisioned by the host CLI."""

    def __init__(self, vm, heap, flash, level, work, improv=False):
        self.port = free_port()
        flash.settings(level, self.port, improv)
        state = tempfile.mkdtemp(dir=work)
        world = os.path.join(state, "world.json")
        with open(world, "w") as f:
            json.dump(WORLD, f)
        self.console_path = os.path.join(state, "console.txt")
        self._console = open(self.console_path, "wb")
        romfs = ["--romfs", flash.romfs] if flash.romfs else []  # the image on top of the heap, as flash
        self.process = subprocess.Popen(
            [sys.executable, VBOARD, "--runtime", "micropython", "--vm", vm, "--heap", str(heap), "--flash",
             flash.path, "--state", os.path.join(state, "state"), "--reset-state", "--world", world] + romfs,
            cwd=ROOT, stdout=self._console, stderr=subprocess.DEVNULL, start_new_session=True)
        self.level = level

    def console(self):
        with open(self.console_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.console()
            if re.search(pattern, text):
                return True
            if MEMORY_FAILURE.search(text) or ">>> " in text or self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def provision(self):
        """True if the board started, was provisioned by the CLI and runs the application, never out of memory."""
        if not self.wait_for(r"qrcode\.html\?data=", 30):
            return False
        cli = subprocess.run(
            [sys.executable, PROV, "--transport", "softap", "--service_name", "127.0.0.1:%d" % self.port]
            + CREDENTIALS[self.level] + ["--ssid", HOME_SSID, "--scan", "--passphrase", HOME_PASSPHRASE,
                                         "--custom_data", "hello board", "--poll-interval", "0.3", "--timeout", "60"],
            cwd=ROOT, capture_output=True, text=True, timeout=180)
        return cli.returncode == 0 and self.wait_for(r"app: Hello World!", 15) and \
            not MEMORY_FAILURE.search(self.console())

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self._console.close()


def provisions(vm, heap, flash, level, work, repeat, improv=False):
    """True if every one of ``repeat`` boots at ``heap`` provisions."""
    for _ in range(repeat):
        run = Run(vm, heap, flash, level, work, improv)
        try:
            if not run.provision():
                return False
        finally:
            run.close()
    return True


def smallest_heap(vm, flash, level, work, repeat, low=16 * 1024, high=768 * 1024, improv=False):
    """The smallest heap (a multiple of 4 KB) in which provisioning works ``repeat`` times out of ``repeat``."""
    if not provisions(vm, high, flash, level, work, repeat, improv):
        raise SystemExit("security %d does not provision even with a %d KB heap on %s" % (level, high // 1024, vm))
    while high - low > STEP:
        middle = (low + high) // 2 // STEP * STEP
        if provisions(vm, middle, flash, level, work, repeat, improv):
            high = middle
        else:
            low = middle
    return high


def held_after(vm, flash, level, work, heap, improv=False):
    """(held bytes, of which the interned-name pool grew) while the application runs after provisioning."""
    flash.watched()
    run = Run(vm, heap, flash, level, work, improv)
    try:
        if not run.provision() or not run.wait_for(r"memory: after \d+[\s\S]*n_total_bytes", 15):
            raise SystemExit("the held-heap run did not finish; console:\n" + run.console())
        text = run.console()
    finally:
        run.close()
        flash.example()
    before = int(re.search(r"memory: before (\d+)", text).group(1))
    after = int(re.search(r"memory: after (\d+)", text).group(1))
    qstrs = [int(n) for n in QSTR_TOTAL.findall(text)]
    return after - before, qstrs[-1] - qstrs[0]


def vm_output(vm, args, heap, path, timeout=600):
    env = dict(os.environ, MICROPYPATH=".frozen:" + path)
    proc = subprocess.run([vm, "-X", "heapsize=%d" % heap] + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit("%s %s failed:\n%s%s" % (os.path.basename(vm), " ".join(args), proc.stdout, proc.stderr))
    return proc.stdout


def fakes_heap(vm):
    """The heap the simulated hardware (network, esp32, machine) keeps on ``vm``."""
    out = vm_output(vm, [os.path.join(HERE, "probe_fakes.py"), DEVSIM], 256 * 1024, "")
    return int(re.search(r"fakes (\d+)", out).group(1))


def handshake_case(level):
    """The hex strings ``probe_handshake.py`` needs for ``level`` (the VM cannot afford the whole vector file)."""
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    sys.path.insert(0, DEVSIM)
    from wifiprov import config

    with open(os.path.join(VECTORS, "sec2.json")) as f:
        sec2 = json.load(f)
    unit = {"unit_b": sec2["cases"][0]["b_hex"], "unit_n": sec2["group"]["N_hex"],
            "table_width": config.defaults()["sec2_table_width"]}
    if level == 1:
        with open(os.path.join(VECTORS, "sec1.json")) as f:
            case = json.load(f)["cases"][1]
        randoms = [case["device_private_key_hex"], case["device_random_hex"]]
    else:
        case = [c for c in sec2["cases"] if c["name"] == "patch1_example_dev_credentials"][0]
        randoms = [case["b_hex"], case["device_nonce_hex"][:16]]
        unit.update(salt=case["salt_hex"], verifier=case["verifier_hex"])
    unit.update(steps=[step["hex"] for step in case["handshake"]], randoms=randoms)
    return unit


def handshake(vm, level, lib, heap, work, mode):
    path = os.path.join(work, "case%d.json" % level)
    with open(path, "w") as f:
        json.dump(handshake_case(level), f)
    out = vm_output(vm, [os.path.join(HERE, "probe_handshake.py"), DEVSIM, path, str(level), mode], heap, lib)
    return dict((m.group(1), float(m.group(2))) for m in re.finditer(r"^(\w+(?: \w+)?) ([\d.]+)$", out, re.M))


def modules(vm, lib):
    """{module: (bytes of code and objects, names interned, bytes of their text)} as each module is imported.

    The interned-name pool grows in chunks, so a module's heap growth is split: the code and
    objects it made (growth minus the pool's), and the names it added to the pool.
    """
    out = vm_output(vm, [os.path.join(HERE, "probe_modules.py"), DEVSIM], 1024 * 1024, lib)
    rows = re.findall(r"^module (\S+) (\d+)\nqstr pool: n_pool=\d+, n_qstr=(\d+), n_str_data_bytes=(\d+), "
                      r"n_total_bytes=(\d+)$", out, re.M)
    found = {}
    previous = None
    for name, size, count, text, total in rows:
        now = (int(count), int(text), int(total))
        if previous is not None:
            found[name] = (int(size) - (now[2] - previous[2]), now[0] - previous[0], now[1] - previous[1])
        previous = now
    return found


def bench_vm(name, vm, variants, levels, repeat, work, improv=False):
    report = {"vm": vm, "fakes": fakes_heap(vm), "variants": {}}
    for variant in variants:
        flash = Flash(work, variant)
        lib = os.path.join(flash.path, "lib")
        result = report["variants"][variant] = {"levels": {}}
        for level in levels:
            print("== %s, %s, security %d: bisecting the heap" % (name, variant, level), flush=True)
            heap = smallest_heap(vm, flash, level, work, repeat)
            held, qstrs = held_after(vm, flash, level, work, heap + 8 * STEP)
            result["levels"][level] = {"heap": heap, "board_heap": heap - report["fakes"], "held": held,
                                       "held_names": qstrs}
            if level and variant != "romfs":
                result["levels"][level]["alloc"] = handshake(vm, level, lib, 4 * 1024 * 1024, work, "alloc")
        if improv:
            print("== %s, %s, security 1 with improv_serial: bisecting the heap" % (name, variant), flush=True)
            heap = smallest_heap(vm, flash, 1, work, repeat, improv=True)
            held, qstrs = held_after(vm, flash, 1, work, heap + 8 * STEP, improv=True)
            result["improv_serial"] = {"heap": heap, "board_heap": heap - report["fakes"], "held": held,
                                       "held_names": qstrs}
        if variant == "romfs":
            continue  # the probes below load the library from files
        if 2 in levels:
            heap = result["levels"][2]["heap"]
            result["sec2_time"] = handshake(vm, 2, lib, heap, work, "time")
        result["modules"] = modules(vm, lib)
    return report


def print_report(name, report, targets):
    print("\n## %s (%s)\n" % (name, report["vm"]))
    print("Simulated hardware keeps %s KB; board heap = smallest heap minus that.\n" % kib(report["fakes"]))
    print("| lib | security | smallest heap | board heap (target) | held after provisioning (interned names) "
          "| Cmd0 / Cmd1 allocation |")
    print("| --- | --- | --- | --- | --- | --- |")
    for variant, result in report["variants"].items():
        for level, row in sorted(result["levels"].items()):
            alloc = row.get("alloc")
            print("| .%s | %d | %s KB | %s KB (%d KB) | %s KB (%s KB) | %s |" % (
                variant, level, kib(row["heap"]), kib(row["board_heap"]), targets[level], kib(row["held"]),
                kib(row["held_names"]),
                "%s / %s KB" % (kib(alloc["alloc Cmd0"]), kib(alloc["alloc Cmd1"])) if alloc else "-"))
    for variant, result in report["variants"].items():
        if "improv_serial" in result:
            row = result["improv_serial"]
            print("| .%s | 1 + improv_serial | %s KB | %s KB | %s KB (%s KB) | - |" % (
                variant, kib(row["heap"]), kib(row["board_heap"]), kib(row["held"]), kib(row["held_names"])))
    for variant, result in report["variants"].items():
        if "sec2_time" in result:
            timing = result["sec2_time"]
            print("\n.%s: security-2 critical path at the smallest security-2 heap: %.2f units (unit %.0f ms)"
                  % (variant, timing["critical"], timing["unit"] / 1000.0))
    for variant, result in report["variants"].items():
        if "modules" not in result:
            continue
        print("\nHeap kept per module, .%s (leaf first):\n" % variant)
        print("| module | code and objects (B) | names interned | their text (B) |")
        print("| --- | --- | --- | --- |")
        for module, (size, count, text) in result["modules"].items():
            print("| %s | %d | %d | %d |" % (module, size, count, text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="0,1,2", help="security levels (default 0,1,2)")
    parser.add_argument("--repeat", type=int, default=2, help="boots per heap probe, all must provision (default 2)")
    parser.add_argument("--variants", default="py,mpy,romfs",
                        help="how the library is deployed on the 32-bit VM: py, mpy, romfs (default all three; "
                        "the 64-bit VM: py)")
    parser.add_argument("--improv", action="store_true",
                        help="also security 1 with Improv Wi-Fi listening on the console (improv_serial)")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    vms = []
    if os.path.exists(I386):
        vms.append(("32-bit unix port", I386, args.variants.split(",")))
    else:
        print("32-bit VM not found at %s (a clone without ../shared): the 64-bit one only" % I386)
    pypi_vm = vboard_mp.default_vm()
    if pypi_vm:
        vms.append(("64-bit unix port (PyPI)", pypi_vm, ["py"]))
    else:
        print("no micropython command (pip install -r requirements.txt): the 32-bit VM only")
    targets = {0: 64, 1: 80, 2: 112}
    reports = {}
    work = tempfile.mkdtemp(prefix="wifiprov-memory-")
    try:
        for name, vm, variants in vms:
            reports[name] = bench_vm(name, vm, variants, levels, args.repeat, tempfile.mkdtemp(dir=work),
                                     args.improv)
            print_report(name, reports[name], targets)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(reports, f, indent=1)
    print("\nwritten to %s" % os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
