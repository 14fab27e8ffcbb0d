"""The example application (main.py) in ``asyncio.run`` (CPython and MicroPython's unix port): it hands its
``custom-data`` endpoint to ``wifiprov.provision()``, then says hello every second and reports link changes.
The WebAssembly runner has no ``asyncio.run`` (nor main.py): skipped there."""

import sys
import unittest

from devtest import repo_root

try:
    import asyncio

    _run = asyncio.run
except (ImportError, AttributeError):
    _run = None

_IP = "192.168.1.42"


class _Station:
    """``WLAN(STA_IF)``: ``isconnected()`` answers ``links`` one by one, then keeps the last answer."""

    def __init__(self, links):
        self.links = list(links)

    def isconnected(self):
        return self.links.pop(0) if len(self.links) > 1 else self.links[0]

    def ifconfig(self):
        return (_IP, "255.255.255.0", "192.168.1.1", "192.168.1.1")


class _Network:
    """The ``network`` module main.py sees."""

    STA_IF = 0

    def __init__(self, links):
        self.station = _Station(links)

    def WLAN(self, interface):
        return self.station


class MainApp(unittest.TestCase):
    def setUp(self):
        if _run is None:
            self.skipTest("no asyncio.run on this port")
        self.saved = {name: sys.modules.get(name) for name in ("main", "network")}
        self.saved_path = list(sys.path)
        sys.path.append(repo_root())
        self.lines = []

    def tearDown(self):
        sys.path[:] = self.saved_path
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def _main(self, links):
        """main.py imported against a ``network`` whose station link goes through ``links``; its log kept."""
        sys.modules.pop("main", None)
        sys.modules["network"] = _Network(links)
        import main

        main.log = self.lines.append
        return main

    def _run_for(self, coro, seconds):
        async def bounded():
            task = asyncio.create_task(coro)
            await asyncio.sleep(seconds)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

        _run(bounded())

    def test_work_waits_for_the_link_then_says_hello_and_reports_changes(self):
        # isconnected(): twice not yet, then up (announced), hello, down, hello, up again.
        main = self._main([False, False, True, False, True])
        self._run_for(main.work(False), 2.5)
        self.assertEqual(self.lines[:5], ["Connected with IP Address:" + _IP, "Hello World!",
                                          "Disconnected. Connecting to the AP again...", "Hello World!",
                                          "Connected with IP Address:" + _IP])

    def test_work_after_provisioning_does_not_announce_the_address_again(self):
        main = self._main([True])
        self._run_for(main.work(True), 0.5)
        self.assertEqual(self.lines, ["Hello World!"])

    def _main_provisioning(self, main, outcome):
        """Run main.main() with ``wifiprov.provision()`` answering ``outcome``; returns what each step was given."""
        calls = []

        async def provision(endpoints=()):
            calls.append(list(endpoints))
            return outcome

        async def work(announced):
            calls.append(announced)

        import wifiprov

        saved_provision = wifiprov.provision
        wifiprov.provision, main.work = provision, work
        try:
            _run(main.main())
        finally:
            wifiprov.provision = saved_provision
        return calls

    def test_main_serves_custom_data_while_provisioning_then_works(self):
        main = self._main([True])
        self.assertEqual(self._main_provisioning(main, True), [[("custom-data", main.custom_data)], True])
        self.assertEqual(main.custom_data(1, b"hi\n"), b"SUCCESS\x00")
        self.assertEqual(self.lines, ["Received data: hi\\x0a"])  # client text cannot start a console line

    def test_main_stops_when_the_settings_are_bad(self):
        main = self._main([True])
        self.assertEqual(self._main_provisioning(main, None), [[("custom-data", main.custom_data)]])


if __name__ == "__main__":
    unittest.main()
