"""The nemeses: network partitions (docs/maelstrom.md §4.4), and kill and pause of node processes.

Each fault comes as a *package*, as in Jepsen's combined nemesis: its ops, and
what each op does. ``PartitionNemesis`` flip-flops ``start-partition`` and
``stop-partition`` over Jepsen's four partition specs; a grudge maps each node
to the nodes it will not hear from, and only test nodes are ever partitioned --
never clients, never services. ``ProcessNemesis`` mixes two flip-flops, ``kill``
then ``start`` and ``pause`` then ``resume``, over Jepsen's node specs (docs/faults.md).
The schedule (each package staggered by ``--nemesis-interval`` on its own, the
soonest op first) lives in the generator; this module decides what each op does.
Maelstrom knows only ``partition``; kill and pause follow Jepsen's combined
nemesis, which Maelstrom's DB does not implement.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from typing import Any, Protocol

from glome.bench.net import Network

SPECS = ("one", "minority-third", "majority", "majorities-ring")
START, STOP = "start-partition", "stop-partition"
KILL, RESTART, PAUSE, RESUME = "kill", "start", "pause", "resume"
#: what a completion says of a node a kill or a pause hit, or a start or a resume undid
KILLED, PAUSED, STARTED, RESUMED = "killed", "paused", "started", "resumed"
#: what each process fault's ops undo: kill is undone by start, pause by resume
PROCESS_FAULTS = {"kill": (KILL, RESTART), "pause": (PAUSE, RESUME)}
#: Jepsen's db node specs; None picks a random non-empty subset
NODE_SPECS: tuple[str | None, ...] = (None, "one", "minority-third", "minority", "majority", "all")
ALL = "all"

Grudge = dict[str, list[str]]


def majority(n: int) -> int:
    return n // 2 + 1


def minority_third(n: int) -> int:
    return (n - 1) // 3


def complete_grudge(components: list[list[str]]) -> Grudge:
    """Every node drops every node outside its own component (a clean cut)."""
    everyone = [node for component in components for node in component]
    grudge: Grudge = {}
    for component in components:
        members = set(component)
        for node in component:
            grudge[node] = [other for other in everyone if other not in members]
    return grudge


def grudge_for(spec: str, nodes: list[str], rng: random.Random) -> Grudge:
    """The grudge of one ``start-partition`` with ``spec`` over ``nodes``."""
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    n = len(nodes)
    if spec == "one":
        return complete_grudge([shuffled[:1], shuffled[1:]])
    if spec == "majority":
        return complete_grudge([shuffled[: n // 2], shuffled[n // 2 :]])
    if spec == "minority-third":
        cut = minority_third(n)
        return complete_grudge([shuffled[:cut], shuffled[cut:]])
    if spec == "majorities-ring":
        if n <= 5:
            return majorities_ring_perfect(shuffled)
        return majorities_ring_stochastic(shuffled, rng)
    raise ValueError(f"unknown partition spec {spec!r}")


def majorities_ring_perfect(ring: list[str]) -> Grudge:
    """Each window of majority(n) ring positions: its middle node drops everyone outside it.

    Directional: every node still hears a majority, but no two share one.
    """
    n = len(ring)
    m = majority(n)
    grudge: Grudge = {}
    for start in range(n):
        window = [ring[(start + offset) % n] for offset in range(m)]
        middle = window[m // 2]
        grudge[middle] = [node for node in ring if node not in window]
    return grudge


def majorities_ring_stochastic(nodes: list[str], rng: random.Random) -> Grudge:
    """For n > 5: link minimum-degree nodes pairwise until each links a majority
    (counting itself); then every node drops what it is not linked to."""
    m = majority(len(nodes))
    links = {node: {node} for node in nodes}
    while True:
        low = min(len(linked) for linked in links.values())
        if low >= m:
            break
        candidates = [node for node in nodes if len(links[node]) == low]
        node = rng.choice(candidates)
        others = [other for other in nodes if other not in links[node]]
        least = min(len(links[other]) for other in others)
        partner = rng.choice([other for other in others if len(links[other]) == least])
        links[node].add(partner)
        links[partner].add(node)
    return {node: [other for other in nodes if other not in links[node]] for node in nodes}


def db_nodes(spec: str | None, nodes: list[str], rng: random.Random) -> list[str]:
    """The nodes one kill or pause hits, picked as Jepsen's ``db-nodes`` does."""
    n = len(nodes)
    if spec == ALL:
        return list(nodes)
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    if spec is None:
        return shuffled[: rng.randint(1, n)]
    if spec == "one":
        return shuffled[:1]
    if spec == "minority-third":
        return shuffled[: minority_third(n)]
    if spec == "minority":
        return shuffled[: majority(n) - 1]
    if spec == "majority":
        return shuffled[: majority(n)]
    raise ValueError(f"unknown node spec {spec!r}")


class Nemesis(Protocol):
    """One fault package: the ops of its schedule, its final ops, and what they do."""

    def next_op(self) -> tuple[str, Any]:
        """The next (f, value) of its schedule."""
        ...

    def final_ops(self) -> list[tuple[str, Any]]:
        """What undoes its faults before the final phase."""
        ...

    async def apply(self, f: str, value: Any) -> Any:
        """Do the op; the completion's value."""
        ...

    def describe(self) -> str:
        """What is in force now, for the live status line."""
        ...


class PartitionNemesis:
    """Applies start/stop ops to the network and says what happened."""

    name = "partition"

    def __init__(self, net: Network, nodes: list[str], rng: random.Random) -> None:
        self.net = net
        self.nodes = nodes
        self.rng = rng
        self.active: str | None = None
        self._starting = True

    def next_op(self) -> tuple[str, Any]:
        """The flip-flop's next op: a start with a random spec, then a stop."""
        op = (START, self.rng.choice(SPECS)) if self._starting else (STOP, None)
        self._starting = not self._starting
        return op

    def final_ops(self) -> list[tuple[str, Any]]:
        return [(STOP, None)]

    def describe(self) -> str:
        return f"partition {self.active or 'none'}"

    async def apply(self, f: str, value: Any) -> Any:
        return self.start(value) if f == START else self.stop()

    def start(self, spec: str) -> list[Any]:
        grudge = grudge_for(spec, self.nodes, self.rng)
        self.net.drop(grudge)
        self.active = spec
        return ["isolated", grudge]

    def stop(self) -> str:
        self.net.heal()
        self.active = None
        return "network-healed"


class NodeControl(Protocol):
    """What the process nemesis does to a node, done by the runner: each returns a word
    for the history (``killed``, ``started``, ``already-running``, ...)."""

    def kill(self, node: str) -> str: ...
    def restart(self, node: str) -> Awaitable[str]: ...
    def pause(self, node: str) -> str: ...
    def resume(self, node: str) -> str: ...


class ProcessNemesis:
    """Kill/start and pause/resume, as Jepsen's db package: a random one of the enabled
    flip-flops for each op; kill and pause hit the nodes of a random node spec, start
    and resume always go to all nodes."""

    name = "process"

    def __init__(
        self, control: NodeControl, nodes: list[str], faults: list[str], rng: random.Random
    ) -> None:
        self.control = control
        self.nodes = nodes
        self.rng = rng
        #: enabled flip-flops in Jepsen's order (pause before kill), each: [fault, undo, next]
        self._flip_flops = [
            [*PROCESS_FAULTS[fault], PROCESS_FAULTS[fault][0]]
            for fault in ("pause", "kill")
            if fault in faults
        ]
        self.active: dict[str, set[str]] = {KILL: set(), PAUSE: set()}

    def next_op(self) -> tuple[str, Any]:
        flip_flop = self.rng.choice(self._flip_flops)
        fault, undo, f = flip_flop
        flip_flop[2] = undo if f == fault else fault
        return (f, self.rng.choice(NODE_SPECS)) if f == fault else (f, ALL)

    def final_ops(self) -> list[tuple[str, Any]]:
        """Resume before start, as Jepsen's db package ends."""
        undo = {flip_flop[1] for flip_flop in self._flip_flops}
        return [(f, ALL) for f in (RESUME, RESTART) if f in undo]

    def describe(self) -> str:
        killed = ",".join(sorted(self.active[KILL], key=self.nodes.index)) or "none"
        paused = ",".join(sorted(self.active[PAUSE], key=self.nodes.index)) or "none"
        return f"killed {killed}  paused {paused}"

    async def apply(self, f: str, value: Any) -> dict[str, str]:
        """Do ``f`` to the nodes ``value`` names; node -> what happened, sorted by node."""
        targets = self.nodes if f in (RESTART, RESUME) else db_nodes(value, self.nodes, self.rng)
        done: dict[str, str] = {}
        for node in sorted(targets, key=self.nodes.index):
            if f == KILL:
                done[node] = self.control.kill(node)
                self.active[KILL].add(node)
            elif f == RESTART:
                done[node] = await self.control.restart(node)
                self.active[KILL].discard(node)
            elif f == PAUSE:
                done[node] = self.control.pause(node)
                self.active[PAUSE].add(node)
            else:
                done[node] = self.control.resume(node)
                self.active[PAUSE].discard(node)
        return dict(sorted(done.items()))
