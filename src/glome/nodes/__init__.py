"""glome's challenge nodes, and ``glome node <name> [args]`` to run one.

Each node module has a ``main(argv=None)`` that parses ``argv`` (None: the
process's own arguments), builds its node and runs it until end of input; the
console scripts (``glome-echo``, ...) call the same functions with no argument.
A bad command line is refused the same way by every node (``NodeArguments``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import import_module
from typing import NoReturn

from glome.exit_codes import BAD_ARGUMENTS

#: node name -> "module:function" that runs it
NODES: dict[str, str] = {
    "echo": "glome.nodes.echo:main",
    "unique-ids": "glome.nodes.unique_ids:main",
    "broadcast": "glome.nodes.broadcast:main",
    "counter": "glome.nodes.counter:main",
    "kafka": "glome.nodes.kafka:main",
    "txn": "glome.nodes.txn:main",
}

#: the argument every node accepts: keep what clients were told across kills
DURABLE = "durable"


class NodeArguments(argparse.ArgumentParser):
    """A node's command line: a bad one is refused with the usage on stderr and exit 254,
    Maelstrom's code for bad arguments (argparse alone would exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(BAD_ARGUMENTS)


def durable_by_design(prog: str, summary: str, why: str) -> NodeArguments:
    """The command line of a node with no mode but ``durable``, which changes nothing."""
    parser = NodeArguments(prog=prog, description=summary)
    parser.add_argument(
        "mode",
        nargs="?",
        choices=[DURABLE],
        help=f"accepted; this node is durable by design: {why}",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run the node named by ``argv[0]``; the rest of ``argv`` becomes its arguments."""
    if not argv or argv[0] not in NODES:
        known = ", ".join(sorted(NODES))
        problem = f"unknown node {argv[0]!r}" if argv else "which node?"
        print(
            f"glome node: {problem}\nusage: glome node <name> [args]   (names: {known})",
            file=sys.stderr,
        )
        return BAD_ARGUMENTS
    module_name, function_name = NODES[argv[0]].split(":")
    run: Callable[[list[str]], int] = getattr(import_module(module_name), function_name)
    return run(argv[1:]) or 0  # each parser is named glome-<name>, as its console script
