"""Attempt limiting on the virtual board: wrong PoPs / SRP passwords make the board refuse handshakes
for a doubling back-off (the HTTP client sees the protocol's normal failure, at once, even with
the right PoP), and past the limit until the button is pressed or the board reboots. Nothing
secret reaches the console (the ``boards`` fixture scans it)."""

import time

import pytest

from boardlib import POP, SEC2_PASSWORD, SEC2_USER, WRONG_POP, KeyedSecurity1, boards, press_button, session_key, started  # noqa: F401
from fuzzlib import measured, tried
from wifiprov_host import security as host_security
from wifiprov_host.errors import AuthenticationFailed, SessionRejected

FAST_FAIL_S = 1.0  # a refused handshake comes back at once: no crypto is done for it (~0 ms measured)


def _attempt(board, security):
    """Run a handshake; returns (outcome, seconds) with outcome "ok", "wrong" or "refused"."""
    client = board.client()
    started_at = time.monotonic()
    try:
        client.establish_session(security)
        outcome = "ok"
    except AuthenticationFailed:
        outcome = "wrong"  # Cmd1 failed: the proof was checked and did not match
    except SessionRejected:
        outcome = "refused"  # Cmd0 failed: refused before any crypto
    finally:
        client.transport.close()
    return outcome, time.monotonic() - started_at


def _right(board, boards):
    security = KeyedSecurity1(POP.encode())
    outcome, seconds = _attempt(board, security)
    if outcome == "ok":
        boards.extra_secrets.append(session_key(security))
    return outcome, seconds


def _backoff_started(board, ms):
    """The board's time (ms) at which it announced a back-off of ``ms``."""
    return int(board.expect(r"W \((\d+)\) wifi_prov_mgr: \d+ failed sessions: secure sessions refused for %d ms" % ms)
               .group(1))


def _backoff_over(board, started_ms, ms):
    """Wait for the board to accept sessions again; by its own clock not before ``ms`` had passed."""
    over = int(board.expect(r"I \((\d+)\) wifi_prov_mgr: secure sessions accepted again").group(1))
    assert over - started_ms >= ms, (started_ms, over)


def _fail_until_closed(board, wrong):
    """Five wrong sessions from a fresh count: two free, then 1 s and 2 s back-offs waited out; the
    fifth closes provisioning."""
    for n in range(5):
        assert wrong()[0] == "wrong", n
        if n in (2, 3):
            ms = 1000 << (n - 2)
            _backoff_over(board, _backoff_started(board, ms), ms)


def test_sec1_backoff_lockout_button_and_reboot(boards):
    board = boards.boot("--sec", "1", "--pop", POP, "--set", "auth_free_failures=2", "--set", "auth_backoff_ms=1000",
                        "--set", "auth_max_failures=5", "--set", "unlock_button_pin=0", pop=POP)
    started(board)
    wrong = lambda: _attempt(board, host_security.Security1(WRONG_POP.encode()))  # noqa: E731

    assert [wrong()[0] for _ in range(2)] == ["wrong", "wrong"]  # free
    assert _right(board, boards)[0] == "ok"  # and a success forgets them
    assert [wrong()[0] for _ in range(3)] == ["wrong", "wrong", "wrong"]
    started_ms = _backoff_started(board, 1000)
    outcome, seconds = _right(board, boards)
    assert outcome == "refused" and seconds < FAST_FAIL_S, (outcome, seconds)
    measured("limit: refused handshake answered in (ms)", int(seconds * 1000))
    _backoff_over(board, started_ms, 1000)
    assert _right(board, boards)[0] == "ok"

    # Past the limit: closed until the button is pressed.
    _fail_until_closed(board, wrong)
    board.expect(r"E \(\d+\) app: Provisioning closed after 5 failed sessions: reboot or press the button to open it again")
    time.sleep(2.5)  # longer than any back-off: still closed
    outcome, seconds = _right(board, boards)
    assert outcome == "refused" and seconds < FAST_FAIL_S
    press_button(board)
    board.expect(r"I \(\d+\) app: Button pressed: provisioning open again")
    assert _right(board, boards)[0] == "ok"

    # Closed again; a reboot opens it (nothing about failed sessions is stored).
    _fail_until_closed(board, wrong)
    assert _right(board, boards)[0] == "refused"
    board.power_off()
    board.boot()
    started(board)
    assert _right(board, boards)[0] == "ok"
    assert "refused for now" in board.console  # protocomm logs each refused handshake
    tried("limit: sec1 wrong-PoP sessions", 15)


def test_sec2_wrong_passwords_back_off(boards):
    board = boards.boot("--sec2-user", SEC2_USER, "--sec2-pass", SEC2_PASSWORD, "--set", "auth_free_failures=1",
                        "--set", "auth_backoff_ms=2000")
    started(board)
    wrong = host_security.Security2(SEC2_USER.encode(), b"not-the-password")
    assert _attempt(board, wrong)[0] == "wrong"
    assert _attempt(board, wrong)[0] == "wrong"
    right = host_security.Security2(SEC2_USER.encode(), SEC2_PASSWORD.encode())
    started_ms = _backoff_started(board, 2000)
    outcome, seconds = _attempt(board, right)
    assert outcome == "refused" and seconds < FAST_FAIL_S  # no SRP work while backing off
    _backoff_over(board, started_ms, 2000)
    assert _attempt(board, right)[0] == "ok"
    boards.extra_secrets.append(session_key(right))
    assert "app: Received incorrect username and/or PoP for establishing secure session!" in board.console
    tried("limit: sec2 wrong-password sessions", 2)


@pytest.mark.parametrize("level", [0, 1])
def test_off_when_configured_so_and_never_for_sec0(boards, level):
    args = ["--sec", str(level)] + (["--pop", POP, "--set", "auth_backoff_ms=0", "--set", "auth_max_failures=0"]
                                    if level else [])
    board = boards.boot(*args, pop=POP if level else None)
    started(board)
    if level:
        for _ in range(12):
            assert _attempt(board, host_security.Security1(WRONG_POP.encode()))[0] == "wrong"
        assert _right(board, boards)[0] == "ok"
    else:
        for _ in range(12):
            assert _attempt(board, host_security.Security0())[0] == "ok"
    assert "failed sessions: provisioning closed" not in board.console


class _WalkAway(Exception):
    """Raised by the client's exchange once SessionCmd0 has been answered."""


def _cmd0_only(board, security):
    """Send a SessionCmd0 and walk away: "answered" (the board did the SRP work) or "refused"."""
    client = board.client()
    started_at = time.monotonic()

    def exchange(request):
        client.transport.send("prov-session", request)
        raise _WalkAway

    try:
        security.establish(exchange)
        outcome = "unexpected"
    except _WalkAway:
        outcome = "answered"
    except Exception:  # the socket closed without a response: the protocol's failure
        outcome = "refused"
    finally:
        client.transport.close()
    return outcome, time.monotonic() - started_at


def test_sec2_handshake_flood_is_rationed_and_the_real_client_gets_through_after_it(boards):
    # Found by an outside review: well-formed sec2 SessionCmd0s that never send Cmd1 each cost a
    # full SRP computation and never counted as failed attempts, so a client could keep the CPU busy.
    board = boards.boot("--sec2-user", SEC2_USER, "--sec2-pass", SEC2_PASSWORD, "--set", "handshake_burst=2",
                        "--set", "handshake_refill_ms=1500")
    started(board)
    flood = host_security.Security2(SEC2_USER.encode(), b"anything")
    outcomes = [_cmd0_only(board, flood) for _ in range(8)]
    assert [o for o, _ in outcomes] == ["answered"] * 2 + ["refused"] * 6, outcomes
    assert max(s for _, s in outcomes[2:]) < FAST_FAIL_S  # refused before any SRP work
    measured("flood: refused Cmd0 answered in (ms)", int(max(s for _, s in outcomes[2:]) * 1000))
    board.expect(r"W \(\d+\) wifi_prov_mgr: 2 handshakes left unfinished: new ones refused, one more every 1500 ms")
    time.sleep(2.0)  # the flood has stopped: one refill later the real client gets through
    right = host_security.Security2(SEC2_USER.encode(), SEC2_PASSWORD.encode())
    assert _attempt(board, right)[0] == "ok"
    boards.extra_secrets.append(session_key(right))
    assert sum("handshakes left unfinished" in line for line in board.lines) == 1
    assert not any("failed session" in line for line in board.lines)  # never an attempt-limiter failure
