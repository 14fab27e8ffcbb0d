"""The virtual board on MicroPython's unix port (scripts/vboard.py --runtime micropython, the default for SoftAP):
the VM's own REPL under mpremote, Ctrl-C as a board's UART delivers it, resets, errors on the console."""

import os
import subprocess
import sys

import pytest

from vboard_harness import ROOT, VBOARD, SerialHost, boards, unix_vm  # noqa: F401 - boards: fixture

MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
BANNER = r"^MicroPython v1\.\d+\.\d+\S* .*; virtual ESP32 board on the unix port \((\d+)-bit\), (\d+) KiB heap$"


def _flash(tmp_path, main):
    """A board file system holding only ``main`` as main.py."""
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(main)
    return str(flash)


def _mpremote(pty, *args):
    result = subprocess.run([MPREMOTE, "connect", pty] + list(args), cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout



def test_mpremote_on_the_vm_repl_files_soft_and_hard_reset(boards, tmp_path):
    board = boards("--pty")
    assert board.expect(BANNER).group(1) == "64"
    board.expect(r"qrcode\.html\?data=")
    pty = board.pty_path()
    assert _mpremote(pty, "exec", "import sys; print(sys.implementation.name, sys.platform)").split() == [
        "micropython", "linux"]
    script = tmp_path / "hello.py"
    script.write_text("print('hello from', __name__)\n")
    out = _mpremote(pty, "fs", "cp", str(script), ":hello.py", "+", "fs", "cat", ":hello.py", "+", "fs", "ls", "+",
                    "run", str(script), "+", "fs", "rm", ":hello.py")
    assert "print('hello from', __name__)" in out and " hello.py\n" in out and "hello from __main__" in out
    assert not os.path.exists(os.path.join(board.state, "flash", "hello.py"))
    assert "lib/" in _mpremote(pty, "fs", "ls")  # the repository's device files, as `make deploy` copies them
    _mpremote(pty, "soft-reset")  # from the raw REPL: boot.py only, back in the raw REPL
    assert _mpremote(pty, "exec", "import machine; print(machine.reset_cause() == machine.SOFT_RESET)").strip() == \
        "True"
    _mpremote(pty, "reset")
    board.expect(r"^vboard: board reset, booting again$", stderr=True)
    board.expect(BANNER)  # a hard reset restarts the VM
    board.expect(r"app: Starting provisioning")


APP_READING_STDIN = """\
import micropython, sys
micropython.kbd_intr(-1)
print("Ctrl-C off")
while sys.stdin.read(1) != "q":
    print("got a byte")
micropython.kbd_intr(3)
print("Ctrl-C on")
sys.stdin.read(1)
print("not interrupted")
"""


def test_ctrl_c_is_data_for_an_app_that_turned_it_off_and_keyboardinterrupt_otherwise(boards, tmp_path):
    board = boards("--pty", "--flash", _flash(tmp_path, APP_READING_STDIN))
    host = SerialHost(board.pty_path())
    try:
        host.read_until(b"Ctrl-C off\r\n")
        host.send(b"\x03")
        host.read_until(b"got a byte\r\n")
        host.send(b"q")
        host.read_until(b"Ctrl-C on\r\n")
        host.send(b"\x03")  # an app reading stdin that forgot kbd_intr(-1): interrupted, as on a board
        stopped = host.read_until(b">>> ")
        assert b"KeyboardInterrupt" in stopped and b"not interrupted" not in stopped
    finally:
        host.close()


def test_memory_error_is_on_the_console_and_the_board_waits_at_its_repl(boards, tmp_path):
    main = "print('allocating')\nbig = bytearray(4 * 1024 * 1024)\n"
    board = boards("--heap", "256k", "--flash", _flash(tmp_path, main))
    assert 240 <= int(board.expect(BANNER).group(2)) <= 256  # what the GC has of the 256 KiB
    board.expect(r"^allocating$")
    board.expect(r'^  File "main\.py", line 2, in <module>$')
    board.expect(r"^MemoryError: memory allocation failed")
    board.expect(r'Type "help\(\)" for more information\.')
    board.expect(r"^vboard: the board's program has ended: it waits at its REPL", stderr=True)
    assert board.process.poll() is None  # still running, as a board sits at its REPL


RESETS = """\
import asyncio, machine
try:
    with open("boots") as f:
        boots = int(f.read()) + 1
except OSError:
    boots = 1
with open("boots", "w") as f:
    f.write(str(boots))
print("boot", boots, "cause", machine.reset_cause())


async def reset_from_a_task():
    async def later():
        await asyncio.sleep(0.1)
        machine.reset()

    asyncio.create_task(later())
    await asyncio.sleep(30)


if boots == 1:
    asyncio.run(reset_from_a_task())
elif boots == 2:
    machine.soft_reset()
print("done")
"""


def test_machine_reset_from_an_asyncio_task_and_soft_reset(boards, tmp_path):
    board = boards("--flash", _flash(tmp_path, RESETS))
    board.expect(BANNER)
    board.expect(r"^boot 1 cause 1$")  # PWRON_RESET
    board.expect(BANNER)  # machine.reset() restarted the VM
    board.expect(r"^boot 2 cause 5$")  # an ESP32 says SOFT_RESET after machine.reset()
    board.expect(r"^MPY: soft reboot$")
    board.expect(r"^boot 3 cause 5$")
    board.expect(r"^done$")
    assert board.stderr.count("vboard: board reset, booting again") == 2


@pytest.mark.parametrize("args, error", [
    (["--runtime", "micropython", "--transport", "ble"], "--transport ble needs --runtime cpython"),
    (["--runtime", "cpython", "--heap", "96k"], "--heap and --vm are for --runtime micropython"),
    (["--heap", "lots"], "--heap: a heap size such as 96k"),
    (["--vm", "/nonexistent/micropython"], "no MicroPython VM at /nonexistent/micropython"),
])
def test_runtime_options_refused_in_one_line(args, error):
    result = subprocess.run([sys.executable, VBOARD] + args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and error in result.stderr.strip().split("\n")[-1], result.stderr


def test_the_32_bit_vm_boots_and_provisions(boards):
    vm, why = unix_vm(32)
    if vm is None:
        pytest.skip(why)
    board = boards("--vm", vm, "--heap", "160k", "--sec", "1", "--pop", "abcd1234")
    banner = board.expect(BANNER)
    assert banner.group(1) == "32"
    board.expect(r"qrcode\.html\?data=")
    result = board.run_cli("--sec_ver", "1", "--pop", "abcd1234", "--ssid", "MyHomeWiFiAP", "--passphrase",
                           "correct-horse-9", "--poll-interval", "0.3")
    assert result.returncode == 0, result.stdout + result.stderr
    board.expect(r"app: Hello World!")


HARDWARE_HEAP = """\
import gc, json, sys
gc.collect()
before = gc.mem_alloc()
sys.path[:] = [sys.argv[1]]
import esp32, machine, network
with open(sys.argv[2]) as f:
    network.configure(json.load(f))
esp32.configure(sys.argv[3] + "/nvs.json")
machine.set_button_file(sys.argv[3] + "/button")
gc.collect()
print("retained", gc.mem_alloc() - before, "cryptolib" in sys.modules)
"""


@pytest.mark.parametrize("bits, limit", [(64, 32 * 1024), (32, 24 * 1024)])
def test_the_simulated_hardware_keeps_little_of_the_vm_heap(tmp_path, bits, limit):
    vm, why = unix_vm(bits)
    if vm is None:
        pytest.skip(why)
    script = tmp_path / "heap.py"
    script.write_text(HARDWARE_HEAP)
    result = subprocess.run([vm, str(script), os.path.join(ROOT, "scripts", "devsim"),
                             os.path.join(ROOT, "scripts", "vboard_world.example.json"), str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    words = result.stdout.split()
    assert result.returncode == 0 and words[0] == "retained", result.stdout + result.stderr
    print("simulated hardware retains %s bytes on the %d-bit VM" % (words[1], bits))
    assert int(words[1]) < limit and words[2] == "False"  # lean, and devsim's cryptolib stand-in never loaded
