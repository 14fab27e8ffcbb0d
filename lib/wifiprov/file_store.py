"""Stored Wi-Fi credentials in a file, for boards or hosts without NVS: the record of ``wifiprov.store``,
replaced through ``<path>.tmp`` and a rename, so a power loss leaves the old or the new pair."""

import os

from wifiprov.store import RECORD_MAX, decode_record, encode_record


class FileStore:
    """Credentials in one file, replaced through ``<path>.tmp`` and a rename."""

    def __init__(self, path):
        self._path = path
        self._tmp = path + ".tmp"

    def _read(self, path):
        try:
            with open(path, "rb") as f:
                data = f.read(RECORD_MAX + 1)
        except OSError:
            return None
        return decode_record(data)

    def load(self):
        """``(ssid, passphrase)`` as bytes, or ``None`` when nothing is stored."""
        # The temporary file only counts when the real one is gone: a rename that had to
        # remove the target first (FAT) was interrupted.
        for path in (self._path, self._tmp):
            record = self._read(path)
            if record is not None:
                return record[1], record[2]
        return None

    def save(self, ssid, passphrase):
        """Replace the stored credentials; a crash meanwhile leaves the old or the new pair."""
        ssid = bytes(ssid)
        passphrase = bytes(passphrase)
        if self.load() == (ssid, passphrase):
            return
        with open(self._tmp, "wb") as f:
            f.write(encode_record(0, ssid, passphrase))
            f.flush()
            sync = getattr(os, "fsync", None)  # CPython only; MicroPython's close() writes through
            if sync is not None:
                sync(f.fileno())
        try:
            os.rename(self._tmp, self._path)
        except OSError:  # a file system whose rename does not replace
            os.remove(self._path)
            os.rename(self._tmp, self._path)

    def erase(self):
        """Forget the credentials (the temporary file first, so it cannot stand in afterwards)."""
        for path in (self._tmp, self._path):
            try:
                os.remove(path)
            except OSError:
                pass
