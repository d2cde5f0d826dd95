#!/usr/bin/env python3
"""The flooding broadcast node of Maelstrom's broadcast guide, for fidelity tests.

Each value seen for the first time is relayed to every topology neighbour as
``{"type": "broadcast", "message": m}`` without a msg_id (and so without a
reply). By default the sender is skipped; with ``--relay-to-sender`` it is not.
"""

import sys

import orjson


def main() -> None:
    relay_to_sender = "--relay-to-sender" in sys.argv[1:]
    malformed_topology_ok = "--malformed-topology-ok" in sys.argv[1:]
    node_id = ""
    neighbours: list = []
    seen: set = set()
    values: list = []
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        message = orjson.loads(line)
        body = message["body"]
        kind = body["type"]
        src = message["src"]
        reply = None
        sends = []
        if kind == "init":
            node_id = body["node_id"]
            reply = {"type": "init_ok"}
        elif kind == "topology":
            neighbours = body["topology"].get(node_id, [])
            reply = {"type": "topology_ok"}
            if malformed_topology_ok:
                reply["neighbours"] = neighbours
        elif kind == "read":
            reply = {"type": "read_ok", "messages": values}
        elif kind == "broadcast":
            value = body["message"]
            if value not in seen:
                seen.add(value)
                values.append(value)
                for neighbour in neighbours:
                    if relay_to_sender or neighbour != src:
                        sends.append((neighbour, {"type": "broadcast", "message": value}))
            if "msg_id" in body:
                reply = {"type": "broadcast_ok"}
        if reply is not None:
            reply["in_reply_to"] = body["msg_id"]
            sends.append((src, reply))
        if sends:
            out.write(
                b"".join(
                    orjson.dumps({"src": node_id, "dest": dest, "body": b}) + b"\n"
                    for dest, b in sends
                )
            )
            out.flush()


if __name__ == "__main__":
    main()
