#!/usr/bin/env python3
"""The flooding broadcast node of Maelstrom's broadcast guide, for fidelity tests.

Each value seen for the first time is relayed to every topology neighbour as
``{"type": "broadcast", "message": m}`` without a msg_id (and so without a
reply). By default the sender is skipped; with ``--relay-to-sender`` it is not.
It runs on glome's runtime, so it runs under --sim as well as in real time.
"""

import sys

from glome.node import Node

RELAY_TO_SENDER = "--relay-to-sender" in sys.argv[1:]
MALFORMED_TOPOLOGY_OK = "--malformed-topology-ok" in sys.argv[1:]

node = Node()
neighbours: list = []
seen: set = set()
values: list = []


@node.on("topology")
def topology(msg):
    neighbours[:] = msg["body"]["topology"].get(node.id, [])
    reply = {"type": "topology_ok"}
    if MALFORMED_TOPOLOGY_OK:
        reply["neighbours"] = neighbours
    return reply


@node.on("read")
def read(msg):
    return {"type": "read_ok", "messages": values}


@node.on("broadcast")
def broadcast(msg):
    value = msg["body"]["message"]
    if value not in seen:
        seen.add(value)
        values.append(value)
        for neighbour in neighbours:
            if RELAY_TO_SENDER or neighbour != msg["src"]:
                node.send(neighbour, {"type": "broadcast", "message": value})
    return {"type": "broadcast_ok"} if "msg_id" in msg["body"] else None


if __name__ == "__main__":
    sys.exit(node.run())
