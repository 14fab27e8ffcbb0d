"""Stored Wi-Fi credentials that survive a power loss at any moment: the old or the new pair, never a torn one.

One record format for both back ends: ``"WP" 01 | seq (4, big-endian) | len ssid | len passphrase
| 4 bytes of SHA-256 over all that``. ``NvsStore`` (``esp32.NVS``) keeps two slots and writes
a new record, with the next sequence number, into the slot that does *not* hold the current
one; ``load()`` takes the valid record with the newest sequence number, so an interrupted or
torn write leaves the previous record in charge. ``wifiprov.file_store.FileStore`` keeps the
same record in a file instead.
"""

from micropython import const
import hashlib

_MAGIC = b"WP\x01"
_HEADER = const(7)  # magic (3) + sequence number (4)
_DIGEST = const(4)
RECORD_MAX = const(112)  # 7 + 1 + 32 + 1 + 64 + 4 = 109
_SEQ_MASK = const(0xFFFFFFFF)
_SEQ_HALF = const(0x80000000)
_SSID_MAX = const(32)
_PASSPHRASE_MAX = const(64)
_SLOTS = ("cred0", "cred1")


def _digest(data):
    return hashlib.sha256(data).digest()[:_DIGEST]


def seal(body):
    """``body`` followed by its check value (the first 4 bytes of its SHA-256)."""
    return body + _digest(body)


def unseal(data, magic, min_body):
    """The body of sealed ``data`` that starts with ``magic`` and holds at least ``min_body``
    bytes, or ``None`` when it is cut off, foreign or damaged."""
    data = bytes(data)
    if len(data) < min_body + _DIGEST or data[: len(magic)] != magic:
        return None
    body = data[:-_DIGEST]
    if _digest(body) != data[-_DIGEST:]:
        return None
    return body


def read_blob(nvs, key, buf):
    """The NVS blob ``key`` read into ``buf`` (a memoryview of its bytes), or ``None`` when it is
    missing or longer than ``buf``."""
    try:
        length = nvs.get_blob(key, buf)
    except OSError:
        return None
    return memoryview(buf)[:length]


def encode_record(seq, ssid, passphrase):
    """The record bytes for ``seq``, ``ssid`` (≤ 32 bytes) and ``passphrase`` (≤ 64 bytes)."""
    if len(ssid) > _SSID_MAX or len(passphrase) > _PASSPHRASE_MAX:
        raise ValueError("credentials too long")
    body = _MAGIC + (seq & _SEQ_MASK).to_bytes(4, "big") + bytes((len(ssid),)) + ssid
    body += bytes((len(passphrase),)) + passphrase
    return seal(body)


def decode_record(data):
    """``(seq, ssid, passphrase)`` from record bytes, or ``None`` if they are not a whole, intact record."""
    body = unseal(data, _MAGIC, _HEADER + 2)
    if body is None:
        return None
    pos = _HEADER
    ssid_len = body[pos]
    ssid = body[pos + 1 : pos + 1 + ssid_len]
    pos += 1 + ssid_len
    if pos >= len(body):
        return None
    pass_len = body[pos]
    if pos + 1 + pass_len != len(body):
        return None
    return int.from_bytes(body[3:_HEADER], "big"), ssid, body[pos + 1 :]


def _newer(a, b):
    """True if sequence number ``a`` comes after ``b`` (serial-number arithmetic, so it wraps)."""
    return 0 < ((a - b) & _SEQ_MASK) < _SEQ_HALF


class NvsStore:
    """Credentials in an ``esp32.NVS`` namespace, as two alternately written slots."""

    def __init__(self, esp32_module, namespace="wifiprov"):
        self._nvs = esp32_module.NVS(namespace)
        self._buf = bytearray(RECORD_MAX)

    def _slot(self, key):
        blob = read_blob(self._nvs, key, self._buf)
        return None if blob is None else decode_record(blob)

    def _newest(self):
        """``(index, record)`` of the newest valid slot, or ``(None, None)``; also the slot list."""
        records = [self._slot(key) for key in _SLOTS]
        best = None
        for i, record in enumerate(records):
            if record is not None and (best is None or _newer(record[0], records[best][0])):
                best = i
        return best, records

    def load(self):
        """``(ssid, passphrase)`` as bytes, or ``None`` when nothing is stored."""
        best, records = self._newest()
        if best is None:
            return None
        return records[best][1], records[best][2]

    def save(self, ssid, passphrase):
        """Replace the stored credentials; a crash meanwhile leaves the old or the new pair."""
        ssid = bytes(ssid)
        passphrase = bytes(passphrase)
        best, records = self._newest()
        if best is None:
            seq, target = 1, 0
        else:
            current = records[best]
            if current[1] == ssid and current[2] == passphrase:
                return
            seq, target = current[0] + 1, 1 - best
        self._nvs.set_blob(_SLOTS[target], encode_record(seq, ssid, passphrase))
        self._nvs.commit()

    def erase(self):
        """Forget the credentials: the older slot goes first, so a crash never revives older ones."""
        best, _ = self._newest()
        order = (1, 0) if best == 0 else (0, 1)
        for i in order:
            try:
                self._nvs.erase_key(_SLOTS[i])
            except OSError:  # not there
                continue
            self._nvs.commit()
