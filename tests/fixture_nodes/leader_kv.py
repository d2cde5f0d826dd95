#!/usr/bin/env python3
"""A linearizable lin-kv node for measuring the checker: n0 holds every key and
applies every request; the other nodes forward theirs to it and relay its answer.

Under partitions a forwarded request or its answer is lost: the client times out,
and its write or cas ends indeterminate (applied or not, nobody knows), as a real
replicated store's requests end when a partition cuts off its leader. That is
the shape that makes linearizability checking hard, on an implementation that
is correct by construction (one copy, applied in arrival order).
"""

import sys

from glome.errors import KeyDoesNotExist, PreconditionFailed, RPCError
from glome.node import Message, Node

LEADER = "n0"
FORWARD_TIMEOUT_S = 2.0  # past the client's own timeout: a lost request is never answered

node = Node()
values: dict = {}


def apply(body: dict) -> dict:
    key = body["key"]
    if body["type"] == "read":
        if key not in values:
            raise KeyDoesNotExist(f"no key {key}")
        return {"type": "read_ok", "value": values[key]}
    if body["type"] == "write":
        values[key] = body["value"]
        return {"type": "write_ok"}
    if key not in values:
        raise KeyDoesNotExist(f"no key {key}")
    if values[key] != body["from"]:
        raise PreconditionFailed(f"{key} is {values[key]}, not {body['from']}")
    values[key] = body["to"]
    return {"type": "cas_ok"}


async def handle(msg: Message) -> dict | None:
    body = {k: v for k, v in msg["body"].items() if k != "msg_id"}
    if node.id == LEADER:
        return apply(body)
    try:
        return await node.rpc(LEADER, body, FORWARD_TIMEOUT_S)
    except RPCError as error:
        if error.code in (KeyDoesNotExist.code, PreconditionFailed.code):
            raise
        return None  # lost to a partition: the client times out


for kind in ("read", "write", "cas"):
    node.on(kind)(handle)

if __name__ == "__main__":
    sys.exit(node.run())
