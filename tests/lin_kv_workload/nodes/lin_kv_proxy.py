#!/usr/bin/env python3
"""A lin-kv node that forwards read, write and cas to Maelstrom's lin-kv service.

As it stands it is linearizable: the service applies every request to one
copy. ``--stale-reads`` breaks it on purpose: a node answers a read from its
own cache (what it last wrote, cas'ed or read of that key) and asks the
service only on a miss, so it never sees another node's later writes.
"""

import sys

from glome.kv import KV, LIN_KV
from glome.node import Node

node = Node()
store = KV(node, LIN_KV)
stale_reads = "--stale-reads" in sys.argv[1:]
cache: dict = {}


@node.on("read")
async def read(msg):
    key = msg["body"]["key"]
    if not (stale_reads and key in cache):
        cache[key] = await store.read(key)
    return {"type": "read_ok", "value": cache[key]}


@node.on("write")
async def write(msg):
    body = msg["body"]
    await store.write(body["key"], body["value"])
    cache[body["key"]] = body["value"]
    return {"type": "write_ok"}


@node.on("cas")
async def cas(msg):
    body = msg["body"]
    await store.cas(body["key"], body["from"], body["to"])
    cache[body["key"]] = body["to"]
    return {"type": "cas_ok"}


if __name__ == "__main__":
    sys.exit(node.run())
