"""How a run talks to the user: readable lines, or one JSON object per step on stdout (``--json``)."""

import json


class Reporter:
    """Step reports to ``stdout``; warnings and ``-v`` exchange traces to ``stderr`` (JSON mode: all on stdout)."""

    def __init__(self, stdout, stderr, json_mode=False, verbose=False):
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.verbose = verbose

    def step(self, step, text, **fields):
        """Report one step: ``text`` for people, ``{"step": step, **fields}`` for scripts."""
        if self.json_mode:
            self._json(dict(step=step, **fields))
        else:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def warn(self, text):
        """A problem that does not stop the run."""
        if self.json_mode:
            self._json({"step": "warning", "message": text})
        else:
            self.stderr.write("warning: %s\n" % text)
            self.stderr.flush()

    def exchange(self, endpoint, request, response, plain_request, plain_response):
        """Trace one request/response pair (only with ``-v``)."""
        if not self.verbose:
            return
        fields = {"endpoint": endpoint, "request_hex": request.hex(), "response_hex": response.hex()}
        if plain_request is not None:
            fields["request_plain_hex"] = plain_request.hex()
            fields["response_plain_hex"] = plain_response.hex()
        if self.json_mode:
            self._json(dict(step="exchange", **fields))
            return
        lines = ["-> %s %s" % (endpoint, fields["request_hex"])]
        if plain_request is not None:
            lines.append("   (plain %s)" % fields["request_plain_hex"])
        lines.append("<- %s %s" % (endpoint, fields["response_hex"]))
        if plain_request is not None:
            lines.append("   (plain %s)" % fields["response_plain_hex"])
        self.stderr.write("\n".join(lines) + "\n")
        self.stderr.flush()

    def _json(self, obj):
        # ASCII only: device strings may hold bidi or line-separator characters a terminal would obey.
        self.stdout.write(json.dumps(obj) + "\n")
        self.stdout.flush()
