"""Virtual-board helpers of the hardening suite: boards that scan their own console for secrets when
they power off, the board process's sockets and memory, its button, raw loopback sockets, and
session keys captured from the host client (so the scan can look for them too)."""

import hashlib
import os
import signal
import socket
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from vboard_harness import HOME_PASSPHRASE, WRONG_PASSPHRASE, VirtualBoard
from wifiprov_host import security as host_security

import session_pb2

POP = "hard-pop-4412"
SEC2_USER = "wifiprov"
SEC2_PASSWORD = "srp-pass-8831"
WRONG_POP = "guess-pop-0000"
# Secrets the board must never print, whatever happens (the PoP may appear in the QR line only).
ALWAYS_SECRET = [HOME_PASSPHRASE, WRONG_PASSPHRASE, SEC2_PASSWORD, WRONG_POP]


def _variants(secret):
    data = secret.encode() if isinstance(secret, str) else bytes(secret)
    out = {data.hex(), data.hex().upper()}
    if len(data) < 20:  # keys are looked for as hex only; words also as text
        out.add(data.decode("latin-1"))
    return out


def scan_for_secrets(lines, secrets, qr_only=()):
    """Assert that the console ``lines`` hold none of ``secrets`` (str or bytes; also as hex), and
    the ``qr_only`` ones (the PoP; a dev-mode SRP password) only as the QR payload's ``"pop"``."""
    rest = []
    for line in lines:
        if any(secret in line for secret in qr_only):
            for secret in qr_only:
                if secret in line:
                    assert '"pop":"%s"' % secret in line, "%r outside the QR payload: %r" % (secret, line)
        else:
            rest.append(line)
    text = "\n".join(rest)
    for secret in list(secrets) + list(qr_only):
        for variant in _variants(secret):
            assert variant not in text, "secret %r printed (as %r)" % (secret, variant)


class Boards:
    """Boots virtual boards for one test; at the end powers them off and scans everything each
    printed for the secrets (``extra_secrets`` collects session keys seen during the test)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.started = []
        self.extra_secrets = []

    def boot(self, *args, pop=None, **kwargs):
        """A board; ``pop`` (the PoP, or a dev-mode SRP password) may appear in its QR line only."""
        folder = self.tmp_path / ("board%d" % len(self.started))
        folder.mkdir()
        board = VirtualBoard(folder, *args, **kwargs)
        board.qr_only = [pop] if pop else []
        self.started.append(board)
        return board

    def finish(self):
        for board in self.started:
            board.power_off()
        for board in self.started:
            secrets = [s for s in ALWAYS_SECRET + self.extra_secrets if s and s not in board.qr_only]
            scan_for_secrets(board.lines, secrets, board.qr_only)


@pytest.fixture
def boards(tmp_path):
    b = Boards(tmp_path)
    try:
        yield b
    finally:
        b.finish()


def started(board, timeout=30):
    """Wait until the board's HTTP server listens (the URL line comes after it)."""
    board.expect(r"^https://espressif\.github\.io/esp-jumpstart/qrcode\.html\?data=", timeout)


# ---------------------------------------------------------------- the board process


def board_pid(board):
    """The pid of the board process (the child of vboard.py's supervisor)."""
    supervisor = board.process.pid
    for _ in range(100):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == supervisor:
                return int(entry)
        time.sleep(0.05)
    raise AssertionError("no board process under the supervisor %d" % supervisor)


def open_sockets(pid):
    """How many sockets the process holds (listening and connected)."""
    count = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def rss_kb(pid):
    """Resident memory of the process in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def press_button(board):
    """Push the board's button: SIGUSR1 to scripts/vboard.py, which the simulated ``machine.Pin`` then reads low."""
    os.kill(board.process.pid, signal.SIGUSR1)


# ---------------------------------------------------------------- raw clients


def connect(board, timeout=10.0):
    return socket.create_connection(("127.0.0.1", board.port), timeout=timeout)


def post(path, body, extra=b""):
    return (b"POST /%s HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n%s\r\n" % (path.encode(), len(body), extra)) + body


def read_until_closed(sock, limit_s=10.0):
    """Everything the peer sends until it closes; raises if it is still open after ``limit_s``."""
    sock.settimeout(limit_s)
    deadline = time.monotonic() + limit_s
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
        if time.monotonic() > deadline:
            raise AssertionError("connection still open after %g s" % limit_s)


def _split_responses(data):
    """(status codes of the whole responses at the start of ``data``, bytes left over)."""
    codes = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(rest) < length:
            break
        codes.append(int(lines[0].split()[1]))
        data = rest[length:]
    return codes, data


def responses(data):
    """The status codes of the HTTP responses in ``data`` (a byte stream of whole responses)."""
    codes, rest = _split_responses(data)
    assert not rest, "cut response: %r" % rest[:200]
    return codes


def count_responses(data):
    """How many whole responses ``data`` starts with."""
    return len(_split_responses(data)[0])


# ---------------------------------------------------------------- session keys of the host client


class KeyedSecurity1(host_security.Security1):
    """Security 1 client that remembers the session key (to look for it on the console)."""

    def establish(self, exchange):
        private = os.urandom(32)
        self.random_bytes = lambda n: private if n == 32 else os.urandom(n)
        answers = []

        def spy(request):
            answer = exchange(request)
            answers.append(answer)
            return answer

        try:
            super().establish(spy)
        finally:
            if answers:
                message = session_pb2.SessionData()
                message.ParseFromString(answers[0])
                shared = X25519PrivateKey.from_private_bytes(private).exchange(
                    X25519PublicKey.from_public_bytes(message.sec1.sr0.device_pubkey))
                digest = hashlib.sha256(self.pop).digest() if self.pop else bytes(32)
                self.session_key = bytes(a ^ b for a, b in zip(shared, digest))


def session_key(security):
    """The symmetric key of an established host session (sec1: AES-CTR key; sec2: K; sec0: none)."""
    if isinstance(security, KeyedSecurity1):
        return security.session_key
    if isinstance(security, host_security.Security2):
        return bytes(security.srp.K)
    return None
