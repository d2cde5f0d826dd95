"""Property: the compiled and pure cores agree on any byte stream, split anywhere."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome import _fast
from support.compiled import compiled_module
from support.core_driver import drive

try:
    COMPILED = _fast.load_compiled("node")
except ImportError:  # the fixture below reports the missing build; these tests need both
    COMPILED = None
PURE = _fast.load_pure("node")


@pytest.fixture(autouse=True)
def _both_cores() -> None:
    """Every test here compares the two cores: without the compiled one it skips,
    and fails where the build is required (CI); only the node module's build counts."""
    compiled_module("node")


def handlers() -> dict[str, Any]:
    return {
        "echo": lambda msg: {"type": "echo_ok", "echo": msg["body"].get("echo")},
        "quiet": lambda msg: None,
        "boom": lambda msg: msg["body"]["missing"],
        "list": lambda msg: [1],
        "empty": lambda msg: {},
        "odd": lambda msg: {"type": "odd_ok", "in_reply_to": "mine"},
    }


def run(module, chunks: list[bytes], node_id: str | None) -> list[Any]:
    return drive(module, chunks, handlers(), node_id)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
HANDLED_TYPES = ["echo", "quiet", "boom", "list", "empty", "odd", "nope"]
NEAR_INTEGERS = [True, False, 1.0, "1", None]  # what must not pass for a msg_id


@st.composite
def near_requests(draw: st.DrawFn) -> bytes:
    """A well-formed request with up to three keys dropped or given arbitrary values."""
    body = {
        "type": draw(st.sampled_from(HANDLED_TYPES)),
        "msg_id": draw(st.integers(-(2**63), 2**64 - 1) | st.sampled_from(NEAR_INTEGERS)),
        "echo": draw(json_values),
    }
    msg = {"id": 1, "src": draw(st.sampled_from(["c1", "n2", 'we"ird\u2028'])), "dest": "n0"}
    msg["body"] = body
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from([msg, body]))
        key = draw(st.sampled_from([*sorted(target), "in_reply_to"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return orjson.dumps(msg)


lines = near_requests() | json_values.map(orjson.dumps) | st.binary(max_size=40)


def split(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    edges = [0, *points, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(lines, max_size=12),
    st.lists(st.integers(0, 10_000), max_size=8),
    st.sampled_from(["n0", None, 'n"0']),
    st.booleans(),
)
def test_compiled_and_pure_cores_agree(line_list, cuts, node_id, trailing_newline):
    stream = b"\n".join(line_list) + (b"\n" if trailing_newline else b"")
    chunks = split(stream, cuts)
    assert run(COMPILED, chunks, node_id) == run(PURE, chunks, node_id)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=10))
def test_agree_on_raw_bytes(stream, cuts):
    chunks = split(stream, cuts)
    assert run(COMPILED, chunks, "n0") == run(PURE, chunks, "n0")
