"""Dependency-graph primitives of the Elle checkers (pure-Python twin of graph.pyx).

What dominates the checkers' time on large histories: linking edges into a
graph (``link_edges``, and ``realtime_edges``, the transitive reduction of the
realtime order), Tarjan's components over any hashable vertices
(``strongly_connected``), and the smallest cyclic component of the subgraph a
consistency model must keep acyclic (``smallest_cyclic_component``). Each
visits, inserts and emits in an order the compiled twin reproduces exactly,
because the checkers' reports (which cycle is shown, in what order) follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

Adjacency = Mapping[Any, Iterable[Any]]

#: The relations a dependency edge can carry, one bit each.
WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16

#: ``realtime_edges`` event kinds: an invocation, an ok completion.
INVOKED, COMMITTED = 0, 1


def strongly_connected(adjacency: Adjacency, vertices: Iterable[Any]) -> list[list[Any]]:
    """Tarjan's components (singletons included), sinks first: every component
    comes after all components it can reach. Roots are tried in ``vertices``
    order, successors in ``adjacency`` order; members are listed as they leave
    the stack."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    components: list[list[Any]] = []
    for root in vertices:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[Any, Iterator[Any]]] = [(root, iter(adjacency.get(root, ())))]
        while work:
            vertex, successors = work[-1]
            descended = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(adjacency.get(nxt, ()))))
                    descended = True
                    break
                if nxt in on_stack and index[nxt] < low[vertex]:
                    low[vertex] = index[nxt]
            if descended:
                continue
            work.pop()
            if work and low[vertex] < low[work[-1][0]]:
                low[work[-1][0]] = low[vertex]
            if low[vertex] == index[vertex]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == vertex:
                        break
                components.append(component)
    return components


def link_edges(out: dict[Any, dict[Any, int]], edges: Iterable[tuple[Any, Any, int]]) -> int:
    """Adds each (a, b, relations) to ``out`` in order, as ``TxnGraph.link`` does: a
    self-edge only registers its vertex. Returns the relations of the edges added."""
    added = 0
    for a, b, rels in edges:
        successors = out.get(a)
        if successors is None:
            successors = out[a] = {}
        if a == b:
            continue
        successors[b] = successors.get(b, 0) | rels
        if b not in out:
            out[b] = {}
        added |= rels
    return added


def project(out: Mapping[Any, Mapping[Any, int]], present: int, mask: int) -> Adjacency:
    """``out`` keeping only edges with a relation in ``mask`` (read-only); ``present``
    is every relation some edge carries, so when all qualify ``out`` itself serves."""
    if present & ~mask == 0:
        return out  # a dict iterates its targets
    return {v: [w for w, r in edges.items() if r & mask] for v, edges in out.items()}


def smallest_cyclic_component(
    out: Mapping[Any, Mapping[Any, int]], present: int, base: int, extension: int
) -> list[Any] | None:
    """The first of the smallest components with a cycle (Tarjan's order, roots in
    ``out`` order) of ``out``'s ``base`` edges plus, when ``extension`` is set,
    v -> x for every v -base-> w -extension-> x; None when that graph is acyclic."""
    adjacency = project(out, present, base)
    if extension:
        hop = project(out, present, extension)
        adjacency = {
            v: list(dict.fromkeys([*ws, *(x for w in ws for x in hop.get(w, ()))]))
            for v, ws in adjacency.items()
        }
    cyclic = [
        c
        for c in strongly_connected(adjacency, out)
        if len(c) > 1 or c[0] in adjacency.get(c[0], ())
    ]
    return min(cyclic, key=len) if cyclic else None


class Subgraphs:
    """A graph whose model subgraphs are searched one after another (the compiled
    twin numbers the graph once for them all)."""

    def __init__(self, out: Mapping[Any, Mapping[Any, int]], present: int) -> None:
        self.out = out
        self.present = present

    def smallest_cyclic(self, base: int, extension: int) -> list[Any] | None:
        return smallest_cyclic_component(self.out, self.present, base, extension)


def realtime_edges(
    kinds: Sequence[int], txns: Sequence[int], out: dict[int, dict[int, int]]
) -> bool:
    """Adds T1 -REALTIME-> T2 to ``out`` whenever T1 committed before T2 was
    invoked, as a transitive reduction: an invocation links from the commits
    not already implied by an earlier one. Event i of the history is
    ``kinds[i]`` of ``txns[i]``: an invocation names the index of its completion
    (-1 when there is none), a commit its own index. Every invoked txn that
    completed becomes a vertex; returns whether any edge was added."""
    frontier: dict[int, None] = {}  # an ordered set: both twins link in the same order
    preceded_by: dict[int, list[int]] = {}
    linked = False
    for kind, txn in zip(kinds, txns, strict=True):
        if kind == INVOKED and txn >= 0:
            for earlier in frontier:
                edges = out.setdefault(earlier, {})
                edges[txn] = edges.get(txn, 0) | REALTIME
                linked = True
            out.setdefault(txn, {})
            preceded_by[txn] = list(frontier)
        elif kind == COMMITTED:
            for implied in preceded_by.pop(txn, ()):
                frontier.pop(implied, None)
            frontier[txn] = None
    return linked
