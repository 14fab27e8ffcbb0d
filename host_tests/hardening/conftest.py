"""Hardening suite set-up: the hypothesis profile (seeded CI budget, or ``WIFIPROV_FUZZ=<factor>``
for a longer random campaign) and the report of how many examples each property ran."""

import json
import os

import fuzzlib


def pytest_terminal_summary(terminalreporter):
    if not fuzzlib.TRIED:
        return
    mode = "fuzz x%d (random seeds)" % fuzzlib.FUZZ_FACTOR if fuzzlib.FUZZ_FACTOR else "CI (seeded)"
    terminalreporter.section("hardening: examples tried, %s" % mode)
    for name, count in sorted(fuzzlib.TRIED.items()):
        terminalreporter.write_line("%8d  %s" % (count, name))
    terminalreporter.write_line("%8d  in total" % sum(fuzzlib.TRIED.values()))
    if fuzzlib.MEASURED:
        terminalreporter.section("hardening: worst values measured")
        for name, value in sorted(fuzzlib.MEASURED.items()):
            terminalreporter.write_line("%10s  %s" % (("%.2f" % value) if isinstance(value, float) else value, name))
    report = os.environ.get("WIFIPROV_FUZZ_REPORT")
    if report:
        with open(report, "w") as f:
            json.dump({"tried": fuzzlib.TRIED, "measured": fuzzlib.MEASURED}, f, indent=1, sort_keys=True)
