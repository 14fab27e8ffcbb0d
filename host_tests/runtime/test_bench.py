"""`make bench` runs end to end (under CPython here; timings are reported, never asserted)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_benchmark_script_runs_and_reports_both_handshakes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "scripts", "devsim"), os.path.join(ROOT, "lib")]))
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "bench_handshakes.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("sec1 ") for line in lines), result.stdout
    assert any(line.startswith("sec2 ") for line in lines), result.stdout
    assert "unit = pow(5, b, N)" in result.stdout
