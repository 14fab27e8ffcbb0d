"""The board under test, virtual or real, as the scenario tests see it: its console (pytest-embedded's ``dut``), REPL and radio.

The same calls work on both: the virtual board (scripts/vboard.py --pty) has the REPL
keys, ``machine.reset()`` and the file system a MicroPython board has, and its console
is a pseudo-terminal that pytest-embedded opens like ``/dev/ttyUSB0``.
"""

import contextlib
import os
import subprocess

from wifiprov_host import security as host_security
from wifiprov_host.client import ProvClient
from wifiprov_host.transport_http import HttpTransport

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICE_NAME = r"service name : (PROV_[0-9A-F]{6})"
PROMPT = ">>> "
EXAMPLE_SEC2_PASSWORD = "abcd1234"  # config.py's default salt/verifier are for wifiprov / abcd1234


class WifiNetwork:
    """The access point the board is provisioned onto, a wrong passphrase for it, and the address it gives."""

    def __init__(self, ssid, passphrase, ip_pattern=r"\d+\.\d+\.\d+\.\d+"):
        self.ssid = ssid
        self.passphrase = passphrase
        self.wrong_passphrase = passphrase + "-not"
        self.ip_pattern = ip_pattern


class Board:
    """A board driven through ``dut``; ``kind`` is "virtual" or "real".

    ``settings`` are the board's merged /wifiprov.json settings (for the client's
    credentials) and ``config_path`` the file they come from (None: the defaults);
    ``wifi`` is the network to provision; ``open_transport(name)`` gives the host
    client's transport to the board announced as ``name`` (None: the host cannot reach
    this board, so ``reachable`` is False).
    """

    def __init__(self, kind, dut, port, settings, config_path, wifi, open_transport, timeout):
        self.kind = kind
        self.dut = dut
        self.port = port
        self.settings = settings
        self.config_path = config_path
        self.wifi = wifi
        self.open_transport = open_transport
        self.reachable = open_transport is not None and bool(wifi.ssid)
        self.timeout = timeout  # seconds for one step on this board (a real board is slower)

    # ------------------------------------------------------------ console

    def send(self, data):
        """Raw bytes to the console (``dut.write`` would append a newline)."""
        self.dut.serial.proc.write(data)

    def expect(self, pattern, timeout=None):
        """Wait for ``pattern`` (a regular expression) on the console; returns the match."""
        return self.dut.expect(pattern, timeout=timeout or self.timeout)

    def interrupt(self):
        """Ctrl-C until the REPL prompt shows: the application stops, as on any MicroPython board.

        A Ctrl-C that comes while the board is still starting (before boot.py) is only a byte
        for the REPL later, so it is sent again every second, for up to 20 s.
        """
        for _ in range(19):
            self.send(b"\r\x03")
            try:
                self.dut.expect_exact(PROMPT, timeout=1)
                return
            except Exception:  # noqa: B902 - pexpect.TIMEOUT; try again
                continue
        self.dut.expect_exact(PROMPT, timeout=1)

    def repl(self, line, timeout=None):
        """Run one line at the ``>>>`` prompt; returns what it printed (text, CR LF made LF)."""
        self.send(line.encode() + b"\r")
        self.dut.expect_exact(line.encode() + b"\r\n", timeout=timeout or self.timeout)
        before = self.dut.expect_exact(PROMPT, timeout=timeout or self.timeout, return_what_before_match=True)
        return before.decode("utf-8", "replace").replace("\r\n", "\n")

    def erase_credentials(self):
        """Forget the stored Wi-Fi credentials (what ``make erase`` does), from the REPL."""
        out = self.repl("import esp32; from wifiprov.store import NvsStore; NvsStore(esp32).erase(); "
                        "print(NvsStore(esp32).load())")
        assert out.strip().endswith("None"), out

    def reset(self):
        """``machine.reset()`` from the REPL: the board boots again (boot.py, main.py)."""
        self.send(b"import machine; machine.reset()\r")

    def start_provisioning(self):
        """From any state to a freshly booted board without credentials; returns its service name."""
        self.interrupt()
        self.erase_credentials()
        self.reset()
        return self.announced()

    def announced(self):
        """Wait until the board says it provisions and its transport serves; returns the service name."""
        name = self.expect(SERVICE_NAME).group(1).decode()
        self.expect(r"qrcode\.html\?data=")
        return name

    @contextlib.contextmanager
    def released(self):
        """Let another program (mpremote via make) have the serial port meanwhile; console output then is lost."""
        with self.dut.serial.disable_redirect_thread(kill_port=True):
            try:
                yield
            finally:
                self.dut.serial.proc.open()

    def make(self, *args, timeout=600):
        """Run ``make ARGS PORT=<this board's port>`` with the port released; returns the CompletedProcess."""
        with self.released():
            return run_make(list(args) + ["PORT=" + self.port], timeout)

    # ------------------------------------------------------------ provisioning client

    def client(self, name):
        return ProvClient(self.open_transport(name))

    def security(self):
        """The host side of the board's security scheme, with the board's credentials."""
        level = self.settings["security"]
        if level == 0:
            return host_security.Security0()
        if level == 1:
            return host_security.Security1((self.settings["pop"] or "").encode())
        password = self.settings["sec2_password"]
        if password is None:
            from wifiprov import config

            if self.settings["sec2_salt"] != config.EXAMPLE_SEC2_SALT:
                raise AssertionError("security 2 with a salt/verifier: the tests need the password in "
                                     "--board-config's sec2_password")
            password = EXAMPLE_SEC2_PASSWORD
        return host_security.Security2(self.settings["sec2_username"].encode(), password.encode())

    def provision(self, name, passphrase=None):
        """Provision ``wifi`` over a fresh session; returns the final status (connected)."""
        client = self.client(name)
        client.establish_session(self.security())
        assert client.set_config(self.wifi.ssid.encode(), (passphrase or self.wifi.passphrase).encode()) == "Success"
        assert client.apply_config() == "Success"
        return client.wait_connected(poll_interval=0.5, timeout=self.timeout * 3)

    def online(self):
        """The console lines of a board that joined ``wifi`` and runs the application."""
        self.expect(r"Connected with IP Address:" + self.wifi.ip_pattern)
        self.expect(r"app: Hello World!")


def run_make(args, timeout=600):
    """``make ARGS`` in the repository, as a user types it (not as a sub-make of ``make test``).

    ``-o .venv/.installed``: the environment running these tests is the one to use; make
    must not try to reinstall it.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed"] + list(args), cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def http_transport(address):
    """A factory for the SoftAP/HTTP transport to ``address`` whatever the board's name."""
    return lambda name: HttpTransport(address, timeout=30)


def ble_transport(ble_name):
    """A factory for the BLE transport: to ``ble_name``, or to the announced name when it is "auto"."""
    from wifiprov_host.transport_ble import open_ble

    return lambda name: open_ble(name if ble_name == "auto" else ble_name, scan_timeout=20.0)

