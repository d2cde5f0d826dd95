"""unique-ids: unique across nodes and across a restart with the same node id."""

from __future__ import annotations

from glome.bench.workloads import response_schemas
from glome.protocol import response_violation

SCHEMA = response_schemas()["unique-ids"]["generate"]


def generate_many(node, count: int) -> list[object]:
    ids = []
    for msg_id in range(2, count + 2):
        body = node.request("c1", {"type": "generate", "msg_id": msg_id})
        assert response_violation(SCHEMA, body) is None, body
        ids.append(body["id"])
    return ids


def test_ids_unique_across_nodes_and_restarts(spawn):
    ids: list[object] = []
    for node_id in ["n0", "n1", "n2", "n0", "n0"]:  # n0 restarted twice with the same id
        node = spawn("glome-unique-ids")
        node.init(node_id, ["n0", "n1", "n2"])
        ids += generate_many(node, 300)
        assert node.close()[0] == 0
    assert len(ids) == len(set(ids)) == 1500
