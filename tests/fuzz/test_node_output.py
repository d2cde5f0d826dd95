"""The bench's reading of node output, under arbitrary bytes and JSON.

Extends tests/bench/test_process_parsing.py (hand-picked lines) and
tests/_fast/test_router.py (routing of well-formed lines): ``parse_line``
refuses with NodeOutputError and nothing else, agrees with orjson on every closed
envelope, and the router's bulk line path, compiled and pure, routes exactly the
lines ``parse_line`` reads the same way.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import budget
from fuzz import strategies as fuzz
from fuzz.targets import (
    OUTPUT_IDS,
    check_output_line,
    check_output_twins,
    process_recursion_limit,
)
from glome._fast import load_compiled, load_pure
from glome.bench.process import NodeOutputError, parse_line
from support.compiled import require_compiled

LINE_EXAMPLES = budget.inputs(400)
TWIN_EXAMPLES = budget.inputs(150)

#: deeper lines are the known failure below; these stay under Python's recursion limit
SHALLOW_DEPTH = 400


@st.composite
def output_envelopes(draw: st.DrawFn) -> dict:
    """What a node might print: an envelope with keys dropped, added or made arbitrary."""
    msg = {
        "src": draw(st.sampled_from(OUTPUT_IDS)),
        "dest": draw(st.sampled_from([*OUTPUT_IDS, "ghost"])),
        "body": draw(st.dictionaries(fuzz.any_text, fuzz.json_values, max_size=4)),
    }
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(["src", "dest", "body", "id", "extra"]))
        if draw(st.booleans()):
            msg.pop(key, None)
        else:
            msg[key] = draw(fuzz.json_values | fuzz.message_ids)
    return msg


def shallow(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


output_lines = st.one_of(
    st.builds(fuzz.encode, output_envelopes(), st.booleans()),
    st.builds(fuzz.encode, fuzz.json_values, st.booleans()),
    st.binary(max_size=80).map(lambda data: data.replace(b"\n", b"")),
    # trailing text sends parse_line to its first-value fallback
    st.tuples(
        st.builds(fuzz.encode, output_envelopes(), st.booleans()),
        st.sampled_from([b" x", b" {}", b",", b"}", b" NaN", b"\r"]),
    ).map(b"".join),
    st.integers(0, SHALLOW_DEPTH).map(shallow),
)


@pytest.mark.timeout(budget.seconds(120))
def test_parse_line_refuses_only_with_its_own_error(inputs) -> None:
    @budget.settings(LINE_EXAMPLES)
    @given(output_lines)
    def attempt(line: bytes) -> None:
        inputs.tried()
        check_output_line(line)

    attempt()
    inputs.report(LINE_EXAMPLES)


@pytest.mark.timeout(budget.seconds(120))
def test_bulk_routing_agrees_between_backends_and_with_parse_line(inputs) -> None:
    require_compiled()

    @budget.settings(TWIN_EXAMPLES)
    @given(st.lists(output_lines, max_size=12))
    def attempt(lines: list[bytes]) -> None:
        inputs.tried()
        check_output_twins(lines)

    attempt()
    inputs.report(TWIN_EXAMPLES)


ENVELOPE = b'{"src":"n1","dest":"n2","body":%b}'


@pytest.mark.parametrize(
    "line",
    [shallow(1025), shallow(100_000), ENVELOPE % shallow(2000)],
    ids=["depth-1025", "depth-100000", "body-depth-2000"],
)
def test_deep_nesting_is_refused_as_malformed(line: bytes) -> None:
    with process_recursion_limit(), pytest.raises(NodeOutputError, match="not well-formed"):
        parse_line("n1", line)


@pytest.mark.parametrize(
    "body",
    [
        b'{"text":"\\ud800"} ',  # the trailing space sends it to the fallback
        b'{"big":123456789012345678901234567890, "nan":NaN}',
    ],
    ids=["lone-surrogate", "integer-past-64-bits"],
)
def test_what_parse_line_accepts_can_be_delivered(body: bytes, backend: str) -> None:
    try:
        src, dest, parsed = parse_line("n1", ENVELOPE % body)
    except NodeOutputError:
        return  # refusing the line is as good as delivering it
    loader = load_compiled if backend == "compiled" else load_pure
    router = loader("router").Router(lambda when, callback: None, 0, None, None, lambda: 0)
    for node_id in (src, dest):
        router.add(node_id, None, False, True)
    assert router.send(src, dest, parsed, None) == 0
    assert router.drain(dest)[0].startswith(b'{"id":0')
