"""A challenge node writes the same bytes on either core: the compiled core reads and
writes plain JSON itself, the pure one leaves all of it to orjson.

Each deterministic node (one node, no timers that send) gets one stream of requests,
Maelstrom-shaped and otherwise (escapes, non-ASCII, floats, deep nesting, bad JSON),
through its stdin on each backend; its stdout must match byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from support.compiled import compiled_module

GLOME_BIN = Path(sys.executable).parent

ODD_LINES = [
    b"not json",
    b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":90,"echo":"\\u00e9\\n"}}',
    b' { "id" : 7 , "dest":"n0", "src" : "c1" ,"body" : {"msg_id":91,"type":"echo","echo":1.5}} ',
    b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":92,"echo":[[[[[[[[[[[[[[[[[[[['
    b"[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
    b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":93}}',
    b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":94,"echo":12345678901234567890}}',
    b'{"body":{"type":"echo","msg_id":95,"echo":"x"},"src":"c1","dest":"n0"}',
    b'{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":96,"echo":"x"},"id":3}',
]


def stream(bodies: list[dict[str, Any]]) -> bytes:
    init = {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]}
    lines = [orjson.dumps({"id": 0, "src": "c0", "dest": "n0", "body": init})]
    for msg_id, body in enumerate(bodies, start=2):
        envelope = {"id": msg_id, "src": f"c{msg_id % 3 + 1}", "dest": "n0"}
        lines.append(orjson.dumps({**envelope, "body": {**body, "msg_id": msg_id}}))
    return b"\n".join([*lines, *ODD_LINES]) + b"\n"


ECHOES = [{"type": "echo", "echo": echo} for echo in ["hi", 7, {"a": [1, None, True]}, "é"]]
KAFKA = [
    *({"type": "send", "key": str(i % 3), "msg": i} for i in range(12)),
    {"type": "send", "key": "k", "msg": {"nested": [1.5, "é"]}},
    {"type": "poll", "offsets": {"0": 0, "1": 2, "k": 0}},
    {"type": "commit_offsets", "offsets": {"0": 3}},
    {"type": "list_committed_offsets", "keys": ["0", "1"]},
    {"type": "poll", "offsets": {"2": -5}},
    {"type": "send", "key": 5, "msg": 1},
]
TXN = [
    {"type": "txn", "txn": [["w", 1, 10], ["r", 1, None], ["r", 2, None]]},
    {"type": "txn", "txn": [["w", 2, 20], ["r", 1, None]]},
    {"type": "txn", "txn": [["x", 1, 1]]},
]


@pytest.mark.parametrize(
    ("program", "bodies"),
    [("glome-echo", ECHOES), ("glome-kafka", KAFKA), ("glome-txn", TXN)],
)
def test_both_cores_write_the_same_bytes(program: str, bodies: list[dict[str, Any]]) -> None:
    compiled_module("node")
    data = stream(bodies)
    outputs = []
    for pure in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "GLOME_NO_EXTENSIONS"}
        if pure:
            env["GLOME_NO_EXTENSIONS"] = "1"
        done = subprocess.run(
            [str(GLOME_BIN / program)], input=data, capture_output=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") >= len(bodies)
