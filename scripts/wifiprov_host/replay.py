"""A device stand-in that replays a recorded transcript: each request must match byte for byte.

Plug it into :class:`~wifiprov_host.transport_memory.MemoryTransport`; a recorded
response of ``None`` is the protocol failure. Used to replay the reference vectors and
to check a captured ``-v`` trace offline.
"""


class ReplayMismatch(AssertionError):
    """The client sent something other than the transcript's next request."""


def _first_difference(a, b):
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


class ReplayDevice:
    """Answers ``exchanges`` = ``[(endpoint, request_bytes, response_bytes_or_None), ...]`` in order."""

    def __init__(self, exchanges):
        self.pending = list(exchanges)
        self.done = 0
        self.error = None

    def handle(self, session_id, endpoint, data):
        """Check the request against the transcript; return the recorded response."""
        if not self.pending:
            self._fail("exchange %d: unexpected extra request to %s: %s" % (self.done, endpoint, bytes(data).hex()))
        want_endpoint, want_request, response = self.pending[0]
        if endpoint != want_endpoint:
            self._fail("exchange %d: request went to %s, transcript has %s" % (self.done, endpoint, want_endpoint))
        if bytes(data) != bytes(want_request):
            offset = _first_difference(bytes(data), bytes(want_request))
            self._fail("exchange %d (%s): request differs at byte %d (length %d, expected %d)\n  got      %s\n  expected %s"
                       % (self.done, endpoint, offset, len(data), len(want_request), bytes(data).hex(),
                          bytes(want_request).hex()))
        self.pending.pop(0)
        self.done += 1
        return response

    def assert_finished(self):
        """Raise unless every recorded exchange was used and none mismatched."""
        if self.error is not None:
            raise ReplayMismatch(self.error)
        if self.pending:
            raise ReplayMismatch("%d recorded exchange(s) never requested, next: %s"
                                 % (len(self.pending), self.pending[0][0]))

    def _fail(self, message):
        if self.error is None:
            self.error = message
        raise ReplayMismatch(message)
