"""requirements.txt pins every Python package the project installs, transitive ones included."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _normalise(name):
    return name.lower().replace("_", "-")


def _pins():
    pins = {}
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, sep, version = line.partition("==")
                assert sep and version, "not pinned: %r" % line
                assert _normalise(name) not in pins, "listed twice: %r" % line
                pins[_normalise(name)] = version
    return pins


def test_every_installed_package_is_pinned_at_its_installed_version():
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.split()
    installed = {}
    for line in frozen:
        name, _, version = line.partition("==")
        if _normalise(name) not in ("pip", "setuptools", "wheel"):
            installed[_normalise(name)] = version
    assert installed == _pins()
