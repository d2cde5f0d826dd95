#!/usr/bin/env python3
"""A lin-kv node that forwards read, write and cas to Maelstrom's lin-kv service.

As it stands it is linearizable: the service applies every request to one
copy. ``--stale-reads`` breaks it on purpose: a node answers a read from its
own cache (what it last wrote, cas'ed or read of that key) and asks the
service only on a miss, so it never sees another node's later writes. ``--mute-every N`` keeps it
correct but leaves every Nth write or cas unanswered after the service has
applied it, so clients time out and record it as indeterminate (``info``).
"""

import itertools
import sys

from glome.kv import KV, LIN_KV
from glome.node import Node

node = Node()
store = KV(node, LIN_KV)
args = sys.argv[1:]
stale_reads = "--stale-reads" in args
mute_every = int(args[args.index("--mute-every") + 1]) if "--mute-every" in args else 0
updates = itertools.count(1)
cache: dict = {}


def answer(body: dict) -> dict | None:
    """The reply to a write or cas, or None for one that is muted."""
    muted = mute_every and next(updates) % mute_every == 0
    return None if muted else body


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
    return answer({"type": "write_ok"})


@node.on("cas")
async def cas(msg):
    body = msg["body"]
    await store.cas(body["key"], body["from"], body["to"])
    cache[body["key"]] = body["to"]
    return answer({"type": "cas_ok"})


if __name__ == "__main__":
    sys.exit(node.run())
