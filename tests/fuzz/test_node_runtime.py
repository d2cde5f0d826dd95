"""The node runtime, in process, under arbitrary bytes and JSON split at arbitrary reads.

Extends tests/node/test_core_agreement.py (core against core, callbacks only) to the
whole runtime on each backend: the slow path, init, the RPC table, error replies and
the log lines built for all of them.
"""

from __future__ import annotations

from types import ModuleType

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
    check_node,
    check_node_twins,
    run_node,
)
from fuzz.targets import core_module as core_of
from glome import protocol
from glome.errors import RPCError, error_from_body
from glome.node import Node
from support.compiled import require_compiled

RUNTIME_EXAMPLES = budget.inputs(150)
TWIN_EXAMPLES = budget.inputs(100)

streams = st.tuples(
    st.booleans(),
    st.lists(fuzz.lines(NODE_TYPES), max_size=10),
    fuzz.chunk_cuts,
    st.booleans(),
)
#: the core's default, or small enough that lines go over it
line_limits = st.none() | st.integers(0, 400)


def chunked(init_first: bool, lines: list[bytes], cuts: list[int], newline: bool) -> list[bytes]:
    stream = b"\n".join([INIT_LINE, *lines] if init_first else lines)
    return fuzz.split(stream + (b"\n" if newline else b""), cuts)


@pytest.fixture
def core(backend: str) -> ModuleType:
    """The node core of the backend under test, chosen here rather than by the environment."""
    return core_of(backend)


@pytest.mark.timeout(budget.seconds(120))
def test_any_stream_gets_envelopes_and_its_answers(core, inputs) -> None:
    @budget.settings(RUNTIME_EXAMPLES)
    @given(streams, line_limits)
    def attempt(stream: tuple, line_limit: int | None) -> None:
        inputs.tried()
        check_node(core, chunked(*stream), line_limit)

    attempt()
    inputs.report(RUNTIME_EXAMPLES)


def test_a_message_without_msg_id_is_answered_once_without_in_reply_to(core) -> None:
    """What the fuzzer once found the oracle missing: a handler's reply to a message
    that had no ``msg_id`` goes back without ``in_reply_to`` (docs/node.md §2.1), and
    the oracle takes it as that message's answer, one and no more."""
    echo = {"src": "c1", "dest": "n0", "body": {"type": "echo", "echo": None}}
    output = check_node(core, [orjson.dumps(echo) + b"\n"])
    assert output == b'{"src":"n0","dest":"c1","body":{"type":"echo_ok","echo":null}}\n'


@pytest.mark.timeout(budget.seconds(120))
def test_backends_write_the_same_bytes(inputs) -> None:
    require_compiled()

    @budget.settings(TWIN_EXAMPLES)
    @given(streams, line_limits)
    def attempt(stream: tuple, line_limit: int | None) -> None:
        inputs.tried()
        check_node_twins(chunked(*stream), line_limit)

    attempt()
    inputs.report(TWIN_EXAMPLES)


@pytest.mark.parametrize("depth", [990, 1000, 1023])
@pytest.mark.parametrize("where", ["src", "body", "dest"])
def test_nesting_past_the_repr_limit_is_refused_not_fatal(core, where: str, depth: int) -> None:
    """A malformed message nested near orjson's depth limit used to kill the node:
    quoting it in the log ran repr into RecursionError."""
    nested = b"[" * depth + b"]" * depth
    fields = {b"src": b'"c1"', b"dest": b'"n0"', b"body": b'{"type":"echo","msg_id":5}'}
    fields[where.encode()] = nested
    line = b'{"src":%(src)b,"dest":%(dest)b,"body":%(body)b}' % fields
    _, output = _run(core, [INIT_LINE, line])
    replies = output.splitlines()
    if where == "dest":
        assert b'"code":%d' % protocol.MALFORMED_REQUEST in replies[1]
    else:  # no string src, or no msg_id: nobody to answer
        assert len(replies) == 1 and b"init_ok" in replies[0]


def test_a_repeated_init_neither_restarts_hooks_nor_renames(core) -> None:
    """Init hooks start timers; a hostile stream of inits used to add one each time."""
    node = build_node(core)
    node.on_init(lambda: node.every(1.0, lambda: None))
    renamed = INIT_LINE.replace(b'"node_id":"n0"', b'"node_id":"n7"')
    for line in [INIT_LINE, *([INIT_LINE, renamed] * 500)]:
        node._core.feed(line + b"\n")
    replies = node._core.take_output().splitlines()
    assert len(node._timers) == 1 and node.id == "n0"
    assert replies[:3] == [
        b'{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}',
        b'{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}',
        b'{"src":"n0","dest":"c0","body":{"type":"error","code":12,'
        b"\"text\":\"already initialised as 'n0' of ['n0', 'n1']\",\"in_reply_to\":1}}",
    ]
    assert len(replies) == 1001


def _run(core: ModuleType, lines: list[bytes]) -> tuple[Node, bytes]:
    return run_node(core, [line + b"\n" for line in lines])


def test_an_error_reply_with_a_deeply_nested_code_fails_the_rpc_not_the_node(core) -> None:
    """The typed error for a reply whose code is not an integer used to quote the body."""
    code = b"[" * 1000 + b"]" * 1000
    reply = b'{"src":"n1","dest":"n0","body":{"type":"error","code":%b,"in_reply_to":1}}' % code
    ask = b'{"src":"c1","dest":"n0","body":{"type":"ask","msg_id":9}}'
    _, output = _run(core, [INIT_LINE, ask, reply, reply.replace(b":1}", b":2}")])
    answer = orjson.loads(output.splitlines()[-1])
    assert answer["dest"] == "c1" and answer["body"]["in_reply_to"] == 9
    assert answer["body"]["code"] == protocol.CRASH
    assert answer["body"]["text"] == "error reply whose code is list, not an integer"


ERROR_EXAMPLES = budget.inputs(300)


@pytest.mark.timeout(budget.seconds(120))
def test_error_replies_of_any_shape_become_typed_errors(inputs) -> None:
    @budget.settings(ERROR_EXAMPLES)
    @given(
        st.dictionaries(fuzz.any_text, fuzz.json_values, max_size=4),
        fuzz.message_ids | fuzz.json_values,
        fuzz.json_values,
    )
    def attempt(body: dict, code: object, text: object) -> None:
        inputs.tried()
        error = error_from_body({**body, "type": "error", "code": code, "text": text})
        assert isinstance(error, RPCError) and type(error.code) is int
        if type(code) is int:
            assert error.code == code and error.text == (text if type(text) is str else "")
            if -(2**63) <= code < 2**64:  # what orjson reads, and so what a reply can carry
                orjson.dumps(error.body())
        else:
            assert error.code == protocol.CRASH and "not an integer" in error.text
            orjson.dumps(error.body())

    attempt()
    inputs.report(ERROR_EXAMPLES)
