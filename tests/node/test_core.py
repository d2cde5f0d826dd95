"""The per-chunk core (glome._fast.node), each backend on its own."""

from __future__ import annotations

import os
from typing import Any

import orjson
import pytest

from glome import _fast


class Recorder:
    """The core's three callbacks, recording what reaches them."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def slow(self, msg: Any) -> None:
        self.events.append(("slow", msg))

    def invalid(self, line: bytes) -> None:
        self.events.append(("invalid", line))

    def failed(self, msg: dict[str, Any], exc: Exception) -> None:
        self.events.append(("failed", msg["body"]["type"], type(exc).__name__, str(exc)))


@pytest.fixture
def core_module(backend):
    return _fast.load_compiled("node") if backend == "compiled" else _fast.load_pure("node")


def make_core(module, node_id: str | None = "n0"):
    recorder = Recorder()
    core = module.Core(recorder.slow, recorder.invalid, recorder.failed)
    core.handlers["echo"] = lambda msg: {"type": "echo_ok", "echo": msg["body"]["echo"]}
    if node_id is not None:
        core.set_node_id(node_id)
    return core, recorder


def echo_line(msg_id: int, echo: Any = "hi") -> bytes:
    body = {"type": "echo", "echo": echo, "msg_id": msg_id}
    return orjson.dumps({"src": "c1", "dest": "n0", "body": body}) + b"\n"


def test_fast_path_reply_bytes(core_module):
    core, recorder = make_core(core_module)
    core.feed(echo_line(1) + echo_line(2, {"a": [1]}))
    assert core.take_output() == (
        b'{"src":"n0","dest":"c1","body":{"type":"echo_ok","echo":"hi","in_reply_to":1}}\n'
        b'{"src":"n0","dest":"c1","body":{"type":"echo_ok","echo":{"a":[1]},"in_reply_to":2}}\n'
    )
    assert recorder.events == []


def test_lines_split_anywhere_are_reassembled(core_module):
    core, recorder = make_core(core_module)
    stream = echo_line(1) + echo_line(2) + echo_line(3)
    for byte in stream:
        core.feed(bytes([byte]))
    assert core.take_output().count(b"echo_ok") == 3 and recorder.events == []


def test_partial_tail_waits_for_finish(core_module):
    core, _ = make_core(core_module)
    core.feed(echo_line(1)[:-1])
    assert core.pending == 0
    core.finish()
    assert b'"in_reply_to":1' in core.take_output()


def test_reply_bodies_edge_cases(core_module):
    core, _ = make_core(core_module)
    core.reply_to("c2", 5, {})
    core.reply_to("c2", 6, {"type": "x", "in_reply_to": 99})  # the request's id wins
    core.reply_to("c2", None, {"type": "y"})
    core.reply_to("c2", 2**70, {"type": "z"})
    core.send("n1", {"type": "gossip"})
    lines = core.take_output().splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"src": "n0", "dest": "c2", "body": {"in_reply_to": 5}},
        {"src": "n0", "dest": "c2", "body": {"type": "x", "in_reply_to": 6}},
        {"src": "n0", "dest": "c2", "body": {"type": "y"}},
        {"src": "n0", "dest": "c2", "body": {"type": "z", "in_reply_to": 2**70}},
        {"src": "n0", "dest": "n1", "body": {"type": "gossip"}},
    ]


def test_refused_bodies_and_destinations_write_nothing(core_module):
    core, _ = make_core(core_module)
    with pytest.raises(TypeError, match="must be a dict"):
        core.reply_to("c1", 1, [1])
    with pytest.raises(TypeError, match="must be a str"):
        core.send(7, {"type": "x"})
    with pytest.raises(orjson.JSONEncodeError):
        core.send("c1", {"type": object()})
    assert core.pending == 0
    unnamed, _ = make_core(core_module, node_id=None)
    with pytest.raises(RuntimeError, match="unknown until init"):
        unnamed.send("c1", {"type": "x"})


def test_what_the_fast_path_leaves_to_the_node(core_module):
    core, recorder = make_core(core_module)
    core.handlers["boom"] = lambda msg: 1 / 0
    core.handlers["quiet"] = lambda msg: None
    lines = [
        b"not json",
        b'{"src":"c1","dest":"n0","body":{"type":"other","msg_id":1}}',  # no handler
        b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":null}}',  # a null msg_id
        b'{"src":"n1","dest":"n0","body":{"type":"echo","msg_id":1,"in_reply_to":4}}',  # a reply
        b'{"src":"c1","body":{"type":"echo","echo":1,"msg_id":1}}',  # no dest
        b'{"src":"c1","dest":"n0","body":{"type":"boom","msg_id":2}}',
        b'{"src":"c1","dest":"n0","body":{"type":"quiet","msg_id":3}}',
    ]
    core.feed(b"\n".join(lines) + b"\n")
    kinds = [event[0] for event in recorder.events]
    assert kinds == ["invalid", "slow", "slow", "slow", "slow", "failed"]
    assert recorder.events[-1] == ("failed", "boom", "ZeroDivisionError", "division by zero")
    assert core.pending == 0


def test_a_message_without_msg_id_is_answered_without_in_reply_to(core_module):
    """As the node would: a handler's reply to a message that has no msg_id is a plain send."""
    core, recorder = make_core(core_module)
    core.feed(b'{"src":"n1","dest":"n0","body":{"type":"echo","echo":1}}\n')
    assert core.take_output() == b'{"src":"n0","dest":"n1","body":{"type":"echo_ok","echo":1}}\n'
    assert recorder.events == []


def test_before_a_node_id_everything_goes_to_the_node(core_module):
    core, recorder = make_core(core_module, node_id=None)
    core.feed(echo_line(1))
    assert [event[0] for event in recorder.events] == ["slow"] and core.pending == 0


def test_flush_keeps_what_a_full_pipe_refuses(core_module):
    core, _ = make_core(core_module)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        payload = "z" * 10_000
        core.feed(b"".join(echo_line(i, payload) for i in range(200)))  # ~2 MB
        total = core.pending
        left = core.flush(write_end)
        assert 0 < left < total
        received = bytearray()
        while left:
            received += os.read(read_end, 1 << 20)
            left = core.flush(write_end)
        os.close(write_end)
        while chunk := os.read(read_end, 1 << 20):
            received += chunk
        replies = [orjson.loads(line) for line in bytes(received).splitlines()]
        assert [r["body"]["in_reply_to"] for r in replies] == list(range(200))
    finally:
        os.close(read_end)
