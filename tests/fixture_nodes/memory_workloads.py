#!/usr/bin/env python3
"""A node on glome's runtime for the workloads glome's challenge nodes do not serve.

g-set, pn-counter and txn-list-append keep their state in memory (correct on one
node); lin-kv requests are forwarded to the bench's lin-kv service (correct on
any number of nodes), which also puts the services under --sim.
The workload's name is the node's argument.
"""

import sys

from glome.errors import RPCError
from glome.kv import KV, LIN_KV
from glome.node import Node

WORKLOAD = sys.argv[1] if len(sys.argv) > 1 else "lin-kv"
node = Node()
store = KV(node, LIN_KV)
elements: list = []
total = [0]
lists: dict = {}


@node.on("add")
def add(msg):
    body = msg["body"]
    if WORKLOAD == "g-set":
        elements.append(body["element"])
    else:
        total[0] += body["delta"]
    return {"type": "add_ok"}


@node.on("read")
async def read(msg):
    body = msg["body"]
    if WORKLOAD == "lin-kv":
        try:
            return {"type": "read_ok", "value": await store.read(body["key"])}
        except RPCError as error:
            return error.body()
    value = sorted(set(elements)) if WORKLOAD == "g-set" else total[0]
    return {"type": "read_ok", "value": value}


@node.on("write")
async def write(msg):
    await store.write(msg["body"]["key"], msg["body"]["value"])
    return {"type": "write_ok"}


@node.on("cas")
async def cas(msg):
    body = msg["body"]
    await store.cas(body["key"], body["from"], body["to"])
    return {"type": "cas_ok"}


@node.on("txn")
def txn(msg):
    done = []
    for f, key, value in msg["body"]["txn"]:
        if f == "r":
            done.append([f, key, list(lists.get(key, []))])
        else:
            lists.setdefault(key, []).append(value)
            done.append([f, key, value])
    return {"type": "txn_ok", "txn": done}


if __name__ == "__main__":
    sys.exit(node.run())
