#!/usr/bin/env python3
"""A broadcast node with a bug planted to show only on some seeds.

Every half second it sends everything it knows to every other node, which is
correct even under partitions (what a partition drops, a later round carries), except
that a client's broadcast of a value ending in 7 (7, 17, 27, ...) is, one time in
``1/CHANCE``, acknowledged and then forgotten: never stored, never gossiped. The
value is lost, and the set-full checker says so. Whether it happens is drawn from
``random``, which ``--sim`` seeds from the run's seed, so a seed either always or
never shows the bug. With 3c's command line about one seed in twenty fails.
"""

import random

from glome.node import Node

CHANCE = 200  # one forgotten broadcast in CHANCE values ending in 7

node = Node()
seen: set[int] = set()


@node.on("topology")
def topology(msg):
    return {"type": "topology_ok"}


@node.on("broadcast")
def broadcast(msg):
    value = msg["body"]["message"]
    from_client = not msg["src"].startswith("n")
    if from_client and value % 10 == 7 and random.randrange(CHANCE) == 0:
        return {"type": "broadcast_ok"}  # the bug: acknowledged, then forgotten
    seen.add(value)
    return {"type": "broadcast_ok"}


def gossip_round():
    values = sorted(seen)
    for peer in node.ids:
        if peer != node.id:
            node.send(peer, {"type": "gossip", "values": values})


@node.on("gossip")
def gossip(msg):
    for value in msg["body"]["values"]:
        seen.add(value)


@node.on("read")
def read(msg):
    return {"type": "read_ok", "messages": sorted(seen)}


node.every(0.5, gossip_round)
node.run()
