"""The partition nemesis (spec 3.4): Jepsen's four partition specs and their grudges.

A grudge maps each node to the nodes it will not hear from. Only test nodes
are ever partitioned -- never clients, never services. The schedule (a
flip-flop of start and stop, staggered by ``--nemesis-interval``) lives in the
generator; this module decides what each op does.
"""

from __future__ import annotations

import random

from glome.bench.net import Network

SPECS = ("one", "minority-third", "majority", "majorities-ring")
START, STOP = "start-partition", "stop-partition"

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


class PartitionNemesis:
    """Applies start/stop ops to the network and says what happened."""

    def __init__(self, net: Network, nodes: list[str], rng: random.Random) -> None:
        self.net = net
        self.nodes = nodes
        self.rng = rng
        self.active: str | None = None

    def choose_spec(self) -> str:
        return self.rng.choice(SPECS)

    def start(self, spec: str) -> list:
        grudge = grudge_for(spec, self.nodes, self.rng)
        self.net.drop(grudge)
        self.active = spec
        return ["isolated", grudge]

    def stop(self) -> str:
        self.net.heal()
        self.active = None
        return "network-healed"
