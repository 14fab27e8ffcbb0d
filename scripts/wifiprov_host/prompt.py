"""Questions to the user at a terminal; without one, a clear usage error naming the flag to pass."""

import getpass
import sys

from wifiprov_host.errors import UsageError


class Prompter:
    """Asks on ``stream`` when ``interactive``; otherwise raises :class:`UsageError`.

    ``read_line()`` returns one line with its newline, or "" at end of input.
    """

    def __init__(self, interactive, stream, read_line=None, read_secret=getpass.getpass):
        self.interactive = interactive
        self.stream = stream
        self.read_line = read_line or sys.stdin.readline
        self.read_secret = read_secret

    def text(self, question, flag):
        """Ask for visible text (e.g. a username)."""
        self._require(flag)
        self.stream.write(question)
        self.stream.flush()
        return self._line(flag)

    def secret(self, question, flag):
        """Ask for a secret without echo (PoP, passwords)."""
        self._require(flag)
        return self.read_secret(question)

    def choose(self, count):
        """Ask for an access point number 1..count; 0 means scan again."""
        flag = "--ssid or --pick-strongest"
        self._require(flag)
        while True:
            self.stream.write("Select AP by number (0 to rescan) : ")
            self.stream.flush()
            answer = self._line(flag).strip()
            if answer.isdigit() and int(answer) <= count:
                return int(answer)
            self.stream.write("Invalid input! Retry\n")

    def _line(self, flag):
        line = self.read_line()
        if not line:
            raise UsageError("input ended while waiting for an answer: pass %s" % flag)
        return line.rstrip("\r\n")

    def _require(self, flag):
        if not self.interactive:
            raise UsageError("input needed but stdin is not a terminal: pass %s" % flag)
