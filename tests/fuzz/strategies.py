"""Hypothesis strategies for hostile node input and output: JSON of any shape, and bytes.

JSON is written with the standard library's encoder, not orjson, so that what orjson
refuses to write can still be fed in: integers past 64 bits, NaN and Infinity, lone
surrogates (escaped, or raw and so invalid UTF-8), and nesting deeper than any decoder
allows.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import strategies as st

#: text of any code point, lone surrogates included
any_text = st.text(st.characters(blacklist_categories=()), max_size=12)

HUGE_INTEGERS = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 10**40, -(10**400)]
ODD_FLOATS = [float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(HUGE_INTEGERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_FLOATS),
    any_text,
)

json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)

#: what must not pass for an integer msg_id or in_reply_to, and integers at the edges
message_ids = st.one_of(
    st.integers(-5, 40),
    st.sampled_from(HUGE_INTEGERS),
    st.sampled_from([True, False, 1.0, "1", None, [1], {"a": 1}]),
)


def encode(value: Any, ascii_only: bool = True) -> bytes:
    """``value`` as one JSON line; raw (unescaped) text may not even be valid UTF-8."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    """Arrays or objects nested up to well past every decoder's and repr's limit."""
    depth = draw(st.sampled_from([250, 256, 900, 1000, 1023, 1024, 1025, 5000]))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    core = opener * depth + b"1" + closer * depth
    if draw(st.booleans()):  # as a body, or inside a body, of a well-formed envelope
        where = draw(st.sampled_from(["src", "body", "echo", "in_reply_to"]))
        if where in ("src", "body"):
            other = b'{"type":"echo","msg_id":7}' if where == "src" else b'"c1"'
            key = b'"body"' if where == "src" else b'"src"'
            return b'{"%s":%s,"dest":"n0",%s:%s}' % (where.encode(), core, key, other)
        return b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":7,"%s":%s}}' % (
            where.encode(),
            core,
        )
    return core


#: field names the challenge nodes read, so arbitrary values land where they are used
FIELD_NAMES = [
    "echo",
    "message",
    "messages",
    "topology",
    "delta",
    "key",
    "msg",
    "offsets",
    "keys",
    "txn",
    "value",
    "values",
    "from",
    "to",
    "counts",
    "code",
    "text",
    "in_reply_to",
    "node_id",
    "node_ids",
]


@st.composite
def envelopes(draw: st.DrawFn, types: list[str], src: list[str] | None = None) -> dict[str, Any]:
    """A request of one of ``types``, then with up to four keys dropped or made arbitrary."""
    body: dict[str, Any] = {"type": draw(st.sampled_from(types)), "msg_id": draw(message_ids)}
    body.update(draw(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4)))
    msg: dict[str, Any] = {
        "src": draw(st.sampled_from(src or ["c1", "c2", "n1", "lin-kv", 'q"\u2028'])),
        "dest": "n0",
        "body": body,
    }
    if draw(st.booleans()):
        msg["id"] = draw(message_ids)
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from([msg, body]))
        key = draw(st.sampled_from([*sorted(target), "in_reply_to", "type", "msg_id"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return msg


def lines(types: list[str]) -> st.SearchStrategy[bytes]:
    """One input line (no newline in it): a near-request, any JSON, raw bytes or deep nesting."""
    return st.one_of(
        st.builds(encode, envelopes(types), st.booleans()),
        st.builds(encode, json_values, st.booleans()),
        st.binary(max_size=60).map(lambda data: data.replace(b"\n", b" ")),
        nested(),
    )


def split(stream: bytes, cuts: list[int]) -> list[bytes]:
    """``stream`` cut at the given points (taken modulo its length), as reads would return it."""
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    edges = [0, *points, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges) if b > a]


chunk_cuts = st.lists(st.integers(0, 1 << 16), max_size=12)
