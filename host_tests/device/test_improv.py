"""Improv Wi-Fi's protocol core (CPython and MicroPython): frames, serial packets, and the Improv service over
the provisioning manager as an Improv client sees it (states, errors, results, authorization)."""

import unittest

from fakes import Board, FakeAccessPoint
from wifiprov import improv
from wifiprov import manager as mgr

HOME = FakeAccessPoint(b"Home", b"\x10\x20\x30\x40\x50\x60", 6, -48, 3, b"right-pass", connect_ms=2000)
HOME_FAR = FakeAccessPoint(b"Home", b"\x10\x20\x30\x40\x50\x61", 1, -80, 3, b"right-pass")
CAFE = FakeAccessPoint(b"Cafe", b"\x70\x71\x72\x73\x74\x75", 1, -70, 0, None, connect_ms=1500)
HIDDEN = FakeAccessPoint(b"", b"\x01\x01\x01\x01\x01\x01", 11, -30, 6, b"whatever")
INFO = (b"wifiprov", b"0.1.0", b"ESP32", b"PROV_261FCC")
# Improv's states and the errors these tests see
REQUIRED, AUTHORIZED, PROVISIONING, PROVISIONED = 1, 2, 3, 4
UNABLE_TO_CONNECT, UNKNOWN = 3, 0xFF


def frame(command, data=b""):
    """A BLE RPC frame as a client writes it."""
    body = bytes((command, len(data))) + data
    return body + bytes((sum(body) & 0xFF,))


def settings(ssid, passphrase):
    return bytes((len(ssid),)) + ssid + bytes((len(passphrase),)) + passphrase


def packet(packet_type, data):
    """A serial packet as the serial SDK writes it (checksum over every byte, then a newline)."""
    body = b"IMPROV\x01" + bytes((packet_type, len(data))) + data
    return body + bytes((sum(body) & 0xFF, 10))


class Out:
    """What a front door would send the client: ("state", v), ("error", v), ("result", command, strings)."""

    def __init__(self):
        self.sent = []

    def state(self, value):
        self.sent.append(("state", value))

    def error(self, value):
        self.sent.append(("error", value))

    def result(self, command, strings):
        self.sent.append(("result", command, [bytes(s) for s in strings]))

    def take(self):
        sent, self.sent = self.sent, []
        return [item for item in sent if item != ("error", 0)]


def service(serial=False, button=False, url=None, aps=(HOME, HOME_FAR, CAFE, HIDDEN), **settings_):
    settings_.setdefault("security", 0)
    board = Board(aps, **settings_)
    board.manager.start()
    out = Out()
    door = improv.Improv(board.manager, out, serial, INFO, button=button, redirect_url=url, log=board.log)
    return board, door, out


def run(board, door, ms):
    for _ in range(ms // 100):
        board.tick(100)
        door.tick(board.clock.now)


class Frames(unittest.TestCase):
    def test_checksum_is_the_low_byte_of_the_sum(self):
        self.assertEqual(improv.checksum(b"\xff\xff\x03", 3), 0x01)
        self.assertEqual(improv.checksum(b"\xff\xff\x03", 2), 0xFE)

    def test_strings_split_and_refused_when_they_do_not_add_up(self):
        self.assertEqual(improv.split_strings(b"\x02ab\x00\x01c"), [b"ab", b"", b"c"])
        self.assertEqual(improv.split_strings(b""), [])
        self.assertIsNone(improv.split_strings(b"\x03ab"))

    def test_ble_result_is_command_length_strings_checksum(self):
        buf = bytearray(improv.FRAME_MAX)
        n = improv.ble_result(buf, 3, INFO, 512)
        expected = bytes((3, 33, 8)) + b"wifiprov\x050.1.0\x05ESP32\x0bPROV_261FCC"
        self.assertEqual(bytes(buf[:n]), expected + bytes((sum(expected) & 0xFF,)))

    def test_a_scan_result_keeps_the_networks_that_fit(self):
        buf = bytearray(improv.FRAME_MAX)
        strings = [("N%02d" % i).encode() for i in range(3)]
        networks = []
        for name in strings:
            networks += [name, b"-50", b"WPA2"]
        n = improv.ble_result(buf, 4, networks, 20)  # a 23-byte MTU: 20 bytes per notification
        self.assertEqual(improv.split_strings(buf[2 : n - 1]), [b"N00", b"-50", b"WPA2"])
        self.assertEqual(improv.ble_result(buf, 4, networks, 5), 3)  # none fits: the empty result

    def test_other_results_that_do_not_fit_raise(self):
        buf = bytearray(improv.FRAME_MAX)
        with self.assertRaises(ValueError):
            improv.ble_result(buf, 3, INFO, 20)
        with self.assertRaises(ValueError):
            improv.ble_result(buf, 1, [b"x" * 255], 512)

    def test_serial_packet_layout(self):
        buf = bytearray(improv.PACKET_MAX)
        buf[9] = 2
        n = improv.serial_packet(buf, improv.TYPE_STATE, 1)
        body = b"IMPROV\x01\x01\x01\x02"
        self.assertEqual(bytes(buf[:n]), body + bytes((sum(body) & 0xFF,)) + b"\n")

    def test_a_serial_result_never_says_length_ten(self):
        # The serial SDK splits its input on newlines until it has the length byte.
        buf = bytearray(improv.PACKET_MAX)
        end = improv.put_result(buf, 9, 1, [b"http://"])  # 2 + 1 + 7 = 10 bytes
        self.assertEqual(end - 9, 10)
        n = improv.serial_packet(buf, improv.TYPE_RESULT, end - 9)
        self.assertEqual(buf[8], 11)
        self.assertEqual(improv.split_strings(buf[11 : 9 + 11]), [b"http://", b""])
        self.assertEqual(buf[n - 2], improv.checksum(buf, n - 2))
        self.assertEqual(buf[n - 1], 10)
        for length in range(256):
            if length != 10:
                buf2 = bytearray(improv.PACKET_MAX)
                self.assertEqual(improv.serial_packet(buf2, improv.TYPE_RESULT, length), length + 11)


    def test_device_info_names_the_firmware_the_chip_and_the_device(self):
        info = improv.device_info("PROV_1A2B3C")
        self.assertEqual((info[0], info[3]), (b"wifiprov", b"PROV_1A2B3C"))
        self.assertTrue(info[1] and info[2] and b" " not in info[2])  # "ESP32C3" on a board, the platform here


class Reader(unittest.TestCase):
    def feed(self, reader, data):
        results = []
        for byte in data:
            result = reader.feed(byte)
            if result is not None:
                results.append((result, reader.type, bytes(reader.payload or b"")) if result == improv.PACKET
                               else (result,))
        return results

    def test_a_packet_among_console_lines(self):
        reader = improv.PacketReader()
        rpc = bytes((2, 0))
        data = b"I (100) app: hello\r\nIMPO" + packet(improv.TYPE_RPC, rpc) + b"IM" + packet(improv.TYPE_RPC, rpc)
        self.assertEqual(self.feed(reader, data), [(improv.PACKET, 3, rpc), (improv.PACKET, 3, rpc)])

    def test_a_packet_split_anywhere(self):
        data = packet(improv.TYPE_RPC, bytes((1, 6, 3)) + b"ab\x01\x0a")
        for cut in range(1, len(data)):
            reader = improv.PacketReader()
            found = self.feed(reader, data[:cut])
            self.assertEqual(reader.partial, cut < len(data) - 1 and cut > 0 and not found)
            found += self.feed(reader, data[cut:])
            self.assertEqual(found, [(improv.PACKET, 3, bytes((1, 6, 3)) + b"ab\x01\x0a")])

    def test_ctrl_c_outside_a_packet_interrupts_inside_it_is_data(self):
        reader = improv.PacketReader()
        self.assertEqual(self.feed(reader, b"\r\x03"), [(improv.INTERRUPT,)])
        self.assertEqual(self.feed(reader, b"IMP\x03"), [(improv.INTERRUPT,)])
        rpc = bytes((3, 0))  # every RPC packet holds 0x03, its type
        self.assertEqual(self.feed(reader, packet(improv.TYPE_RPC, rpc)), [(improv.PACKET, 3, rpc)])

    def test_bad_checksum_and_other_versions(self):
        reader = improv.PacketReader()
        data = bytearray(packet(improv.TYPE_RPC, b"\x02\x00"))
        data[-2] ^= 1
        self.assertEqual(self.feed(reader, data), [(improv.BAD_PACKET,)])
        data = bytearray(packet(improv.TYPE_RPC, b"\x02\x00"))
        data[6] = 2  # version 2: read to its end (its 0x03 is no Ctrl-C), then dropped
        self.assertEqual(self.feed(reader, data), [])
        self.assertFalse(reader.partial)

    def test_reset_abandons_a_half_packet(self):
        reader = improv.PacketReader()
        self.feed(reader, b"IMPROV\x01\x03\x05")
        self.assertTrue(reader.partial)
        reader.reset()
        self.assertEqual(self.feed(reader, b"\x03"), [(improv.INTERRUPT,)])


class BleService(unittest.TestCase):
    def test_starts_authorized_without_a_button_and_answers_device_info(self):
        board, door, out = service()
        self.assertEqual(door.state, AUTHORIZED)
        door.frame(frame(3), 3)
        self.assertEqual(out.take(), [("result", 3, list(INFO))])

    def test_scan_is_one_result_strongest_first_one_line_per_name_no_hidden(self):
        board, door, out = service()
        door.frame(frame(4), 3)
        self.assertEqual(out.take(), [("result", 4, [b"Home", b"-48", b"WPA2", b"Cafe", b"-70", b"NO"])])

    def test_wrong_password_is_error_3_after_the_attempts_then_the_right_one(self):
        board, door, out = service(wifi_conn_attempts=2)
        data = frame(1, settings(b"Home", b"wrong-pass"))
        door.frame(data, len(data))
        self.assertEqual(out.take(), [("state", PROVISIONING)])
        run(board, door, 20000)
        self.assertEqual(out.take(), [("error", UNABLE_TO_CONNECT), ("state", AUTHORIZED)])
        self.assertEqual([e for e, _ in board.events].count(mgr.EVENT_CRED_FAIL), 1)
        self.assertIn("Wi-Fi attempt 2 of 2 failed: authentication failed", board.log.text())
        self.assertFalse("wrong-pass" in board.log.text())
        data = frame(1, settings(b"Home", b"right-pass"))
        door.frame(data, len(data))
        run(board, door, 4000)
        self.assertEqual(out.take(), [("state", PROVISIONING), ("state", PROVISIONED),
                                      ("result", 1, [])])
        self.assertEqual(board.store.load(), (b"Home", b"right-pass"))
        run(board, door, 1500)  # the client was told: auto-stop after auto_stop_delay_ms, not 30 s
        self.assertTrue(board.manager.done)

    def test_reprovisioning_after_a_success_makes_it_ready_again(self):
        board, door, out = service(auto_stop=False)
        data = frame(1, settings(b"Cafe", b""))
        door.frame(data, len(data))
        run(board, door, 3000)
        self.assertEqual(door.state, PROVISIONED)
        self.assertTrue(board.manager.ctrl_reprov())  # what prov-ctrl Reprov does
        run(board, door, 100)
        self.assertEqual(out.take()[-1], ("state", AUTHORIZED))

    def test_redirect_url_carries_the_address(self):
        board, door, out = service(url="http://{ip}/setup")
        data = frame(1, settings(b"Cafe", b""))
        door.frame(data, len(data))
        run(board, door, 3000)
        self.assertEqual(out.take()[-1], ("result", 1, [b"http://192.168.1.42/setup"]))

    def test_bad_frames_and_unknown_commands(self):
        board, door, out = service()
        bad = bytearray(frame(3))
        bad[2] ^= 0xFF
        door.frame(bad, 3)
        door.frame(frame(3)[:2] + b"\x00\x00", 4)  # the length does not match
        door.frame(frame(3, b"x"), 4)  # device info takes no data
        door.frame(frame(1, b"\x05ab"), 6)  # strings that do not add up
        door.frame(frame(1, settings(b"x" * 33, b"")), 3 + 35)  # an SSID longer than 32 bytes
        door.frame(frame(9), 3)
        self.assertEqual(out.take(), [("error", 1)] * 5 + [("error", 2)])
        self.assertEqual(board.manager.state, mgr.STATE_STARTED)

    def test_every_command_clears_the_error_first(self):
        board, door, out = service()
        door.frame(frame(9), 3)
        door.frame(frame(3), 3)
        self.assertEqual(out.sent[:3], [("error", 0), ("error", 2), ("error", 0)])

    def test_identify_is_a_console_line(self):
        board, door, out = service()
        door.frame(frame(2), 3)
        self.assertEqual(out.take(), [])
        self.assertIn("identify requested", board.log.text())

    def test_settings_while_credentials_are_tried_are_refused(self):
        board, door, out = service()
        data = frame(1, settings(b"Home", b"right-pass"))
        door.frame(data, len(data))
        door.frame(data, len(data))
        self.assertEqual(out.take(), [("state", PROVISIONING), ("error", UNKNOWN)])

    def test_another_clients_attempt_shows_as_provisioning_without_errors(self):
        board, door, out = service(wifi_conn_attempts=1)
        board.manager.set_config(b"Home", b"wrong")
        board.manager.apply_config()
        run(board, door, 4000)
        self.assertEqual(out.take(), [("state", PROVISIONING), ("state", AUTHORIZED)])


class Authorization(unittest.TestCase):
    def test_a_press_authorizes_for_a_minute(self):
        board, door, out = service(button=True)
        self.assertEqual(door.state, REQUIRED)
        door.frame(frame(3), 3)  # device info needs no authorization
        door.frame(frame(4), 3)  # nor does a scan
        data = frame(1, settings(b"Home", b"right-pass"))
        door.frame(data, len(data))
        self.assertEqual([x[:2] for x in out.take()], [("result", 3), ("result", 4), ("error", 4)])
        door.press()
        self.assertEqual(out.take(), [("state", AUTHORIZED)])
        run(board, door, 59000)
        self.assertEqual(out.take(), [])
        run(board, door, 1200)
        self.assertEqual(out.take(), [("state", REQUIRED)])

    def test_a_failure_starts_the_authorization_over(self):
        board, door, out = service(button=True, wifi_conn_attempts=1)
        door.press()
        run(board, door, 58000)
        data = frame(1, settings(b"Home", b"wrong-pass"))
        door.frame(data, len(data))
        while ("error", 3) not in out.sent:  # the attempt outlasts the first minute
            run(board, door, 100)
        self.assertEqual(out.take(), [("state", 2), ("state", 3), ("error", 3), ("state", 2)])
        run(board, door, 59000)
        self.assertEqual(out.take(), [])
        run(board, door, 1200)
        self.assertEqual(out.take(), [("state", REQUIRED)])

    def test_provisioning_closed_by_failed_sessions_needs_authorization(self):
        board, door, out = service()
        gate = [False]
        board.manager.accepting_sessions = lambda: gate[0]
        run(board, door, 100)
        self.assertEqual(out.take(), [("state", REQUIRED)])
        gate[0] = True
        run(board, door, 100)
        self.assertEqual(out.take(), [("state", AUTHORIZED)])


class SerialService(unittest.TestCase):
    def test_current_state_and_scan_one_result_per_network(self):
        board, door, out = service(serial=True, button=True)
        self.assertEqual(door.state, AUTHORIZED)  # the cable is the authorization
        door.command(memoryview(b"\x02\x00"))
        door.command(memoryview(b"\x04\x00"))
        self.assertEqual(out.take(), [("state", 2), ("result", 4, [b"Home", b"-48", b"YES"]),
                                      ("result", 4, [b"Cafe", b"-70", b"NO"]), ("result", 4, [])])

    def test_provisioned_state_answers_with_the_url_again(self):
        board, door, out = service(serial=True, url="http://{ip}")
        door.command(memoryview(b"\x01\x06\x04Cafe\x00"))
        run(board, door, 3000)
        self.assertEqual(out.take()[-1], ("result", 1, [b"http://192.168.1.42"]))
        door.command(memoryview(b"\x02\x00"))
        self.assertEqual(out.take(), [("state", 4), ("result", 2, [b"http://192.168.1.42"])])

    def test_length_byte_must_match(self):
        board, door, out = service(serial=True)
        door.command(memoryview(b"\x02\x01"))
        door.command(memoryview(b"\x02"))
        self.assertEqual(out.take(), [("error", 1), ("error", 1)])
        door.command(memoryview(b"\x07\x00"))  # network state: not implemented
        self.assertEqual(out.take(), [("error", 2)])


if __name__ == "__main__":
    unittest.main()
