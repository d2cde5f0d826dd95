"""3,000 hostile lines leave a node alive and answering correctly afterwards."""

from __future__ import annotations

import random

import orjson
import pytest

from glome import protocol


def hostile_lines(rng: random.Random, count: int) -> list[tuple[bytes, int | None]]:
    """(line, msg_id of the expected error-12 reply or None)."""
    lines: list[tuple[bytes, int | None]] = []
    for i in range(count):
        msg_id = 10_000 + i
        kind = i % 12
        if kind == 0:
            line = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(
                b"\n", b" "
            )
            lines.append((line, None))
        elif kind == 1:  # huge line: 1 MB every 100 lines, otherwise 50 KB
            size = 1_000_000 if i % 100 == 1 else 50_000
            lines.append(
                (
                    b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"' + b"y" * size + b'"',
                    None,
                )
            )
        elif kind == 2:  # invalid UTF-8 inside an otherwise fine request
            line = (
                b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"\xc3\x28","msg_id":%d}}'
                % msg_id
            )
            lines.append((line, msg_id))
        elif kind == 3:
            lines.append(
                (orjson.dumps({"src": "c1", "dest": "n0", "body": {"msg_id": msg_id}}), msg_id)
            )
        elif kind == 4:
            body = {"type": ["echo"], "msg_id": msg_id}
            lines.append((orjson.dumps({"src": "c1", "dest": "n0", "body": body}), msg_id))
        elif kind == 5:
            lines.append((orjson.dumps({"src": "c1", "dest": "n0", "body": [1, 2]}), None))
        elif kind == 6:
            body = {"type": "echo", "echo": 1, "msg_id": str(msg_id)}
            lines.append((orjson.dumps({"src": "c1", "dest": "n0", "body": body}), None))
        elif kind == 7:
            lines.append((orjson.dumps(rng.choice([None, 1, "s", [], 2.5, True])), None))
        elif kind == 8:
            lines.append((b"[" * 5000 + b"]" * 5000, None))  # deeper than the decoder allows
        elif kind == 9:  # a reply nobody is waiting for: silently dropped
            body = {"type": "read_ok", "in_reply_to": msg_id}
            lines.append((orjson.dumps({"src": "n1", "dest": "n0", "body": body}), None))
        elif kind == 10:  # truncated request: src and msg_id still recoverable
            lines.append(
                (b'{"src":"c2","dest":"n0","body":{"msg_id":%d,"type":"echo","ec' % msg_id, msg_id)
            )
        else:
            lines.append((b"   \t", None))
    return lines


@pytest.mark.timeout(300)
def test_3000_hostile_lines_then_a_correct_answer(spawn):
    node = spawn("glome-echo")
    node.init()
    lines = hostile_lines(random.Random(20_240_601), 3000)
    node.send_raw(b"".join(line + b"\n" for line, _ in lines))
    expected = [msg_id for _, msg_id in lines if msg_id is not None]
    answered = []
    for _ in expected:
        body = node.recv(timeout=30)["body"]
        assert body["type"] == "error" and body["code"] == protocol.MALFORMED_REQUEST, body
        answered.append(body["in_reply_to"])
    assert answered == expected
    body = node.request("c1", {"type": "echo", "echo": "survived", "msg_id": 1})
    assert body == {"type": "echo_ok", "echo": "survived", "in_reply_to": 1}
    status, rest = node.close()
    assert status == 0 and rest == []
