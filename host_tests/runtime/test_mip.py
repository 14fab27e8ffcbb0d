"""The mip packages at the repository's root (package.json, package-softap.json) against the library they install.

Their file list is checked against an independent walk of lib/, their version against
the one the library reports, their dependencies against what deploy and the firmware
install; scripts/gen_mip.py --check must find them up to date and name what is stale.
"""

import json
import os
import shutil
import subprocess
import sys

import deploy
import gen_mip
import wifiprov

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("package.json", "package-softap.json")


def _package(name):
    with open(os.path.join(ROOT, name)) as f:
        return json.load(f)


def lib_files_by_walking():
    """Repository paths of every file under lib/ a board needs, found without scripts/deploy.py."""
    found = set()
    for folder, dirs, files in os.walk(os.path.join(ROOT, "lib")):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found.update(os.path.relpath(os.path.join(folder, f), ROOT) for f in files if not f.endswith((".pyc", ".mpy")))
    return found


def test_the_packages_list_every_device_module_and_only_files_that_exist():
    for name in PACKAGES:
        urls = _package(name)["urls"]
        assert {url for _, url in urls} == lib_files_by_walking(), name
        assert len(urls) == len(lib_files_by_walking()), name  # no file twice
        for target, url in urls:
            assert os.path.isfile(os.path.join(ROOT, url)), url
            assert "lib/" + target == url  # lands in the board's /lib/wifiprov/, where deploy puts it


def test_the_version_is_the_librarys():
    for name in PACKAGES:
        assert _package(name)["version"] == wifiprov.__version__, name


def test_package_json_depends_on_the_aioble_parts_deploy_and_the_firmware_install():
    packages, _ = deploy.aioble_packages()
    assert packages[:3] == ["aioble-core", "aioble-peripheral", "aioble-server"]
    assert _package("package.json")["deps"] == [[name, "latest"] for name in packages]
    assert "deps" not in _package("package-softap.json")  # mip cannot skip deps: this file is the way


def test_gen_mip_check_passes_on_the_committed_packages():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_mip.py"), "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_gen_mip_check_names_each_difference(tmp_path, monkeypatch):
    shutil.copytree(os.path.join(ROOT, "lib"), tmp_path / "lib")
    for name in PACKAGES:
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    monkeypatch.setattr(deploy, "ROOT", str(tmp_path))
    monkeypatch.setattr(gen_mip, "ROOT", str(tmp_path))
    assert gen_mip.check() == []

    (tmp_path / "lib" / "wifiprov" / "new_module.py").write_text('"""A new device module."""\n')
    os.remove(tmp_path / "lib" / "wifiprov" / "qr.py")
    init = tmp_path / "lib" / "wifiprov" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "%s"' % wifiprov.__version__, '__version__ = "9.9.9"'))
    os.remove(tmp_path / "package-softap.json")

    assert gen_mip.check() == [
        "package.json lacks lib/wifiprov/new_module.py (a device file)",
        "package.json lists lib/wifiprov/qr.py, which is not a device file",
        'package.json has version "%s", not "9.9.9"' % wifiprov.__version__,
        "package-softap.json is missing",
    ]
    assert gen_mip.main([]) == 0
    assert gen_mip.check() == []
    urls = json.loads((tmp_path / "package.json").read_text())["urls"]
    assert ["wifiprov/new_module.py", "lib/wifiprov/new_module.py"] in urls
