"""Replays the hardening corpus (``corpus.py``, written next to this file by test_fuzz_micropython.py)
on whichever interpreter runs it: every codec case decoded, every request fed through a security-0
provisioning manager on the device-test fakes. Prints one line per case, ``c|r <index> <outcome>``,
so the MicroPython and CPython runs can be compared line by line."""

from binascii import hexlify, unhexlify
import hashlib

from wifiprov import pbcodec, pbmessages

import corpus

CODEC = []
REQUESTS = []
for _line in corpus.DATA.split("\n"):
    if _line:
        _kind, _name, _hex = (_line + " ").split(" ")[:3]
        (CODEC if _kind == "c" else REQUESTS).append((_name, _hex))


def canon(value):
    """A text form of a decoded message that both interpreters print identically."""
    if isinstance(value, dict):
        return "{" + ",".join(k + ":" + canon(value[k]) for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canon(v) for v in value) + "]"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "s" + hexlify(value.encode()).decode()
    return "b" + hexlify(bytes(value)).decode()


def digest(text):
    return hexlify(hashlib.sha256(text.encode()).digest()[:8]).decode()


def codec_lines():
    for i, (name, data) in enumerate(CODEC):
        try:
            outcome = digest(canon(pbcodec.decode(getattr(pbmessages, name), unhexlify(data))))
        except pbcodec.CodecError:
            outcome = "refused"
        except Exception as exc:  # a bug: only CodecError may leave the codec
            outcome = "ESCAPED:" + type(exc).__name__
        yield "c %d %s" % (i, outcome)


def request_lines():
    from fakes import Board, FakeAccessPoint

    aps = [FakeAccessPoint(b"HomeAP", b"\x78\x8a\x20\x84\x19\x96", 1, -45, 3, b"right-pass-5521"),
           FakeAccessPoint(b"CafeOpen", b"\xdc\xa4\xca\xf1\x22\x7c", 6, -70, 0)]
    board = Board(aps, security=0, auth_backoff_ms=0, auth_max_failures=0)
    board.manager.add_endpoint("custom-data", lambda session_id, data: b"SUCCESS\x00")
    board.manager.start()
    pc = board.manager.protocomm
    pc.open_session(1)
    for i, (endpoint, data) in enumerate(REQUESTS):
        try:
            response = pc.handle(1, endpoint, unhexlify(data))
            outcome = "-" if response is None else digest("b" + hexlify(response).decode())
        except Exception as exc:  # nothing may escape protocomm
            outcome = "ESCAPED:" + type(exc).__name__
        yield "r %d %s" % (i, outcome)


def main():
    for line in codec_lines():
        print(line)
    for line in request_lines():
        print(line)
    print("done")


main()
