"""Golden exchanges with real node processes, on both backends."""

from __future__ import annotations

import orjson
import pytest

from glome import protocol
from glome.bench.workloads import response_schemas
from glome.protocol import response_violation

ECHO_SCHEMA = response_schemas()["echo"]["echo"]
GENERATE_SCHEMA = response_schemas()["unique-ids"]["generate"]


def test_init_then_echo_replies_exactly(spawn):
    node = spawn("glome-echo")
    node.send_raw(
        b'{"id":0,"src":"c0","dest":"n3","body":{"type":"init","msg_id":1,"node_id":"n3",'
        b'"node_ids":["n1","n3"]}}\n'
        b'{"id":3,"src":"c3","dest":"n3","body":{"type":"echo","echo":"Please echo 41",'
        b'"msg_id":1}}\n'
    )
    node.node_id = "n3"
    assert node.recv() == {"src": "n3", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1}}
    reply = node.recv()
    assert reply == {
        "src": "n3",
        "dest": "c3",
        "body": {"type": "echo_ok", "echo": "Please echo 41", "in_reply_to": 1},
    }
    assert response_violation(ECHO_SCHEMA, reply["body"]) is None
    assert node.close() == (0, [])


@pytest.mark.parametrize(
    "payload", [None, 0, "ünïcode ✓", [1, {"a": [2]}], {"nested": {"x": None}}]
)
def test_echo_payloads_come_back_unchanged(spawn, payload):
    node = spawn("glome-echo")
    node.init()
    body = node.request("c1", {"type": "echo", "echo": payload, "msg_id": 7})
    assert body == {"type": "echo_ok", "echo": payload, "in_reply_to": 7}
    assert response_violation(ECHO_SCHEMA, body) is None


def test_generate_reply_conforms(spawn):
    node = spawn("glome-unique-ids")
    node.init("n1", ["n0", "n1", "n2"])
    body = node.request("c4", {"type": "generate", "msg_id": 3})
    assert response_violation(GENERATE_SCHEMA, body) is None
    assert body["id"].startswith("n1.")


@pytest.mark.parametrize(
    ("program", "args", "request_body", "named"),
    [
        ("glome-echo", (), {"type": "echo"}, "'echo'"),
        ("glome-kafka", (), {"type": "send", "msg": 1}, "'key'"),
        ("glome-kafka", (), {"type": "send", "key": 5, "msg": 1}, "'key'"),
        ("glome-kafka", (), {"type": "poll", "offsets": [1]}, "'offsets'"),
        ("glome-kafka", ("kv",), {"type": "list_committed_offsets"}, "'keys'"),
    ],
)
def test_a_missing_or_mistyped_field_is_malformed_not_a_crash(
    spawn, program, args, request_body, named
):
    """The sender's mistake gets 12 (malformed) naming the field; 13 (crash) and a
    traceback are for the node's own failures."""
    node = spawn(program, *args)
    node.init()
    body = node.request("c1", {**request_body, "msg_id": 2})
    assert body["type"] == "error" and body["code"] == protocol.MALFORMED_REQUEST, body
    assert named in body["text"]
    node.close()
    assert "Traceback" not in node.stderr()


def test_unknown_type_is_not_supported(spawn):
    node = spawn("glome-echo")
    node.init()
    body = node.request("c1", {"type": "frobnicate", "msg_id": 5})
    assert body["type"] == "error" and body["code"] == protocol.NOT_SUPPORTED
    assert "frobnicate" in body["text"]


@pytest.mark.parametrize(
    ("line", "in_reply_to"),
    [
        (b'{"src":"c1","dest":"n0","body":{"msg_id":9}}', 9),  # no type
        (b'{"src":"c1","dest":"n0","body":{"type":7,"msg_id":10}}', 10),  # type not a string
        (b'{"src":"c1","body":{"type":"echo","echo":1,"msg_id":11}}', 11),  # no dest
        (b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":1,"msg_id":12}', 12),  # cut short
        (
            b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"\xff","msg_id":13}}',
            13,
        ),  # bad UTF-8
        (b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":true}}', None),  # bool msg_id
        (b'{"src":1,"dest":"n0","body":{"type":"echo","msg_id":14}}', None),  # no usable src
        (b"[1,2,3]", None),
        (b"garbage", None),
    ],
)
def test_malformed_lines_get_error_12_when_answerable(spawn, line, in_reply_to):
    node = spawn("glome-echo")
    node.init()
    node.send_raw(line + b"\n")
    if in_reply_to is None:
        assert node.silent_for(0.3)
    else:
        body = node.recv()["body"]
        assert body["type"] == "error" and body["code"] == protocol.MALFORMED_REQUEST
        assert body["in_reply_to"] == in_reply_to
    assert (
        node.request("c1", {"type": "echo", "echo": "still here", "msg_id": 99})["echo"]
        == "still here"
    )
    status, rest = node.close()
    assert status == 0 and rest == []
    assert "malformed" in node.stderr() or "not JSON" in node.stderr()


def test_handler_exception_is_crash_with_traceback_on_stderr(spawn):
    node = spawn("service_node.py")
    node.init()
    body = node.request("c1", {"type": "boom", "msg_id": 2})
    assert body["type"] == "error" and body["code"] == protocol.CRASH
    assert "RuntimeError: boom" in body["text"]
    body = node.request("c1", {"type": "boom_later", "msg_id": 3})
    assert body["code"] == protocol.CRASH and "ValueError: boom later" in body["text"]
    body = node.request("c1", {"type": "not_a_dict", "msg_id": 4})
    assert body["code"] == protocol.CRASH and "must be a dict" in body["text"]
    assert node.request("c1", {"type": "ping", "msg_id": 5}) == {
        "type": "pong",
        "n": "n0",
        "in_reply_to": 5,
    }
    node.close()
    stderr = node.stderr()
    assert (
        "Traceback" in stderr and 'raise RuntimeError("boom")' in stderr and "boom later" in stderr
    )


def test_typed_error_from_a_handler_is_answered_with_its_code(spawn):
    node = spawn("service_node.py")
    node.init()
    body = node.request("c1", {"type": "conflict", "msg_id": 2})
    assert body == {
        "type": "error",
        "code": protocol.TXN_CONFLICT,
        "text": "somebody else won",
        "in_reply_to": 2,
    }
    node.close()
    assert "Traceback" not in node.stderr()  # an intended error is not a crash


def test_message_without_msg_id_gets_no_reply(spawn):
    node = spawn("service_node.py")
    node.init()
    node.send("n1", {"type": "gossip", "value": 1})
    node.send("n1", {"type": "gossip", "value": 2})
    node.send("c1", {"type": "no-such-type"})  # unanswerable: nothing to correlate with
    assert node.request("c1", {"type": "seen", "msg_id": 3})["values"] == [1, 2]


def test_eof_flushes_pending_output_and_exits_zero(spawn):
    node = spawn("glome-echo")
    requests = b"".join(
        orjson.dumps({"src": "c1", "dest": "n0", "body": {"type": "echo", "echo": i, "msg_id": i}})
        + b"\n"
        for i in range(1, 2001)
    )
    init = (
        b'{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}'
        b"\n"
    )
    last = (
        b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"tail","msg_id":2001}}'  # no newline
    )
    node.send_raw(init + requests + last)
    status, messages = node.close()
    assert status == 0
    assert [m["body"].get("echo") for m in messages[1:]] == [*range(1, 2001), "tail"]


def test_output_is_never_lost_when_stdout_is_not_read(spawn):
    """Replies beyond any pipe's capacity wait in the node while it keeps reading input."""
    node = spawn("glome-echo")
    node.init()
    payload = "x" * 1000
    count = 5000  # about 5 MB of replies, far beyond a pipe buffer
    node.send_raw(
        b"".join(
            orjson.dumps(
                {"src": "c1", "dest": "n0", "body": {"type": "echo", "echo": payload, "msg_id": i}}
            )
            + b"\n"
            for i in range(count)
        )
    )
    status, messages = node.close()
    assert status == 0
    assert [m["body"]["in_reply_to"] for m in messages] == list(range(count))


def test_before_init_a_node_answers_as_the_addressed_id(spawn):
    node = spawn("glome-echo")
    node.node_id = "n5"
    body = node.request("c1", {"type": "echo", "echo": "early", "msg_id": 1})
    assert body == {"type": "echo_ok", "echo": "early", "in_reply_to": 1}
