"""The README's "Write your own node" example runs as printed, on both backends."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from glome import protocol
from support.node_process import NodeProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_node(folder: Path) -> Path:
    example = re.search(r"```python\n(# my_node\.py\n.*?)```", README.read_text(), re.S)
    assert example is not None, "README lost its node example"
    path = folder / "my_node.py"
    path.write_text(example.group(1))
    return path


def answer(node: NodeProcess, request: dict, body: dict) -> None:
    node.send(request["dest"], {**body, "in_reply_to": request["body"]["msg_id"]})


def test_the_readme_node_answers_and_rejects_bad_requests(tmp_path, start_node):
    node = start_node(sys.executable, "n0", ["n0", "n1"], str(readme_node(tmp_path)))
    assert node.request("c1", {"type": "echo", "echo": "hi", "msg_id": 2}) == {
        "type": "echo_ok",
        "echo": "hi",
        "in_reply_to": 2,
    }
    for msg_id, body in enumerate([{"type": "echo"}, {"type": "add", "delta": "x"}], 3):
        reply = node.request("c1", {**body, "msg_id": msg_id})
        assert reply["code"] == protocol.MALFORMED_REQUEST, reply
    node.send("c1", {"type": "add", "delta": 2, "msg_id": 9})
    read = node.recv()  # the test plays seq-kv: "total" does not exist yet
    assert read["dest"] == "seq-kv" and read["body"]["type"] == "read", read
    answer(node, read, {"type": "error", "code": protocol.KEY_DOES_NOT_EXIST})
    cas = node.recv()
    assert cas["body"]["type"] == "cas", cas
    assert (cas["body"]["from"], cas["body"]["to"]) == (0, 2)
    assert cas["body"]["create_if_not_exists"] is True
    answer(node, cas, {"type": "cas_ok"})
    assert node.recv()["body"] == {"type": "add_ok", "in_reply_to": 9}
