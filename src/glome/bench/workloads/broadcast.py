"""The broadcast workload (docs/maelstrom.md §7.3): topologies, the op mix, and set-full.

Every node gets the whole topology map during client setup; a failed
topology call aborts the test. Broadcasts carry the values 0, 1, 2, ... in
emission order, mixed 50/50 with reads; the final phase reads once per worker.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from glome.bench.checkers import set_full
from glome.bench.client import Client, with_errors
from glome.bench.history import OK, CheckContext, Op
from glome.bench.loop import gather, spawn
from glome.bench.options import TestOptions
from glome.bench.workloads import AddsAndReads, Workload
from glome.protocol import ANY, ResponseSchema

NAME = "broadcast"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {
        "topology": ("topology_ok", {}),
        "broadcast": ("broadcast_ok", {}),
        "read": ("read_ok", {"messages": ("list", ANY)}),
    },
}
#: the workload-specific options it reads
OPTIONS = ("topology",)

Topology = dict[str, list[str]]


class TopologyFailed(Exception):
    """Setup could not hand a node its topology: Maelstrom aborts the test."""


def grid(nodes: list[str]) -> Topology:
    """Nodes row by row in a ceil(sqrt(n)) square; neighbours down, up, right, left."""
    side = math.ceil(math.sqrt(len(nodes)))

    def at(row: int, column: int) -> str | None:
        index = row * side + column
        inside = row >= 0 and 0 <= column < side
        return nodes[index] if inside and index < len(nodes) else None

    topology: Topology = {}
    for index, node in enumerate(nodes):
        row, column = divmod(index, side)
        around = (
            at(row + 1, column),
            at(row - 1, column),
            at(row, column + 1),
            at(row, column - 1),
        )
        topology[node] = [other for other in around if other is not None]
    return topology


def line(nodes: list[str]) -> Topology:
    if len(nodes) < 2:
        return {}
    topology = {nodes[0]: [nodes[1]], nodes[-1]: [nodes[-2]]}
    for index in range(1, len(nodes) - 1):
        topology[nodes[index]] = [nodes[index - 1], nodes[index + 1]]
    return {node: topology[node] for node in nodes}


def total(nodes: list[str]) -> Topology:
    return {node: [other for other in nodes if other != node] for node in nodes}


def tree(nodes: list[str], branching: int) -> Topology:
    """A b-ary tree filled breadth-first; neighbours are the parent, then the children."""
    topology: Topology = {node: [] for node in nodes}
    for index, node in enumerate(nodes):
        if index > 0:
            topology[node].append(nodes[(index - 1) // branching])
        first_child = index * branching + 1
        topology[node].extend(nodes[first_child : first_child + branching])
    return topology


TOPOLOGIES: dict[str, Callable[[list[str]], Topology]] = {
    "grid": grid,
    "line": line,
    "total": total,
    "tree": lambda nodes: tree(nodes, 2),
    "tree2": lambda nodes: tree(nodes, 2),
    "tree3": lambda nodes: tree(nodes, 3),
    "tree4": lambda nodes: tree(nodes, 4),
}


def topology(name: str, nodes: list[str]) -> Topology:
    return TOPOLOGIES[name](nodes)


class Broadcast(AddsAndReads):
    name = NAME
    add_f = "broadcast"
    final_flagged = True

    async def setup(self, clients: dict[str, Client]) -> None:
        layout = topology(self.options.topology, list(self.options.nodes))
        calls = [
            spawn(client.loop, client.rpc(NAME, node, {"type": "topology", "topology": layout}))
            for node, client in clients.items()
        ]
        try:
            await gather(next(iter(clients.values())).loop, calls)
        except Exception as error:
            raise TopologyFailed(f"topology setup failed: {error}") from error

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        async def call() -> Op:
            if op["f"] == "broadcast":
                await client.rpc(NAME, node, {"type": "broadcast", "message": op["value"]})
                return {**op, "type": OK}
            reply = await client.rpc(NAME, node, {"type": "read"})
            return {**op, "type": OK, "value": reply["messages"] or []}

        return await with_errors(op, ("read",), call)

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return set_full.check(history, ctx, add_f="broadcast")


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return Broadcast(options, rng)
