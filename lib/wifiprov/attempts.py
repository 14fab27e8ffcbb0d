"""How many wrong-PoP / wrong-password sessions the device tolerates: a few for free, then a
doubling back-off before each further handshake, and at the limit none until ``reset()``;
and how many handshakes may be left unfinished (each costs key-exchange or SRP work).

Clock-free: ``failed()`` says how long handshakes must now be refused, ``HandshakeBudget``
is refilled by the caller's timer; the caller keeps the time.
"""

from micropython import const

LOCKED = const(-1)
_SHIFT_MAX = const(20)  # 2**20 x the base is far beyond any cap; keeps the shift small


class AttemptLimiter:
    """``free`` failures cost nothing; failure ``free + n`` costs ``backoff_ms · 2**(n-1)`` (at most
    ``backoff_max_ms``; 0 = no back-off); failure ``limit`` (0 = never) locks."""

    def __init__(self, free, limit, backoff_ms, backoff_max_ms):
        self._free = free
        self._limit = limit
        self._backoff = backoff_ms
        self._backoff_max = backoff_max_ms
        self.failures = 0
        self.locked = False

    def failed(self):
        """Count one failed session; returns ``LOCKED`` or the back-off in ms now due (0 = none)."""
        self.failures += 1
        if self._limit and self.failures >= self._limit:
            self.locked = True
            return LOCKED
        extra = self.failures - self._free
        if extra <= 0 or not self._backoff:
            return 0
        return min(self._backoff << min(extra - 1, _SHIFT_MAX), self._backoff_max)

    def succeeded(self):
        """A session was set up with the right credentials: the count starts again."""
        self.failures = 0

    def reset(self):
        """Forget every failure and unlock (a button press; a reboot does the same)."""
        self.failures = 0
        self.locked = False


class HandshakeBudget:
    """Rations expensive handshake starts (SessionCmd0): ``burst`` may be left unfinished, after
    which one more is granted per ``refill()`` (the caller's timer). A handshake that reaches its
    proof (right or wrong) gives its share back, so only abandoned ones (a flood) use the budget
    up; ``burst`` 0 = no limit."""

    def __init__(self, burst):
        self._burst = burst
        self.available = burst

    def take(self):
        """Spend one handshake start; False (nothing spent) when the budget is used up."""
        if not self._burst:
            return True
        if not self.available:
            return False
        self.available -= 1
        return True

    def give_back(self):
        """A handshake reached its proof: its start costs nothing here."""
        if self.available < self._burst:
            self.available += 1

    def refill(self):
        """One more start granted (the refill period passed); True if the budget is still not full."""
        self.give_back()
        return self.available < self._burst
