"""The device-test runner's Python side, on MicroPython: runs test modules the way unittest would, one line a test.

The WebAssembly runner (run.mjs) executes this file in ``__main__``; the unix-port runner
(unix_run.py) imports it. Its own names start with ``_wp_``. A test prints one line,
"name (module.Class) ... ok|FAIL|ERROR|skipped: why", and a traceback after FAIL/ERROR.
"""

import sys
import io
import os
import time
import unittest

try:
    from _hostio import flush as _wp_flush  # WebAssembly: Node shows a partial line only when told to
except ImportError:  # the unix port writes straight to its stdout

    def _wp_flush():
        pass


_WP_OWN_FRAMES = ('"<stdin>"', '"%s"' % globals().get("__file__", "<stdin>"))  # run.mjs runs this as <stdin>


def _wp_port_modules(names):
    """Return the names from names that the port itself provides (builtin or frozen)."""
    saved = list(sys.path)
    sys.path.clear()
    sys.path.append(".frozen")
    found = []
    try:
        for name in names:
            try:
                __import__(name)
                found.append(name)
            except ImportError:
                pass
    finally:
        sys.path.clear()
        sys.path.extend(saved)
    return found


_wp_counts = [0, 0, 0]  # passed, failed, skipped
_wp_times = []  # (ms, test id)


def _wp_traceback(exc):
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    # Drop the runner's own frames.
    return "".join(line + "\n" for line in buf.getvalue().split("\n")
                   if line and not any(frame in line for frame in _WP_OWN_FRAMES))


def _wp_classify(exc):
    if isinstance(exc, unittest.SkipTest):
        return "skipped", exc.args[0] if exc.args else ""
    if isinstance(exc, AssertionError):
        return "FAIL", _wp_traceback(exc)
    return "ERROR", _wp_traceback(exc)


def _wp_report(status, detail, counts=_wp_counts):
    if status == "ok":
        counts[0] += 1
        print(" ok")
    elif status == "skipped":
        counts[2] += 1
        print(" skipped: " + str(detail))
    else:
        _wp_counts[1] += 1
        print(" " + status)
        print(detail.rstrip("\n"))


def _wp_start(label):
    print(label + " ...", end="")
    _wp_flush()


def _wp_run_test(label, call, set_up, tear_down, cleanup):
    """Run one test the way unittest would and report it on one line."""
    _wp_start(label)
    sub = unittest.TestResult()
    unittest.__test_result__ = sub  # read by TestCase.subTest()
    unittest.__current_test__ = (label,)
    status, detail = "ok", ""
    t0 = time.ticks_ms()
    try:
        set_up()
    except Exception as exc:
        status, detail = _wp_classify(exc)
    else:
        try:
            call()
        except Exception as exc:
            status, detail = _wp_classify(exc)
        try:
            tear_down()
        except Exception as exc:
            if status == "ok":
                status, detail = _wp_classify(exc)
    try:
        cleanup()
    except Exception as exc:
        if status == "ok":
            status, detail = "ERROR", _wp_traceback(exc)
    unittest.__test_result__ = None
    unittest.__current_test__ = None
    _wp_times.append((time.ticks_diff(time.ticks_ms(), t0), label))
    if status != "skipped" and (sub.failures or sub.errors):
        parts = [detail] if status != "ok" else []
        for where, trace in sub.errors + sub.failures:
            parts.append("subTest" + "".join(str(w) for w in where[1:]) + ":\n" + trace)
        status = "ERROR" if sub.errors or status == "ERROR" else "FAIL"
        detail = "".join(parts)
    _wp_report(status, detail)


def _wp_noop():
    pass


def _wp_run_class(modname, cls, flt):
    # One instance per class with setUp/tearDown around each test, as MicroPython's unittest does.
    prefix = modname + "." + cls.__name__ + "."
    where = " (" + modname + "." + cls.__name__ + ")"
    names = [n for n in sorted(dir(cls)) if n.startswith("test") and (not flt or flt in prefix + n)]
    if not names:
        return
    try:
        inst = cls()
        names = [n for n in names if callable(getattr(inst, n))]
        getattr(inst, "setUpClass", _wp_noop)()
    except Exception as exc:
        _wp_start("setUpClass" + where)
        _wp_report(*_wp_classify(exc))
        return
    set_up = getattr(inst, "setUp", _wp_noop)
    tear_down = getattr(inst, "tearDown", _wp_noop)
    cleanup = getattr(inst, "doCleanups", _wp_noop)
    for name in names:
        _wp_run_test(name + where, getattr(inst, name), set_up, tear_down, cleanup)
    try:
        getattr(inst, "tearDownClass", _wp_noop)()
    except Exception as exc:
        _wp_start("tearDownClass" + where)
        _wp_report(*_wp_classify(exc))


def _wp_run_module(modname, flt):
    """Import a test module and run its TestCase classes (and module-level test functions)."""
    before = _wp_counts[:]
    t0 = time.ticks_ms()
    try:
        mod = __import__(modname)
    except Exception as exc:
        sys.modules.pop(modname, None)
        if flt and flt not in modname:
            print("# import %s failed; not counted under --filter %s" % (modname, flt))
            return
        _wp_start("import " + modname)
        _wp_report(*_wp_classify(exc))
        return
    for name in sorted(dir(mod)):
        obj = getattr(mod, name)
        if isinstance(obj, type):
            if issubclass(obj, unittest.TestCase) and obj is not unittest.TestCase:
                _wp_run_class(modname, obj, flt)
        elif name.startswith("test") and callable(obj) and (not flt or flt in modname + "." + name):
            _wp_run_test(name + " (" + modname + ")", obj, _wp_noop, _wp_noop, _wp_noop)
    done = [a - b for a, b in zip(_wp_counts, before)]
    if sum(done):
        print("# %s: %d passed, %d failed, %d skipped in %.1f s"
              % (modname, done[0], done[1], done[2], time.ticks_diff(time.ticks_ms(), t0) / 1000))


def _wp_import_lib(names, want_mpy, native):
    """Import every library module once; with want_mpy each must come from a .mpy file.

    Modules in native have native code: they stay source, and a port without a native
    emitter (WebAssembly) refuses them. Failures count as failed tests; successes and
    skips are only summarised.
    """
    tops = os.listdir("/lib")
    suffix = " (lib .mpy)" if want_mpy else " (lib)"
    counts = [0, 0, 0]
    report = lambda status, detail: _wp_report(status, detail, counts)
    for name in names:
        _wp_start("import " + name + suffix)
        try:
            __import__(name)
        except ImportError as exc:
            msg = str(exc.args[0]) if exc.args else ""
            missing = msg[len("no module named '"):-1] if msg.startswith("no module named '") else ""
            top = missing.split(".")[0]
            if missing and top not in tops and top + ".py" not in tops and top + ".mpy" not in tops:
                report("skipped", "needs module '%s', which this port lacks" % missing)
            else:
                report("ERROR", _wp_traceback(exc))
            continue
        except SyntaxError as exc:
            if name in native and "invalid micropython decorator" in str(exc):
                report("skipped", "native code, and this port has no native emitter")
            else:
                report(*_wp_classify(exc))
            continue
        except Exception as exc:
            report(*_wp_classify(exc))
            continue
        where = getattr(sys.modules.get(name), "__file__", "?")
        if want_mpy and not where.endswith(".mpy") and name not in native:
            report("FAIL", "loaded from %s, not from a .mpy file" % where)
        else:
            report("ok", "")
    _wp_counts[1] += counts[1]
    print("# library: %d modules imported, %d failed, %d skipped" % tuple(counts))


def _wp_summary():
    slow = sorted(_wp_times, reverse=True)[:5]
    for ms, label in slow:
        if ms >= 500:
            print("# slow: %.1f s %s" % (ms / 1000, label))
    return "%d %d %d" % tuple(_wp_counts)
