"""A small ``unittest`` for MicroPython's unix port, which has none: what host_tests/device and driver.py use."""


class SkipTest(Exception):
    """Raised by ``TestCase.skipTest``: the test is skipped for the reason given."""


class TestResult:
    """Where subtests would record their failures for driver.py; this unittest has no subTest, so they stay empty."""

    def __init__(self):
        self.failures = []
        self.errors = []


class _Raises:
    """``with self.assertRaises(E) as caught``: passes only if the block raises E; ``caught.exception`` is it."""

    def __init__(self, expected):
        self.expected = expected
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            raise AssertionError("%s not raised" % getattr(self.expected, "__name__", self.expected))
        if not issubclass(kind, self.expected):
            return False
        self.exception = value
        return True


class TestCase:
    """Test methods are the ones named ``test*``; ``setUp`` and ``tearDown`` run around each."""

    def setUp(self):
        pass

    def tearDown(self):
        pass

    def skipTest(self, reason):
        raise SkipTest(reason)

    def fail(self, msg=None):
        raise AssertionError(msg or "failed")

    def assertEqual(self, first, second, msg=None):
        if not first == second:
            self.fail(msg or "%r != %r" % (first, second))

    def assertNotEqual(self, first, second, msg=None):
        if first == second:
            self.fail(msg or "%r == %r" % (first, second))

    def assertTrue(self, value, msg=None):
        if not value:
            self.fail(msg or "%r is not true" % (value,))

    def assertFalse(self, value, msg=None):
        if value:
            self.fail(msg or "%r is not false" % (value,))

    def assertIs(self, first, second, msg=None):
        if first is not second:
            self.fail(msg or "%r is not %r" % (first, second))

    def assertIsNone(self, value, msg=None):
        if value is not None:
            self.fail(msg or "%r is not None" % (value,))

    def assertIsNotNone(self, value, msg=None):
        if value is None:
            self.fail(msg or "unexpectedly None")

    def assertIn(self, member, container, msg=None):
        if member not in container:
            self.fail(msg or "%r not found in %r" % (member, container))

    def assertNotIn(self, member, container, msg=None):
        if member in container:
            self.fail(msg or "%r unexpectedly found in %r" % (member, container))

    def assertIsInstance(self, value, kind, msg=None):
        if not isinstance(value, kind):
            self.fail(msg or "%r is not an instance of %r" % (value, kind))

    def assertRaises(self, expected, function=None, *args, **kwargs):
        """As a context manager, or ``assertRaises(E, function, *args)``."""
        raises = _Raises(expected)
        if function is None:
            return raises
        with raises:
            function(*args, **kwargs)
        return raises
