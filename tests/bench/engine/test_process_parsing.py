"""Parsing node output lines, and what makes Maelstrom stop reading a node (spec 2.3)."""

from __future__ import annotations

import pytest

from glome.bench.process import NodeOutputError, parse_line


def test_well_formed_line():
    line = b'{"src":"n1","dest":"c1","body":{"type":"echo_ok","in_reply_to":1}}'
    assert parse_line("n1", line) == ("n1", "c1", {"type": "echo_ok", "in_reply_to": 1})


def test_an_integer_id_is_tolerated():
    assert parse_line("n1", b'{"id":4,"src":"n1","dest":"n2","body":{}}')[1] == "n2"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"", "not well-formed JSON"),
        (b"hello", "not well-formed JSON"),
        (b'{"src":"n1","dest":"n2","body":{},"extra":1}', "disallowed top-level key"),
        (b'{"src":1,"dest":"n2","body":{}}', "src must be a string"),
        (b'{"src":"n1","dest":"n2"}', "missing required key body"),
        (b'{"src":"n1","dest":"n2","body":[1]}', "body must be a JSON object"),
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
