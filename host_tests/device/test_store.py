"""Credential stores: the record format, NVS slots, and a power loss at every step of every update."""

import os
import unittest

from fakes import CRASH_AFTER, CRASH_BEFORE, CRASH_TORN, FakeEsp32, FakeFlash, PowerLoss
from wifiprov import store
from wifiprov.file_store import FileStore
from wifiprov.store import NvsStore

OLD = (b"OldNet", b"old-passphrase")
NEW = (b"NewNet\xe2\x82\xac", b"x" * 63)
MODES = (CRASH_BEFORE, CRASH_TORN, CRASH_AFTER)


def _scratch(name):
    try:
        import tempfile
    except ImportError:  # MicroPython: the runner's file system root is writable
        return "/" + name
    return tempfile.mkdtemp() + "/" + name


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class Record(unittest.TestCase):
    def test_round_trip_and_layout(self):
        data = store.encode_record(0x01020304, b"ab", b"xyz")
        self.assertEqual(data[:12], b"WP\x01\x01\x02\x03\x04\x02ab\x03x")
        self.assertEqual(len(data), 3 + 4 + 1 + 2 + 1 + 3 + 4)
        self.assertEqual(store.decode_record(data), (0x01020304, b"ab", b"xyz"))
        self.assertEqual(store.decode_record(store.encode_record(7, b"", b"")), (7, b"", b""))

    def test_every_damage_is_detected(self):
        data = store.encode_record(9, b"Net", b"pass")
        for cut in range(len(data)):
            self.assertIsNone(store.decode_record(data[:cut]), cut)
        for i in range(len(data)):
            flipped = bytearray(data)
            flipped[i] ^= 0x40
            self.assertIsNone(store.decode_record(flipped), i)
        self.assertIsNone(store.decode_record(data + b"\x00"))

    def test_limits(self):
        store.encode_record(1, b"s" * 32, b"p" * 64)
        with self.assertRaises(ValueError):
            store.encode_record(1, b"s" * 33, b"")
        with self.assertRaises(ValueError):
            store.encode_record(1, b"", b"p" * 65)


class Nvs(unittest.TestCase):
    def test_empty_save_load_erase(self):
        esp32 = FakeEsp32()
        s = NvsStore(esp32)
        self.assertIsNone(s.load())
        s.save(*OLD)
        self.assertEqual(s.load(), OLD)
        self.assertEqual(NvsStore(FakeEsp32(esp32.flash)).load(), OLD)
        s.save(*NEW)
        self.assertEqual(NvsStore(FakeEsp32(esp32.flash)).load(), NEW)
        s.erase()
        self.assertIsNone(s.load())
        self.assertEqual(esp32.flash.committed, {})
        s.erase()

    def test_slots_alternate_and_the_newest_wins(self):
        esp32 = FakeEsp32()
        s = NvsStore(esp32)
        for i in range(5):
            s.save(b"net%d" % i, b"pw")
        self.assertEqual(s.load(), (b"net4", b"pw"))
        slots = sorted(store.decode_record(v)[:2] for v in esp32.flash.committed.values())
        self.assertEqual(slots, [(4, b"net3"), (5, b"net4")])

    def test_sequence_number_wraps(self):
        esp32 = FakeEsp32()
        nvs = esp32.NVS("wifiprov")
        nvs.set_blob("cred0", store.encode_record(0xFFFFFFFF, b"before", b""))
        nvs.set_blob("cred1", store.encode_record(0, b"after", b""))
        nvs.commit()
        s = NvsStore(esp32)
        self.assertEqual(s.load(), (b"after", b""))
        s.save(b"later", b"")
        self.assertEqual(store.decode_record(esp32.flash.committed[("wifiprov", "cred0")])[:2], (1, b"later"))
        self.assertEqual(s.load(), (b"later", b""))

    def test_damaged_or_foreign_slot_is_ignored(self):
        esp32 = FakeEsp32()
        s = NvsStore(esp32)
        s.save(*OLD)
        nvs = esp32.NVS("wifiprov")
        nvs.set_blob("cred1", b"\xff" * 200)  # too long for the read buffer
        nvs.commit()
        self.assertEqual(s.load(), OLD)
        nvs.set_blob("cred1", store.encode_record(50, b"Torn", b"pw")[:-1])
        nvs.commit()
        self.assertEqual(s.load(), OLD)
        s.save(*NEW)
        self.assertEqual(s.load(), NEW)

    def test_saving_the_same_pair_writes_nothing(self):
        esp32 = FakeEsp32()
        s = NvsStore(esp32)
        s.save(*OLD)
        calls = esp32.flash.calls
        s.save(*OLD)
        self.assertEqual(esp32.flash.calls - calls, 2)  # the two slot reads only

    def _crash_every_step(self, history, update, allowed):
        """Save ``history``, then run ``update`` with power lost at each of its NVS calls in each
        way (call skipped, blob torn, call done; pending writes lost or kept); check what survives."""
        checked = 0
        step = 1
        crashed = True
        while crashed:
            for mode in MODES:
                for keep in (False, True):
                    flash = FakeFlash()
                    for pair in history:
                        NvsStore(FakeEsp32(flash)).save(*pair)
                    flash.arm(step, mode)
                    try:
                        update(NvsStore(FakeEsp32(flash)))
                        crashed = False
                    except PowerLoss:
                        crashed = True
                    flash.reboot(keep)
                    after = NvsStore(FakeEsp32(flash))
                    label = "call %d, %s, uncommitted %s" % (step, mode, "kept" if keep else "lost")
                    self.assertIn(after.load(), allowed, label)
                    # The store keeps working after the crash.
                    after.save(b"Later", b"later-pass")
                    self.assertEqual(NvsStore(FakeEsp32(flash)).load(), (b"Later", b"later-pass"), label)
                    checked += 1
            step += 1
        return checked

    def test_power_loss_during_save_leaves_old_or_new(self):
        # Once with one slot in use, once with both (an older record behind the current one).
        checked = self._crash_every_step([OLD], lambda s: s.save(*NEW), (OLD, NEW))
        self.assertTrue(checked >= 18)
        self._crash_every_step([(b"Older", b"p"), OLD], lambda s: s.save(*NEW), (OLD, NEW))

    def test_power_loss_during_first_save_leaves_nothing_or_new(self):
        self._crash_every_step([], lambda s: s.save(*NEW), (None, NEW))

    def test_power_loss_during_erase_leaves_current_or_nothing(self):
        # The older record in the other slot must never come back.
        checked = self._crash_every_step([OLD, NEW], lambda s: s.erase(), (NEW, None))
        self.assertTrue(checked >= 24)
        self._crash_every_step([NEW], lambda s: s.erase(), (NEW, None))


class File(unittest.TestCase):
    def setUp(self):
        self.path = _scratch("wifiprov_creds.bin")
        _remove(self.path)
        _remove(self.path + ".tmp")

    def tearDown(self):
        _remove(self.path)
        _remove(self.path + ".tmp")

    def test_save_load_erase(self):
        s = FileStore(self.path)
        self.assertIsNone(s.load())
        s.save(*OLD)
        self.assertEqual(FileStore(self.path).load(), OLD)
        s.erase()
        self.assertIsNone(s.load())
        s.erase()

    def test_save_replaces(self):
        # (No erase after a replacing rename here: the v1.23 WebAssembly runtime's file system
        # keeps serving a renamed-over file after it is removed.)
        s = FileStore(self.path)
        s.save(*OLD)
        s.save(*NEW)
        self.assertEqual(FileStore(self.path).load(), NEW)
        self.assertIsNone(FileStore(self.path)._read(self.path + ".tmp"))

    def _write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)

    def test_crash_before_the_rename_keeps_the_old_pair(self):
        s = FileStore(self.path)
        s.save(*OLD)
        self._write(self.path + ".tmp", store.encode_record(0, *NEW))
        self.assertEqual(s.load(), OLD)
        self._write(self.path + ".tmp", store.encode_record(0, *NEW)[:20])  # torn temporary file
        self.assertEqual(s.load(), OLD)
        s.save(*NEW)
        self.assertEqual(s.load(), NEW)

    def test_crash_between_remove_and_rename_finds_the_new_pair(self):
        # What a rename that must delete its target first (FAT) leaves behind.
        s = FileStore(self.path)
        self._write(self.path + ".tmp", store.encode_record(0, *NEW))
        self.assertEqual(s.load(), NEW)

    def test_damaged_file_reads_as_nothing(self):
        self._write(self.path, b"garbage")
        self.assertIsNone(FileStore(self.path).load())


if __name__ == "__main__":
    unittest.main()
