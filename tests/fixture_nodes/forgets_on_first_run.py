#!/usr/bin/env python3
"""A broadcast node that is not deterministic under --sim: it reads the file system.

Its one argument names a marker file. The first node process to start while
the file is missing creates it and then forgets every value it acknowledges
(the set-full checker finds them lost); every later process, the file being
there, is a correct single-node broadcast. So the same seed fails once and then
passes: what ``glome sweep`` must call out when it reruns a failing seed.
"""

import sys

from glome.node import Node

try:
    with open(sys.argv[1], "x"):
        forgetful = True  # the first run
except FileExistsError:
    forgetful = False

node = Node()
seen: set[int] = set()


@node.on("topology")
def topology(msg):
    return {"type": "topology_ok"}


@node.on("broadcast")
def broadcast(msg):
    if not forgetful:
        seen.add(msg["body"]["message"])
    return {"type": "broadcast_ok"}


@node.on("read")
def read(msg):
    return {"type": "read_ok", "messages": sorted(seen)}


node.run()
