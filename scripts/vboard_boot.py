"""Runs on MicroPython's unix port: boots the virtual board as an ESP32 boots, then leaves the console to the VM's REPL.

``scripts/vboard.py`` starts ``micropython [-X heapsize=N] -i vboard_boot.py DEVSIM STATE FLASH BOOT FD``.
This script loads the simulated hardware from DEVSIM (``network`` in the world of
STATE/world.json, ``esp32.NVS`` kept in STATE/nvs.json, ``machine`` with its button
STATE/button), makes the host directory FLASH the board's ``/``, runs ``boot.py`` and,
unless BOOT is ``raw``, ``main.py`` in ``__main__``, printing any exception with its
traceback as a board does. Then it returns, and ``-i`` hands stdin/stdout to the VM's own
REPL. On the supervisor's control pipe FD, ``run`` says that the board's scripts run
(the firmware's own start-up is not interruptible, so only from then on does Ctrl-C
become SIGINT); ``machine.reset()`` and ``machine.soft_reset()`` write ``hard`` /
``soft`` there and wait for the supervisor to restart the process.

The board's UART turns ``\\n`` into ``\\r\\n``; here ``print`` and the REPL's echo of
results do that. Not modelled: ``sys.stdout.write`` and tracebacks keep a bare ``\\n``.
"""

import builtins
import gc
import io
import json
import os
import sys
import time


def _cooked_output():
    """Replace ``print`` and the REPL's result printer with ones that send ``\\n`` as ``\\r\\n``."""
    plain_print = builtins.print
    stdout = sys.stdout
    write = stdout.write
    board_builtins = builtins

    def out(text):
        write(text.replace("\n", "\r\n") if "\n" in text else text)

    def print(*args, sep=" ", end="\n", file=None):
        if file is not None and file is not stdout:
            return plain_print(*args, sep=sep, end=end, file=file)
        first = True
        for arg in args:
            if not first:
                out(sep)
            first = False
            out(arg if type(arg) is str else str(arg))
        out(end)

    def repl_print(value):
        if value is not None:
            board_builtins._ = value
            out(repr(value))
            write("\r\n")

    builtins.print = print
    builtins.__repl_print__ = repl_print


def _banner(heap):
    """The first line at power-on and after a hard reset: which MicroPython the board runs, and how."""
    impl = sys.implementation
    version = "v%d.%d.%d" % impl.version[:3] + ("-" + impl.version[3] if len(impl.version) > 3 else "")
    build = sys.version.split("; ", 1)[1].split(" ", 1)[1]  # "v1.29.0-preview on DATE" or "<git hash> on DATE"
    if not build.startswith(version):
        build = "%s (%s" % (version, build.replace(" on ", ") on ", 1))
    bits = 64 if sys.maxsize > 0x7FFFFFFF else 32
    print("MicroPython %s; virtual ESP32 board on the unix port (%d-bit), %d KiB heap" % (build, bits, heap // 1024))


def _hardware(devsim, state, boot, control):
    """Import and set up the simulated ``network``, ``esp32`` and ``machine`` from ``devsim``."""
    sys.path[:] = [devsim]
    import esp32
    import machine
    import network

    with open(state + "/world.json") as f:
        network.configure(json.load(f))
    esp32.configure(state + "/nvs.json")
    machine.set_button_file(state + "/button")
    sleep = time.sleep

    def reset(cause):
        control.write("hard\n" if cause == machine.HARD_RESET else "soft\n")
        while True:  # the supervisor ends this process: a reset never returns
            try:
                sleep(1)
            except KeyboardInterrupt:
                pass

    # An ESP32 says SOFT_RESET after machine.reset() (esp_restart) and keeps that through soft reboots.
    machine.set_reset_hook(reset, machine.PWRON_RESET if boot == "power" else machine.SOFT_RESET)


def _traceback_printer():
    """``show(exc)``: the traceback as the firmware prints it, without this script's frame."""
    print_exception, string_io, write, here = sys.print_exception, io.StringIO, sys.stdout.write, __file__

    def show(exc):
        try:
            buffer = string_io()
            print_exception(exc, buffer)
            write("\n".join(line for line in buffer.getvalue().split("\n") if here not in line))
        except MemoryError:  # no room to edit it: print it whole
            print_exception(exc)

    return show


def _romfs_image(state):
    """The firmware's ROMFS partition (``STATE/romfs.img``, from ``vboard.py --romfs``), or None.

    It is read before anything else is allocated, so it is one block at the bottom of the heap
    that never moves; on a board it is flash (the memory benchmark takes its size off).
    """
    path = state + "/romfs.img"
    try:
        image = bytearray(os.stat(path)[6])
    except OSError:
        return None
    with open(path, "rb") as f:
        f.readinto(image)  # in place: read() would grow a buffer to twice the size on the way
    return image


def _boot(devsim, state, flash, boot, control_fd):
    """Boot the board; returns once boot.py and main.py have ended (the REPL comes next)."""
    romfs = _romfs_image(state)
    _cooked_output()
    if boot in ("soft", "raw"):
        print("MPY: soft reboot")
    else:
        _banner(gc.mem_free() + gc.mem_alloc())
    control = open(int(control_fd), "w")
    _hardware(devsim, state, boot, control)
    os.umount("/")
    os.mount(os.VfsPosix(flash), "/")
    os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]  # an ESP32's path: frozen asyncio before /lib
    if romfs is not None:  # as a ROMFS-enabled firmware: mounted at /rom, its folders on the path
        import vfs

        os.mount(vfs.VfsRom(romfs), "/rom")
        sys.path[2:2] = ["/rom", "/rom/lib"]
    sys.argv[:] = []
    stat, collect = os.stat, gc.collect
    show = _traceback_printer()
    namespace = globals()
    for name in [n for n in namespace if n != "__name__"]:  # __main__ as on a board: nothing of this script
        del namespace[name]

    def run(name):
        """Run a board script in __main__ as the firmware does: errors are printed, not fatal."""
        try:
            stat(name)
        except OSError:
            return
        try:
            control.write("run\n")  # from here on a Ctrl-C is a KeyboardInterrupt
            execfile(name, namespace)
        except SystemExit:  # as pyexec: sys.exit() ends the script quietly (machine.soft_reset() resets)
            pass
        except BaseException as exc:  # KeyboardInterrupt, MemoryError, any error: shown, then the REPL
            collect()
            show(exc)

    collect()
    run("boot.py")
    if boot != "raw":
        run("main.py")


if len(sys.argv) != 6 or sys.argv[4] not in ("power", "hard", "soft", "raw"):
    raise SystemExit("usage: micropython -i vboard_boot.py DEVSIM STATE FLASH power|hard|soft|raw CONTROL_FD")
_boot(*sys.argv[1:])
