"""Simulated ``esp32`` module (only ``NVS``) for the virtual board, persisted in a state directory.

As on the board (PLATFORM.md §A8): i32 and blob values only, names of at most 15
characters, ``get_*`` of a missing key and ``get_blob`` into a too small buffer raise
``OSError``, and nothing survives a restart without ``commit()``. ``configure(path)``
names the host's JSON file holding the committed contents; without it nothing is
persisted. Runs under CPython and on MicroPython.
"""

import json

import hostsys

# ESP-IDF error codes, raised as MicroPython does: OSError(-code, name).
_NOT_FOUND = (0x1102, "ESP_ERR_NVS_NOT_FOUND")
_INVALID_NAME = (0x1106, "ESP_ERR_NVS_INVALID_NAME")
_KEY_TOO_LONG = (0x1109, "ESP_ERR_NVS_KEY_TOO_LONG")
_INVALID_LENGTH = (0x110C, "ESP_ERR_NVS_INVALID_LENGTH")
_VALUE_TOO_LONG = (0x110E, "ESP_ERR_NVS_VALUE_TOO_LONG")
_NAME_MAX = 15
_BLOB_MAX = 508000  # far above what a 24 KiB partition holds; the app never gets close

_path = None
_committed = {}  # namespace -> {key: ["i32", int] | ["blob", hex]}
_working = {}  # the same, including changes not committed yet


def _error(code):
    return OSError(-code[0], code[1])


def configure(path):
    """Keep the committed NVS contents in the JSON file ``path`` (read now if it exists)."""
    global _path, _committed, _working
    _path = path
    _committed = {}
    if path is not None and hostsys.exists(path):
        with hostsys.open_file(path, "r") as f:
            _committed = json.load(f)
    _working = json.loads(json.dumps(_committed))


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise _error(_INVALID_NAME)
    if len(name) > _NAME_MAX:
        raise _error(_KEY_TOO_LONG)


class NVS:
    """``esp32.NVS(namespace)``: one namespace, opened read-write (created if missing)."""

    def __init__(self, namespace):
        _check_name(namespace)
        self._namespace = namespace
        _working.setdefault(namespace, {})

    def _items(self):
        return _working.setdefault(self._namespace, {})

    def _get(self, key, kind):
        _check_name(key)
        item = self._items().get(key)
        if item is None or item[0] != kind:
            raise _error(_NOT_FOUND)
        return item[1]

    def set_i32(self, key, value):
        _check_name(key)
        if not -0x80000000 <= value <= 0x7FFFFFFF:
            raise OverflowError("overflow converting long int to machine word")
        self._items()[key] = ["i32", value]

    def get_i32(self, key):
        return self._get(key, "i32")

    def set_blob(self, key, value):
        _check_name(key)
        data = bytes(value)
        if len(data) > _BLOB_MAX:
            raise _error(_VALUE_TOO_LONG)
        self._items()[key] = ["blob", data.hex()]

    def get_blob(self, key, buffer):
        data = bytes.fromhex(self._get(key, "blob"))
        if len(data) > len(buffer):
            raise _error(_INVALID_LENGTH)
        buffer[: len(data)] = data
        return len(data)

    def erase_key(self, key):
        _check_name(key)
        if self._items().pop(key, None) is None:
            raise _error(_NOT_FOUND)

    def commit(self):
        _committed[self._namespace] = json.loads(json.dumps(self._items()))
        if _path is not None:
            hostsys.write_atomically(_path, json.dumps(_committed))
