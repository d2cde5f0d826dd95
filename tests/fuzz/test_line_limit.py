"""An input line over the core's ``line_limit`` is cut, reported and skipped, on both
backends and wherever the reads split it; a line that never ends costs bounded memory."""

from __future__ import annotations

import tracemalloc
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import budget
from fuzz import strategies as fuzz
from fuzz.targets import (
    INIT_LINE,
    NODE_TYPES,
    build_node,
    core_module,
    logging_everything,
    resident_bytes,
)
from glome import protocol

ORACLE_EXAMPLES = budget.inputs(300)


@pytest.fixture
def core(backend: str) -> ModuleType:
    return core_module(backend)


def expected(stream: bytes, limit: int) -> list[tuple[str, Any]]:
    """What a core that has no node id yet reports for ``stream``, line by line."""
    events: list[tuple[str, Any]] = []
    segments = stream.split(b"\n")
    if not segments[-1]:
        segments.pop()  # nothing after the last newline
    for line in segments:
        if len(line) > limit:
            events.append(("invalid", line[:limit]))
            continue
        try:
            events.append(("slow", orjson.loads(line)))
        except orjson.JSONDecodeError:
            events.append(("invalid", line))
    return events


long_lines = st.builds(
    lambda byte, count: byte * count, st.sampled_from([b"x", b"{"]), st.integers(0, 700)
)


@pytest.mark.timeout(budget.seconds(120))
def test_lines_over_the_limit_are_cut_wherever_reads_split_them(core, inputs) -> None:
    @budget.settings(ORACLE_EXAMPLES)
    @given(
        st.lists(fuzz.lines(NODE_TYPES) | long_lines, max_size=8),
        fuzz.chunk_cuts,
        st.integers(0, 300),
        st.booleans(),
    )
    def attempt(lines: list[bytes], cuts: list[int], limit: int, newline: bool) -> None:
        inputs.tried()
        stream = b"\n".join(lines) + (b"\n" if newline else b"")
        events: list[tuple[str, Any]] = []
        instance = core.Core(
            lambda msg: events.append(("slow", msg)),
            lambda line: events.append(("invalid", line)),
            lambda msg, exc: events.append(("failed", msg)),
        )
        instance.line_limit = limit
        for chunk in fuzz.split(stream, cuts):
            instance.feed(chunk)
        instance.finish()
        assert events == expected(stream, limit)

    attempt()
    inputs.report(ORACLE_EXAMPLES)


LIMIT = 4096
ENDLESS = 32 << 20  # bytes of one line, fed in reads of 64 KiB


def test_a_line_that_never_ends_is_answered_and_costs_bounded_memory(core) -> None:
    node = build_node(core)
    node._core.line_limit = LIMIT
    head = b'{"src":"c1","dest":"n0","body":{"msg_id":5,"type":"echo","echo":"'
    read = b"x" * (64 << 10)
    resident = resident_bytes()
    tracemalloc.start()
    try:
        with logging_everything():
            node._core.feed(INIT_LINE + b"\n" + head)
            for _ in range(ENDLESS // len(read)):
                node._core.feed(read)
            node._core.feed(
                b'"}}\n{"src":"c1","dest":"n0","body":{"type":"echo","echo":1,"msg_id":6}}\n'
            )
        peak = tracemalloc.get_traced_memory()[1]
        grown = resident_bytes() - resident
    finally:
        tracemalloc.stop()
    replies = [orjson.loads(line)["body"] for line in node._core.take_output().splitlines()]
    assert replies == [
        {"type": "init_ok", "in_reply_to": 1},
        {
            "type": "error",
            "code": protocol.MALFORMED_REQUEST,
            "text": f"the request is longer than {LIMIT} bytes",
            "in_reply_to": 5,
        },
        {"type": "echo_ok", "echo": 1, "in_reply_to": 6},
    ]
    assert peak < 1 << 20, peak  # the pure core's tail (the compiled one's is malloc'd)
    assert grown < ENDLESS // 4, grown
