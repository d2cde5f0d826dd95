"""The compiled node core reads envelopes and plain bodies, and writes plain replies, itself:
it must decode every line to the very dict orjson makes of it (keys, order, values) and
write every body byte for byte as orjson writes it, or leave the line or body to orjson.

Each test feeds the compiled core and its pure twin (which uses orjson for all of it)
the same input and compares everything they hand on: messages, with key order,
callbacks, errors and output bytes.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from glome.errors import MalformedRequest
from support.compiled import compiled_module
from support.core_driver import drive

SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: orjson's own nesting limit: the envelope's body sits one level below the line
ORJSON_NESTING_LIMIT = 1024


@pytest.fixture
def twins() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure) node cores; only the node module's own build decides the skip."""
    return compiled_module("node"), load_pure("node")


def ordered(value: Any) -> list[Any]:
    """``value`` as a flat list of tokens in which key order and types take part in ``==``
    (flat, so that values nested a thousand deep compare too)."""
    tokens: list[Any] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is dict:
            tokens.append(("dict", list(item)))
            pending.extend(reversed(list(item.values())))
        elif type(item) is list:
            tokens.append(("list", len(item)))
            pending.extend(reversed(item))
        else:
            tokens.append((type(item).__name__, item))
    return tokens


def handle(
    module: ModuleType,
    chunks: list[bytes],
    node_id: str | None = "n0",
    mirrors: dict[str, tuple[str, tuple[str, ...]]] | None = None,
) -> list[Any]:
    """Everything a core hands on for ``chunks`` (see ``drive``), and the messages its
    handlers got; an "echo" in ``mirrors`` is mirrored, not recorded."""
    events: list[Any] = []

    def record(kind: str) -> Any:
        def handler(msg: dict[str, Any]) -> Any:
            events.append((kind, ordered(msg)))
            body = msg["body"]
            return body.get("reply", {"type": f"{kind}_ok", "got": body})

        return handler

    handlers = {kind: record(kind) for kind in ("echo", "gossip", "read")}
    return drive(module, chunks, handlers, node_id, mirrors, show=ordered, events=events)


def agree(twins: tuple[ModuleType, ModuleType], chunks: list[bytes], **options: Any) -> None:
    compiled, pure = twins
    assert handle(compiled, chunks, **options) == handle(pure, chunks, **options)


# --- JSON text written in many ways -------------------------------------------------

spaces = st.sampled_from(["", "", " ", "\t", "\r", "  \t"])
plain_texts = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=6)
texts = st.one_of(plain_texts, st.text(max_size=4), st.sampled_from(['a"b', "a\\b", "é", "\x7f"]))
integers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([10**17, 10**18 - 1, 10**18, -(10**18), 2**64, -(2**63) - 1]),
)
scalars = st.one_of(
    st.none(), st.booleans(), integers, st.floats(allow_nan=False), texts, plain_texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def json_text(draw: st.DrawFn, value: Any) -> str:
    """``value`` as JSON text with arbitrary whitespace, escapes and number spellings."""
    space = draw(spaces)
    if isinstance(value, dict):
        items = [
            f"{draw(json_text(key))}{draw(spaces)}:{draw(spaces)}{draw(json_text(item))}"
            for key, item in value.items()
        ]
        return "{" + space + f"{draw(spaces)},".join(items) + draw(spaces) + "}"
    if isinstance(value, list):
        return "[" + space + ",".join(draw(json_text(item)) + draw(spaces) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    if type(value) is int and draw(st.booleans()):
        return draw(st.sampled_from([f"{value}.0", f"{value}e0", f"{value}E+0"]))
    return json.dumps(value)


@st.composite
def envelopes(draw: st.DrawFn) -> bytes:
    """A message line as Maelstrom writes it, or written some other way: keys reordered,
    repeated or extra, values of other types, whitespace anywhere, bytes cut off."""
    body = draw(st.dictionaries(texts, json_values, max_size=3))
    body["type"] = draw(st.sampled_from(["echo", "gossip", "read", "other", 7]))
    if draw(st.booleans()):
        body["msg_id"] = draw(st.one_of(integers, st.sampled_from([None, True, 1.0, "1"])))
    if draw(st.integers(0, 9)) == 0:
        body["in_reply_to"] = 1
    if draw(st.integers(0, 4)) == 0:
        body["reply"] = draw(json_values)
    fields: list[tuple[str, Any]] = [
        ("id", draw(st.one_of(integers, st.just(1.5)))),
        ("src", draw(st.sampled_from(["c1", "n2", "lin-kv", "", 'c"1', "né", 5]))),
        ("dest", draw(st.sampled_from(["n0", "n1", 'n"0']))),
    ]
    fields = draw(st.permutations(fields))
    for _ in range(draw(st.integers(0, 2))):
        fields.pop(draw(st.integers(0, len(fields) - 1)))
    if draw(st.integers(0, 5)) == 0:
        fields.append((draw(st.sampled_from(["id", "src", "extra"])), draw(json_values)))
    position = len(fields) if draw(st.integers(0, 4)) else draw(st.integers(0, len(fields)))
    fields.insert(position, ("body", body))
    items = [f"{draw(json_text(key))}:{draw(spaces)}{draw(json_text(v))}" for key, v in fields]
    line = (draw(spaces) + "{" + ",".join(items) + "}" + draw(spaces)).encode()
    if draw(st.integers(0, 9)) == 0:
        line = line[: draw(st.integers(0, len(line)))]
    return line


@SETTINGS
@given(st.lists(envelopes(), max_size=6), st.sampled_from(["n0", None]))
def test_envelopes_are_decoded_as_orjson_decodes_them(twins, lines, node_id):
    agree(twins, [b"\n".join(lines) + b"\n"], node_id=node_id)


@SETTINGS
@given(envelopes())
def test_the_decoded_message_is_orjsons(twins, line):
    """Not only do the twins agree: a handled message is exactly ``orjson.loads(line)``."""
    events = handle(twins[0], [line + b"\n"])
    handled = [event[1] for event in events if event[0] in ("echo", "gossip", "read", "slow")]
    if handled:
        assert handled == [ordered(orjson.loads(line))]


@pytest.mark.parametrize("depth", [30, 31, 32, 33, 1022, 1023, 1024, 1025])
def test_deep_bodies(twins, depth):
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        echo = opener * depth + "1" + closer * depth
        head = b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":1,"echo":'
        agree(twins, [head + echo.encode() + b"}}\n"])


def test_long_envelope_values_and_texts(twins):
    long_text = "x" * 5000
    line = orjson.dumps(
        {"id": 10**17, "src": "c" * 70, "dest": "n0", "body": {"type": "echo", long_text: 1}}
    )
    agree(twins, [line + b"\n"])


# --- replies and sends -----------------------------------------------------------------

bodies = st.dictionaries(st.one_of(texts, st.integers(0, 3)), json_values, max_size=4)


class SubclassedDict(dict):  # type: ignore[type-arg]
    pass


odd_values = st.sampled_from(
    [(1, 2), SubclassedDict(a=1), 2**64, -(2**63) - 1, float("nan"), object(), {1: 2}]
)
maybe_odd_bodies = st.one_of(
    bodies,
    st.builds(lambda body, odd: {**body, "odd": odd}, bodies, odd_values),
    st.builds(lambda odd: {"deep": [[[[[[[[odd]]]]]]]]}, odd_values),
)


def outcome(module: ModuleType, steps: list[tuple[str, Any, Any, Any]]) -> list[Any]:
    core = module.Core(print, print, print)
    core.set_node_id("n0")
    seen: list[Any] = []
    for how, dest, msg_id, body in steps:
        try:
            if how == "send":
                core.send(dest, body)
            else:
                core.reply_to(dest, msg_id, body)
            seen.append(core.take_output())
        except Exception as exc:
            seen.append((type(exc).__name__, str(exc), core.pending))
    return seen


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["send", "reply"]),
            st.sampled_from(["c1", "c1", "n1", 'c"2', 3]),
            st.one_of(st.none(), integers),
            maybe_odd_bodies,
        ),
        max_size=8,
    )
)
def test_replies_and_sends_are_written_as_orjson_writes_them(twins, steps):
    compiled, pure = twins
    assert outcome(compiled, steps) == outcome(pure, steps)


def test_a_deep_body_is_written_by_orjson(twins):
    deep: Any = 1
    for _ in range(40):
        deep = {"a": [deep]}
    steps = [("send", "c1", None, {"type": "x"}), ("send", "c1", None, {"deep": deep})]
    compiled, pure = twins
    assert outcome(compiled, steps) == outcome(pure, steps)


def test_every_character_is_written_as_orjson_writes_it(twins):
    text = "".join(map(chr, range(200)))
    steps = [("send", "c1", None, {"type": "x"})]
    steps += [("reply", "c1", 5, {character: character}) for character in text]
    compiled, pure = twins
    assert outcome(compiled, steps) == outcome(pure, steps)


# --- mirrored requests -------------------------------------------------------------------


@st.composite
def mirrored_requests(draw: st.DrawFn) -> bytes:
    """A request to a mirrored type: mostly compact, as Maelstrom writes it (which the
    compiled core answers by copying bytes), with now and then an entry spelled in a way
    it must leave to the general path (whitespace, escapes, ``-0``, floats, objects) or a
    body it must not copy (a repeated key, ``in_reply_to``, no ``msg_id``, many keys)."""
    entries = draw(st.lists(st.tuples(texts, json_values), max_size=draw(st.sampled_from([3, 9]))))
    entries.append(("type", draw(st.sampled_from(["mirror", "mirror", "echo", "other"]))))
    if draw(st.integers(0, 5)):
        entries.append(("msg_id", draw(st.one_of(integers, st.sampled_from([-0, "1", 1.0])))))
    if draw(st.integers(0, 9)) == 0:
        entries.append(draw(st.sampled_from([("in_reply_to", 3), ("type", "mirror")])))
    entries = draw(st.permutations(entries))
    pieces = []
    for key, value in entries:
        if draw(st.integers(0, 5)):
            value_text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            value_text = draw(st.sampled_from(["-0", "[1,-0]", "1.5", '"\\u0041"', "[1, 2]"]))
            value_text = draw(st.sampled_from([value_text, draw(json_text(value))]))
        pieces.append(json.dumps(key, ensure_ascii=False) + ":" + value_text)
    src = draw(st.sampled_from(["c1", "c2", "n1", 'c"1', "né"]))
    head = '{"id":' + str(draw(integers)) + ',"src":' + json.dumps(src) + ',"dest":"n0"'
    return (head + ',"body":{' + ",".join(pieces) + "}}").encode()


@SETTINGS
@given(
    st.lists(mirrored_requests(), min_size=1, max_size=6),
    st.sampled_from(["mirror_ok", "echo_ok", "né_ok", 'say "ok"', ""]),
    st.sampled_from([(), ("a",), ("", "é"), ("type", "msg_id")]),
    st.booleans(),
)
def test_mirrored_requests_are_answered_as_the_pure_twin_answers_them(
    twins, lines, reply_type, required, echo_too
):
    """Failures included: a request without a required key is malformed in both."""
    mirrors = {"mirror": (reply_type, required)}
    if echo_too:
        mirrors["echo"] = ("echo_ok", ("echo",))
    agree(twins, [b"\n".join(lines) + b"\n"], mirrors=mirrors)


def test_a_mirrored_request_is_answered_with_its_own_body_retyped(twins):
    line = b'{"id":4,"src":"c1","dest":"n0","body":{"echo":"hi","type":"echo","msg_id":7,"n":[1]}}'
    for module in twins:
        events = handle(module, [line + b"\n"], mirrors={"echo": ("echo_ok", ())})
        reply = orjson.loads(events[0][1])
        assert reply == {
            "src": "n0",
            "dest": "c1",
            "body": {"echo": "hi", "type": "echo_ok", "n": [1], "in_reply_to": 7},
        }


def test_a_handler_registered_later_replaces_a_mirror(twins):
    line = b'{"src":"c1","dest":"n0","body":{"type":"gossip","msg_id":1}}\n'
    for module in twins:
        events = handle(module, [line], mirrors={"gossip": ("gossip_ok", ())})
        assert b"gossip_ok" in events[0][1]
        core = module.Core(print, print, print)
        core.set_node_id("n0")
        core.mirror("gossip", "mirrored")
        core.handlers["gossip"] = lambda msg: {"type": "handled"}
        core.feed(line)
        assert b'"handled"' in core.take_output()


# --- field ---------------------------------------------------------------------------------


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(["type", "key", "other"]), json_values, max_size=3),
    st.sampled_from([object, int, str, dict, list, (int, str), bool]),
)
def test_field_agrees(twins, body, kind):
    results = []
    for module in twins:
        try:
            results.append(("value", ordered(module.field({"body": body}, "key", kind))))
        except MalformedRequest as error:
            results.append(("malformed", str(error)))
    assert results[0] == results[1]
