"""Runs the device tests on MicroPython's unix port (PyPI ``micropython``, or the 32-bit build).

    micropython -X heapsize=16m host_tests/mp_runner/unix_run.py [--filter SUBSTR] [--tests-dir D] [test_module ...]

As run.mjs does for the WebAssembly port, with the same output (driver.py): every library
module imported once (without a filter or module names), then one line a test, then
exactly "N passed, N failed[, N skipped]"; exit status 0 only if nothing failed and a test
passed, 2 for usage errors. sys.path is [this folder's unix/ (our unittest), '.frozen',
lib/, the tests]. The port's own cryptolib, sockets and asyncio are used; the simulator
module the device-test fakes share with the virtual board (scripts/devsim/wlan_station.py)
is imported before that path is set, so devsim's CPython stand-ins (cryptolib) stay hidden.
"""

import os
import sys

HERE = (__file__ if __file__.startswith("/") else os.getcwd() + "/" + __file__).rsplit("/", 1)[0]
ROOT = HERE.rsplit("/", 2)[0]


def _usage(message):
    print("unix_run.py: " + message)
    print("usage: micropython unix_run.py [--filter SUBSTR] [--tests-dir D] [test_module ...]")
    sys.exit(2)


def _arguments(argv):
    tests_dir, flt, modules = ROOT + "/host_tests/device", "", []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--filter", "--tests-dir"):
            if i + 1 == len(argv):
                _usage(arg + " needs a value")
            if arg == "--filter":
                flt = argv[i + 1]
            else:
                tests_dir = argv[i + 1]
            i += 2
            continue
        if arg.startswith("-"):
            _usage("unknown option " + arg)
        modules.append(arg.rsplit("/", 1)[-1].split(".py")[0])
        i += 1
    return tests_dir, flt, modules


def _library_modules(folder, package=""):
    """Dotted names of the .py modules under ``folder`` (lib/), sorted."""
    names = []
    for entry in os.ilistdir(folder):
        name, kind = entry[0], entry[1]
        if name.startswith(".") or name == "__pycache__":
            continue
        if kind == 0x4000:
            names += _library_modules(folder + "/" + name, package + name + ".")
        elif name == "__init__.py":
            names.append(package[:-1])
        elif name.endswith(".py"):
            names.append(package + name[:-3])
    return sorted(names)


def main():
    tests_dir, flt, modules = _arguments(sys.argv[1:])
    available = sorted(n[:-3] for n in os.listdir(tests_dir) if n.startswith("test_") and n.endswith(".py"))
    unknown = [name for name in modules if name not in available]
    if unknown:
        _usage("no such test module in %s: %s" % (tests_dir, ", ".join(unknown)))
    sys.path[:] = [ROOT + "/scripts/devsim", HERE, HERE + "/unix"]
    import wlan_station  # noqa: F401 - cached for the fakes, before devsim leaves the path

    import driver

    sys.path[:] = [HERE + "/unix", ".frozen", ROOT + "/lib", tests_dir]
    bits = 64 if sys.maxsize > 0x7FFFFFFF else 32
    print("# %s (unix port, %d-bit), library from .py, %d test modules"
          % (sys.version.split("; ", 1)[-1], bits, len(modules or available)))
    if not modules and not flt:
        driver._wp_import_lib(_library_modules(ROOT + "/lib"), False, [])  # the unix port compiles native code
    for name in modules or available:
        driver._wp_run_module(name, flt)
    passed, failed, skipped = [int(n) for n in driver._wp_summary().split()]
    print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    sys.exit(0 if failed == 0 and passed > 0 else 1)


main()
