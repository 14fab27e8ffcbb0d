"""The fuzz corpus on the real MicroPython (v1.27 and v1.23, WebAssembly): hostile bytes through the
codec and hostile requests through a security-0 provisioning manager must give, case by case,
exactly what CPython gives — and nothing but ``CodecError`` may leave the codec, nothing at all
may leave protocomm. (The properties themselves are fuzzed under CPython in test_fuzz_codec.py
and test_fuzz_protocomm.py; this carries a seeded sample of the same inputs over to MicroPython.)"""

import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import devicelib
import fuzzlib
from fuzzlib import ENDPOINT_MESSAGE, MESSAGE_NAMES, TABLES, examples, tried
from test_fuzz_codec import WORST_CASES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(ROOT, "host_tests", "mp_runner", "run.mjs")
NODE = shutil.which("node")


def _collect(strategy, count):
    """``count`` seeded draws of ``strategy`` (hypothesis in its CI profile: the same every run)."""
    found = []

    @settings(max_examples=count, phases=[Phase.generate])
    @given(strategy)
    def collect(value):
        found.append(value)

    collect()
    return found


def _request_cases(draw):
    endpoint = draw(st.sampled_from(devicelib.ENDPOINTS + ("prov-nothing",)))
    message = ENDPOINT_MESSAGE.get(endpoint)
    seeds = {"prov-config": devicelib.config_seeds(), "prov-scan": devicelib.scan_seeds(),
             "prov-ctrl": devicelib.ctrl_seeds()}.get(endpoint, [b"ESP"])
    if message is None:
        return endpoint, draw(st.binary(max_size=80))
    seed = st.sampled_from(seeds)
    return endpoint, draw(st.one_of(seed, fuzzlib.mutated(TABLES[message], seed), st.binary(max_size=200)))


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mpfuzz")
    codec = _collect(st.sampled_from(MESSAGE_NAMES).flatmap(lambda n: st.tuples(st.just(n), fuzzlib.hostile(n))),
                     examples(1500))
    codec += [(name, data) for name, data in WORST_CASES]
    requests = _collect(st.composite(lambda draw: _request_cases(draw))(), examples(600))
    # One string literal, parsed at run time: v1.23 runs out of parser stack on a long list literal.
    lines = ["c %s %s" % (name, bytes(data).hex()) for name, data in codec]
    lines += ["r %s %s" % (endpoint, bytes(data).hex()) for endpoint, data in requests]
    with open(folder / "corpus.py", "w") as f:
        f.write('DATA = """\n%s\n"""\n' % "\n".join(lines))
    shutil.copy(os.path.join(HERE, "mp_fuzz_target.py"), folder / "mp_fuzz_target.py")
    return folder, (len(codec), len(requests))


def _lines(output):
    lines = output.splitlines()
    assert lines and lines[-1] == "done", output[-2000:]
    return lines[:-1]


@pytest.fixture(scope="module")
def cpython_lines(corpus_dir):
    corpus_dir = corpus_dir[0]
    paths = [os.path.join(ROOT, "scripts", "devsim"), os.path.join(ROOT, "lib"),
             os.path.join(ROOT, "host_tests", "device"), str(corpus_dir)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    done = subprocess.run([sys.executable, str(corpus_dir / "mp_fuzz_target.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return _lines(done.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("version", ["new", "old"])
def test_corpus_on_micropython_matches_cpython(corpus_dir, cpython_lines, version):
    corpus_dir, (codec, requests) = corpus_dir
    done = subprocess.run([NODE, RUNNER, "--mp", version, "--script", str(corpus_dir / "mp_fuzz_target.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = _lines(done.stdout)
    escaped = [line for line in lines + cpython_lines if "ESCAPED" in line]
    assert not escaped, escaped[:10]
    differ = [(a, b) for a, b in zip(lines, cpython_lines) if a != b]
    assert not differ and len(lines) == len(cpython_lines), differ[:10]
    tried("micropython %s: codec cases" % version, codec)
    tried("micropython %s: protocomm requests (sec0 manager)" % version, requests)
