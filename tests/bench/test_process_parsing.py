"""Parsing node output lines, and what makes Maelstrom stop reading a node
(docs/maelstrom.md §3.3)."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glome.bench.process import LineBuffer, NodeOutputError, parse_line


def test_well_formed_line():
    line = b'{"src":"n1","dest":"c1","body":{"type":"echo_ok","in_reply_to":1}}'
    assert parse_line("n1", line) == ("n1", "c1", {"type": "echo_ok", "in_reply_to": 1})


def test_an_integer_id_is_tolerated():
    assert parse_line("n1", b'{"id":4,"src":"n1","dest":"n2","body":{}}')[1] == "n2"


@pytest.mark.parametrize(
    ("line", "body"),
    [
        (b'{"src":"n1","dest":"n2","body":null}', {}),
        (b'{"src":"n1","dest":"n2","body":[]}', {}),
        (
            b'{"src":"n1","dest":"n2","body":[["type","a"],["n",1],["type","b"]]}',
            {"type": "b", "n": 1},
        ),
    ],
)
def test_maelstrom_reads_null_empty_and_pair_array_bodies_as_maps(line, body):
    """Maelstrom folds a body's entries into a map, so these pass as maps (later pairs win)."""
    assert parse_line("n1", line) == ("n1", "n2", body)


def test_an_envelope_given_as_pairs_is_a_map_too():
    line = b'[["src","n1"],["dest","n2"],["body",{"a":1}]]'
    assert parse_line("n1", line) == ("n1", "n2", {"a": 1})


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"", "not well-formed JSON"),
        (b"hello", "not well-formed JSON"),
        (b'{"src":"n1","dest":"n2","body":{},"extra":1}', "disallowed top-level key"),
        (b'{"src":1,"dest":"n2","body":{}}', "src must be a string"),
        (b'{"src":"n1","dest":"n2"}', "missing required key(s) ['body']"),
        (b'{"src":"n1","dest":"n2","body":[1]}', "body must be a JSON object"),
        (b'{"src":"n1","dest":"n2","body":"text"}', "body must be a JSON object"),
        (b'{"src":"n1","dest":"n2","body":[["a",1,2]]}', "body must be a JSON object"),
        (b"null", "missing"),
        (b'{"id":"x","src":"n1","dest":"n2","body":{}}', "id must be an integer"),
        (b"[1,2]", "not a JSON object"),
    ],
)
def test_malformed_lines(line, fragment):
    with pytest.raises(NodeOutputError) as error:
        parse_line("n1", line)
    assert fragment in str(error.value)
    assert "n1" in str(error.value)


def test_two_objects_on_a_line_keep_the_first():
    line = b'{"src":"n1","dest":"n2","body":{"a":1}} {"src":"n1","dest":"n3","body":{}}'
    assert parse_line("n1", line) == ("n1", "n2", {"a": 1})


pieces = st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b"{}", b"\xff"]), max_size=40)


@given(pieces, st.lists(st.integers(0, 40), max_size=10))
def test_lines_end_where_javas_readline_ends_them_however_the_pipe_splits_them(parts, cuts):
    """``\\n``, ``\\r\\n`` and ``\\r`` end a line, also when a read ends between the
    ``\\r`` and the ``\\n``; the final newline finishes whatever is left."""
    stream = b"".join(parts)
    bounds = sorted({min(cut, len(stream)) for cut in cuts} | {0, len(stream)})
    buffer = LineBuffer()
    lines = []
    for start, end in itertools.pairwise(bounds):
        lines += buffer.feed(stream[start:end])
    lines += buffer.feed(b"\n")
    assert lines == re.split(rb"\r\n|\r|\n", stream + b"\n")[:-1]
    assert buffer.size == 0 and buffer.unfinished() == b""


def test_an_unfinished_megabyte_line_is_held_until_it_ends():
    buffer = LineBuffer()
    for _ in range(64):
        assert buffer.feed(b"x" * 65536) == []
    assert buffer.size == 64 * 65536
    assert buffer.feed(b"y\nz") == [b"x" * 64 * 65536 + b"y"]
    assert buffer.take_unfinished() == b"z" and buffer.size == 0
