"""glome's challenge nodes, and ``glome node <name> [args]`` to run one.

Each node module has a ``main()`` that builds its node and runs it until end of
input; the console scripts (``glome-echo``, ...) call the same functions.
"""

from __future__ import annotations

import sys
from importlib import import_module

#: node name -> "module:function" that runs it
NODES: dict[str, str] = {
    "echo": "glome.nodes.echo:main",
    "unique-ids": "glome.nodes.unique_ids:main",
    "broadcast": "glome.nodes.broadcast:main",
    "counter": "glome.nodes.counter:main",
    "kafka": "glome.nodes.kafka:main",
    "txn": "glome.nodes.txn:main",
}

USAGE_EXIT = 254


def main(argv: list[str]) -> int:
    """Run the node named by ``argv[0]``; the rest of ``argv`` becomes its arguments."""
    if not argv or argv[0] not in NODES:
        known = ", ".join(sorted(NODES))
        problem = f"unknown node {argv[0]!r}" if argv else "which node?"
        print(
            f"glome node: {problem}\nusage: glome node <name> [args]   (names: {known})",
            file=sys.stderr,
        )
        return USAGE_EXIT
    module_name, function_name = NODES[argv[0]].split(":")
    sys.argv = [f"glome-{argv[0]}", *argv[1:]]
    return getattr(import_module(module_name), function_name)() or 0
