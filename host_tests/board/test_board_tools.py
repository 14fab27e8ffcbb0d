"""``make deploy`` and ``make erase`` on the board under test: the mpremote commands a user runs, then the board's console.

On the virtual board they run against its pty (aioble is not installed: ``MIP=0``); on a
real board they are the real thing, mip install included (internet needed).
"""

import json
import os

import pytest

import deploy


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.virtual_board(flash=True)
def test_deploy_then_the_board_runs_the_deployed_code(board, virtual_board, tmp_path):
    if board.kind == "virtual":  # a freshly flashed board: MicroPython and nothing else
        board.interrupt()
        assert "No module named 'wifiprov'" in board.repl("import wifiprov").replace("no module", "No module")
        settings = tmp_path / "wifiprov.json"
        settings.write_text(json.dumps({"transport": "softap", "http_port": virtual_board.port}))
        config = str(settings)
        out = _ok(board.make("deploy", "MIP=0", "CONFIG=" + config))
    else:
        config = board.config_path
        out = _ok(board.make("deploy", *(["CONFIG=" + config] if config else [])))
    assert " cp lib/wifiprov/" in out and " reset" in out
    name = board.start_provisioning()  # the deployed code: erase from the REPL, reset, provisioning
    if board.kind == "virtual":
        flash = str(tmp_path / "flash")
        deployed = sorted(os.path.relpath(os.path.join(folder, f), flash).replace(os.sep, "/")
                          for folder, _, files in os.walk(flash) for f in files)
        assert deployed == sorted(on_board for _, on_board in deploy.device_files(config))
    if board.kind == "virtual" or board.reachable:
        assert board.provision(name).state == "connected"
        board.online()


def test_make_erase_forgets_the_credentials_and_nothing_else(provisioning_board):
    board = provisioning_board
    name = board.start_provisioning()
    assert board.provision(name).state == "connected"
    board.online()
    board.interrupt()
    listing = board.repl("import os; print(sorted(os.listdir('/')))")

    assert "wifiprov: credentials erased" in _ok(board.make("erase"))

    board.interrupt()
    assert board.repl("import os; print(sorted(os.listdir('/')))") == listing
    board.reset()
    assert board.announced() == name  # no credentials: it provisions again


def test_deploy_mpy_compiles_for_the_micropython_on_the_board(board):
    # The virtual board is MicroPython's unix port (v1.29), so it takes today's .mpy; it needs no aioble (MIP=0).
    out = _ok(board.make("deploy", "MPY=1", *(["MIP=0"] if board.kind == "virtual" else [])))
    assert "version: micropython 1 " in out and " -o build/mpy/lib/wifiprov/manager.mpy " in out
    board.interrupt()
    assert board.repl("import wifiprov.manager as m; print(m.__file__)").strip().endswith(".mpy")
    board.reset()
    assert board.announced().startswith("PROV_")  # main.py runs on the .mpy library
    if board.kind == "real":
        _ok(board.make("deploy", *(["CONFIG=" + board.config_path] if board.config_path else [])))  # back to source
