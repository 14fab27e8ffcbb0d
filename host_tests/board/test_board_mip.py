"""``mpremote mip install`` of the repository's mip packages on the board under test, then the board runs the library.

The installs are the real mpremote 1.29 against the board's port. aioble, a dependency of
``package.json``, comes from micropython.org's index: with internet it is installed, without
it mpremote must say that the request could not be made (after wifiprov itself is in /lib),
and the board still provisions over SoftAP.
"""

import http.server
import json
import os
import re
import threading

import pytest

from board_harness import ROOT

INDEX_REQUEST = r"https://micropython\.org/pi/v2/package/\d+/aioble-core/latest\.json"


def _package(name):
    with open(os.path.join(ROOT, name)) as f:
        return json.load(f)


def _installed(board):
    """The files under the board's /lib/wifiprov, as mip targets (``wifiprov/x.py``)."""
    out = board.repl("import os; print(' '.join(sorted(os.listdir('/lib/wifiprov'))))")
    return ["wifiprov/" + name for name in out.split()]


def _wifiprov_version(board):
    out = board.repl("import wifiprov; print(wifiprov.__version__, wifiprov.__file__)").split()
    assert out[1] == "/lib/wifiprov/__init__.py", out
    return out[0]


@pytest.mark.virtual_board(flash=True)
def test_mip_install_package_json_then_the_board_provisions(board, virtual_board, tmp_path):
    package = _package("package.json")
    board.interrupt()
    if board.kind == "virtual":  # a freshly flashed board: MicroPython and nothing else
        assert "No module named 'wifiprov'" in board.repl("import wifiprov").replace("no module", "No module")

    result = board.mpremote("mip", "install", "./package.json")

    out = result.stdout.splitlines()
    assert out[0] == "Install ./package.json"
    assert out[1:1 + len(package["urls"])] == ["Installing: /lib/" + target for target, _ in package["urls"]]
    assert "Installing aioble-core (latest) from https://micropython.org/pi/v2 to /lib" in out
    if result.returncode == 0:  # the host has internet: aioble came from the index
        assert out[-1] == "Done" and "Installing aioble-server (latest) from https://micropython.org/pi/v2 to /lib" \
            in out, result.stdout
    else:  # no internet: said as such (a network error, not an HTTP status), after wifiprov was installed
        assert out[-1] == "Package may be partially installed", result.stdout
        error = result.stderr.strip()
        assert re.fullmatch(r"mpremote: (?!Error \d)(?!Package not found).+ requesting " + INDEX_REQUEST, error), error
        print("aioble needs the network, and mpremote said so: " + error)
    board.interrupt()
    assert _installed(board) == sorted(target for target, _ in package["urls"])
    assert _wifiprov_version(board) == package["version"]

    entry_points = ["main.py", "boot.py"]  # the example application, as a clone's user copies it
    if board.kind == "virtual":
        settings = tmp_path / "wifiprov.json"
        settings.write_text(json.dumps({"transport": "softap", "http_port": virtual_board.port}))
        config = str(settings)
    else:
        config = board.config_path
    copy = ["cp"] + entry_points + [":"] + (["+", "cp", config, ":wifiprov.json"] if config else [])
    assert board.mpremote(*copy).returncode == 0
    name = board.start_provisioning()
    if board.kind == "virtual" or board.reachable:
        assert board.provision(name).state == "connected"
        board.online()


class _RepositoryServer(http.server.ThreadingHTTPServer):
    """The repository over HTTP on 127.0.0.1, as GitHub's raw file server gives it; ``paths`` are those requested."""

    def __init__(self):
        self.paths = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=ROOT, **kwargs)

            def do_GET(self):
                server.paths.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.virtual_board(flash=True)
def test_mip_install_package_softap_json_from_a_url_needs_no_index(board):
    package = _package("package-softap.json")
    assert "deps" not in package
    server = _RepositoryServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/package-softap.json" % server.server_address[1]
        result = board.mpremote("mip", "install", url)
    finally:
        server.shutdown()
        server.server_close()

    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "Done", result.stdout + result.stderr
    assert "aioble" not in result.stdout
    # Every file from its URL relative to the package file, as mip resolves them from github:OWNER/REPO.
    assert server.paths == ["/package-softap.json"] + ["/" + url for _, url in package["urls"]]
    board.interrupt()
    assert _installed(board) == sorted(target for target, _ in package["urls"])
    assert _wifiprov_version(board) == package["version"]
