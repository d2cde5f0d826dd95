"""A test node whose periodic timer is set up before init, at import time."""

from __future__ import annotations

from glome.node import Node

node = Node()
beats = iter(range(1, 1_000_000))
node.every(0.05, lambda: node.send("c9", {"type": "beat", "n": next(beats)}))

if __name__ == "__main__":
    raise SystemExit(node.run())
