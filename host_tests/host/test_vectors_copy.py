"""The repository's copy of the reference vectors is unchanged from ../shared/vectors."""

import hashlib
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COPY = os.path.join(ROOT, "host_tests", "vectors")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "vectors")
NAMES = ("protobuf.json", "sec1.json", "sec2.json", "wifi_flow.json")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_repository_holds_every_vector_file():
    assert sorted(n for n in os.listdir(COPY) if n.endswith(".json")) == sorted(NAMES)


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="no ../shared/vectors beside this clone (a user's clone)")
def test_copy_matches_shared_vectors_byte_for_byte():
    shared = sorted(n for n in os.listdir(SHARED) if n.endswith(".json"))
    assert shared == sorted(NAMES), "shared/vectors gained or lost files: copy them unchanged"
    for name in NAMES:
        assert digest(os.path.join(COPY, name)) == digest(os.path.join(SHARED, name)), name
