"""Transaction dependency graphs: strongly connected components, cycle search
and cycle classification (Adya's G0 … G2-item and their -process/-realtime
variants), the way Elle analyses a history.

Vertices are transactions named by the history index of their completion.
Every edge carries a bitmask of relations (ww, wr, rw, process, realtime).
For classification each edge also has one *label*: the relation a reader is
shown first (the checker's priority order, e.g. wr before ww before rw), so the
type of a reported cycle always matches the explanation of its steps.

The hot graph algorithms (linking, components, cycle existence) run in the
compiled core, ``glome._fast.graph``, or its pure twin.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from glome._fast import load
from glome.bench.checkers.elle import models
from glome.bench.edn import Keyword

if TYPE_CHECKING:
    from glome._fast import graph as _graph
else:
    _graph = load("graph")

WW, WR, RW, PROCESS, REALTIME = _graph.WW, _graph.WR, _graph.RW, _graph.PROCESS, _graph.REALTIME
INVOKED, COMMITTED = _graph.INVOKED, _graph.COMMITTED
REL_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}
DATA_RELS = WW | WR | RW

Adjacency = Mapping[int, Iterable[int]]


def label_table(priority: Sequence[int]) -> list[int]:
    """For every relation bitmask, the relation shown first (0 for none)."""
    return list(_label_table(tuple(priority)))


@cache
def _label_table(priority: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(next((rel for rel in priority if mask & rel), 0) for mask in range(32))


class TxnGraph:
    """A digraph over transaction ids whose edges are relation bitmasks."""

    def __init__(self) -> None:
        self.out: dict[int, dict[int, int]] = {}
        #: every relation some edge carries
        self.rels_present = 0

    def link(self, a: int, b: int, rel: int) -> None:
        """Adds rel to a -> b (see ``link_edges``)."""
        self.link_edges(((a, b, rel),))

    def link_edges(self, edges: Iterable[tuple[int, int, int]]) -> None:
        """Adds rel to a -> b for every (a, b, rel), in order. A self-edge only
        registers the vertex (Elle drops them)."""
        self.rels_present |= _graph.link_edges(self.out, edges)

    def link_realtime(self, kinds: Sequence[int], txns: Sequence[int]) -> None:
        """The realtime order of a history's events (see ``_fast.graph.realtime_edges``)."""
        if _graph.realtime_edges(kinds, txns, self.out):
            self.rels_present |= REALTIME

    def __len__(self) -> int:
        return len(self.out)

    def select(self, vertices: Iterable[int]) -> TxnGraph:
        """The subgraph induced by ``vertices``."""
        keep = set(vertices)
        sub = TxnGraph()
        present = 0
        for v in keep:
            edges = {w: r for w, r in self.out.get(v, {}).items() if w in keep}
            sub.out[v] = edges
            for rels in edges.values():
                present |= rels
        sub.rels_present = present
        return sub

    def project(self, mask: int) -> Adjacency:
        """Adjacency keeping only edges with a relation in ``mask`` (read-only)."""
        return _graph.project(self.out, self.rels_present, mask)


def strongly_connected(adjacency: Adjacency, vertices: Iterable[Any]) -> list[list[Any]]:
    """Tarjan's components (singletons included), sinks first: every component
    comes after all components it can reach."""
    return _graph.strongly_connected(adjacency, vertices)


def cyclic_components(graph: TxnGraph) -> list[list[int]]:
    """Components of two or more transactions, each sorted, ordered by first index."""
    found = [sorted(c) for c in strongly_connected(graph.project(-1), graph.out) if len(c) > 1]
    return sorted(found)


# --- cycle existence (a cheap proof that some model is violated) ------------


@dataclass(frozen=True)
class ExistenceSpec:
    """A model whose dependency subgraph must be acyclic: ``base`` edges, plus
    (for snapshot-isolation-like models) one ``extension`` hop after a base edge."""

    model: str
    base: int
    extension: int = 0
    base_names: tuple[str, ...] = ()
    extension_names: tuple[str, ...] = ()

    @property
    def anomaly(self) -> str:
        return f"{self.model}-cycle-exists"

    def subgraph(self) -> list[Any]:
        union = ["union", *self.base_names]
        if not self.extension:
            return union
        return ["extension", union, ["union", *self.extension_names]]


_WWS = ("ww", "wwp")
_WRS = (*_WWS, "wr", "wrp")
_RWS = ("rw", "rwp")

EXISTENCE_SPECS: tuple[ExistenceSpec, ...] = (
    ExistenceSpec("PL-1", WW, 0, _WWS),
    ExistenceSpec("PL-2", WW | WR, 0, _WRS),
    ExistenceSpec("PL-SI", WW | WR, RW, _WRS, _RWS),
    ExistenceSpec("PL-2.99", WW | WR | RW, 0, (*_WRS, "rw")),
    ExistenceSpec("PL-3", DATA_RELS, 0, (*_WRS, *_RWS)),
    ExistenceSpec("strong-session-PL-1", WW | PROCESS, 0, (*_WWS, "process")),
    ExistenceSpec("strong-session-PL-2", WW | WR | PROCESS, 0, (*_WRS, "process")),
    ExistenceSpec(
        "strong-session-snapshot-isolation", WW | WR | PROCESS, RW, (*_WRS, "process"), _RWS
    ),
    ExistenceSpec("strong-session-serializable", DATA_RELS | PROCESS, 0, (*_WRS, *_RWS, "process")),
    ExistenceSpec("strong-PL-1", WW | REALTIME, 0, (*_WWS, "realtime")),
    ExistenceSpec("strong-PL-2", WW | WR | REALTIME, 0, (*_WRS, "realtime")),
    ExistenceSpec("strong-snapshot-isolation", WW | WR | REALTIME, RW, (*_WRS, "realtime"), _RWS),
    ExistenceSpec("PL-SS", DATA_RELS | REALTIME, 0, (*_WRS, *_RWS, "realtime")),
)


def cycle_existence_cases(graph: TxnGraph, connected: bool = False) -> list[dict[str, Any]]:
    """For each model whose subgraph of this component has a cycle, the smallest
    cyclic component as evidence; stronger models are then skipped. ``connected``
    says the graph is known to be strongly connected: then a subgraph keeping
    every edge is itself the one component, found without a search."""
    cases: list[dict[str, Any]] = []
    ruled_out: set[str] = set()
    present = graph.rels_present
    subgraphs = _graph.Subgraphs(graph.out, present)  # numbered once for every model
    seen: dict[tuple[int, int], list[int] | None] = {}
    for spec in EXISTENCE_SPECS:
        if spec.model in ruled_out:
            continue
        key = (spec.base & present, spec.extension & present)
        if key not in seen and connected and key == (present, 0) and len(graph) > 1:
            seen[key] = list(graph.out)
        if key not in seen:
            seen[key] = subgraphs.smallest_cyclic(spec.base, spec.extension)
        smallest = seen[key]
        if smallest is None:
            continue
        cases.append(
            {
                "type": Keyword(spec.anomaly),
                "not": Keyword(models.friendly(spec.model)),
                "subgraph": spec.subgraph(),
                "scc-size": len(smallest),
                "scc": sorted(smallest),
            }
        )
        ruled_out |= models.impossible_models([spec.model])
    return cases


def anomalies_ruled_out_by_existence(cases: Sequence[dict[str, Any]]) -> set[str]:
    """Cycle anomalies that cannot be present: those prohibited by a model whose
    subgraph was found acyclic."""
    return set(_ruled_out_by_existence(tuple(case["not"] for case in cases)))


@cache
def _ruled_out_by_existence(violated_models: tuple[str, ...]) -> frozenset[str]:
    impossible = models.impossible_models(violated_models)
    possible = [spec.model for spec in EXISTENCE_SPECS if spec.model not in impossible]
    return models.prohibited_anomaly_types(possible) & frozenset(CYCLE_SPECS)


# --- searching for specific cycles ------------------------------------------

NONE, SINGLE, NONADJACENT, ADJACENT = "none", "single", "nonadjacent", "adjacent"


@dataclass(frozen=True)
class CycleSpec:
    """A simple cycle whose labels are all in ``labels`` (plus rw edges as the
    ``rw`` rule allows), with at least one edge of every label in ``required``."""

    name: str
    labels: int
    rw: str = NONE
    required: int = 0


def _variants(spec: CycleSpec) -> list[CycleSpec]:
    return [
        spec,
        CycleSpec(f"{spec.name}-process", spec.labels | PROCESS, spec.rw, spec.required | PROCESS),
        CycleSpec(
            f"{spec.name}-realtime", spec.labels | REALTIME, spec.rw, spec.required | REALTIME
        ),
    ]


_BASE_SPECS = (
    CycleSpec("G0", WW),
    CycleSpec("G1c", WW | WR, NONE, WR),
    CycleSpec("G-single-item", WW | WR, SINGLE),
    CycleSpec("G-nonadjacent-item", WW | WR, NONADJACENT),
    CycleSpec("G2-item", WW | WR, ADJACENT),
)

#: Every cycle type the search can report. (G-single, G-nonadjacent and G2
#: proper need predicate edges, which these workloads never produce.)
CYCLE_SPECS: dict[str, CycleSpec] = {
    spec.name: spec for base in _BASE_SPECS for spec in _variants(base)
}


#: The cycle types in the order they are searched for: the most severe first.
SEARCH_ORDER = models.severity_order(CYCLE_SPECS)


def classify(labels: Sequence[int]) -> str:
    """The anomaly a cycle with these step labels shows (Adya's taxonomy)."""
    rws = sum(1 for label in labels if label == RW)
    if rws == 1:
        kind = "G-single-item"
    elif rws > 1:
        adjacent = any(labels[i] == RW and labels[i - 1] == RW for i in range(len(labels)))
        kind = "G2-item" if adjacent else "G-nonadjacent-item"
    elif WR in labels:
        kind = "G1c"
    elif WW in labels:
        kind = "G0"
    else:
        raise ValueError(f"cannot classify a cycle of {labels}")
    if REALTIME in labels:
        return kind + "-realtime"
    if PROCESS in labels:
        return kind + "-process"
    return kind


class SearchTimeout(Exception):
    """The cycle search in one component ran out of its time budget."""


@dataclass
class Cycle:
    """A simple cycle: vertices[0] -> vertices[1] -> … -> vertices[0]; labels[i]
    is the relation of the step leaving vertices[i]."""

    vertices: list[int]
    labels: list[int]

    @property
    def type(self) -> str:
        return classify(self.labels)


class LabeledComponent:
    """One strongly connected component with a single label per edge."""

    def __init__(self, graph: TxnGraph, priority: Sequence[int], deadline: float) -> None:
        self.vertices = sorted(graph.out)
        self.deadline = deadline
        label = _label_table(tuple(priority))
        self.edges = {
            v: [(w, label[rels]) for w, rels in sorted(graph.out[v].items())] for v in self.vertices
        }
        #: label -> how many edges carry it
        self.label_counts = Counter(map(itemgetter(1), chain.from_iterable(self.edges.values())))

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise SearchTimeout

    def find(self, spec: CycleSpec) -> Cycle | None:
        """A cycle matching ``spec``, shortest from its anchor edge, or None."""
        path_labels = spec.labels | (RW if spec.rw in (NONADJACENT, ADJACENT) else 0)
        edge_labels = path_labels | (RW if spec.rw != NONE else 0)
        anchor = RW if spec.rw != NONE else (_rarest(self, spec.required) or WW)
        if any(rel & spec.required and not self.label_counts[rel] for rel in REL_NAMES):
            return None  # a required label no edge carries
        if not self.label_counts[anchor]:
            return None  # no edge to start a cycle from
        path_adjacency = {
            v: [w for w, label in ws if label & path_labels] for v, ws in self.edges.items()
        }
        reach, component_of = _reachability(path_adjacency, self.vertices)
        for a in self.vertices:
            for b, label in self.edges[a]:
                if label != anchor or not (reach[component_of[b]] >> component_of[a]) & 1:
                    continue
                self._check_time()
                found = self._close(spec, edge_labels, a, b, anchor)
                if found is not None:
                    return found
        return None

    def _close(
        self, spec: CycleSpec, edge_labels: int, a: int, b: int, anchor: int
    ) -> Cycle | None:
        """Breadth-first over (vertex, progress) from b back to a, after a -> b."""
        start = (b, spec.required & ~anchor, 1 if anchor == RW else 0, anchor == RW, False)
        parents: dict[tuple[Any, ...], tuple[Any, ...] | None] = {start: None}
        labels_in: dict[tuple[Any, ...], int] = {}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            vertex, need, rws, last_rw, adjacent = state
            for nxt, label in self.edges[vertex]:
                if not label & edge_labels or nxt == b:
                    continue
                if label == RW:
                    if spec.rw == SINGLE or (spec.rw == NONADJACENT and last_rw):
                        continue
                    step = (nxt, need, min(rws + 1, 2), True, adjacent or last_rw)
                else:
                    step = (nxt, need & ~label, rws, False, adjacent)
                if step in parents:
                    continue
                parents[step] = state
                labels_in[step] = label
                if nxt != a:
                    queue.append(step)
                elif _accepts(spec, step):
                    cycle = _unwind(step, parents, labels_in, anchor)
                    if cycle is not None:
                        return cycle
        return None


def _accepts(spec: CycleSpec, state: tuple[Any, ...]) -> bool:
    _, need, rws, last_rw, adjacent = state
    if need:
        return False
    if spec.rw == SINGLE:
        return rws == 1
    if spec.rw == NONADJACENT:
        return rws >= 2 and not last_rw  # the closing edge meets the anchor rw
    if spec.rw == ADJACENT:
        return rws >= 2 and (adjacent or last_rw)
    return True


def _unwind(
    end: tuple[Any, ...],
    parents: dict[tuple[Any, ...], tuple[Any, ...] | None],
    labels_in: dict[tuple[Any, ...], int],
    anchor: int,
) -> Cycle | None:
    """The cycle a -> b -> … -> a ending in ``end``, or None if it repeats a vertex."""
    vertices: list[int] = []
    labels: list[int] = []
    state = end
    while (parent := parents.get(state)) is not None:
        vertices.append(state[0])
        labels.append(labels_in[state])
        state = parent
    vertices.append(state[0])
    vertices.reverse()  # b, …, a
    labels.reverse()
    cycle_vertices = [vertices[-1], *vertices[:-1]]  # a, b, …
    if len(set(cycle_vertices)) != len(cycle_vertices):
        return None
    return Cycle(cycle_vertices, [anchor, *labels])


def _rarest(component: LabeledComponent, required: int) -> int:
    counts = {rel: component.label_counts[rel] for rel in REL_NAMES if rel & required}
    return min(counts, key=lambda rel: (counts[rel], rel)) if counts else 0


def _reachability(
    adjacency: Adjacency, vertices: Sequence[int]
) -> tuple[list[int], dict[int, int]]:
    """Per component (Tarjan's numbering) the bitset of components it reaches."""
    components = strongly_connected(adjacency, vertices)
    component_of = {v: i for i, c in enumerate(components) for v in c}
    reach = [0] * len(components)
    for i, members in enumerate(components):  # sinks first
        bits = 1 << i
        for v in members:
            for w in adjacency.get(v, ()):
                j = component_of[w]
                if j != i:
                    bits |= reach[j]
        reach[i] = bits
    return reach, component_of


def fallback_cycle(component: LabeledComponent) -> Cycle:
    """Some cycle of a strongly connected component, found depth-first."""
    start = component.vertices[0]
    path = [start]
    position = {start: 0}
    labels: list[int] = []
    while True:
        successors = component.edges[path[-1]]
        back = next(((w, rel) for w, rel in successors if w in position), None)
        if back is not None:
            w, label = back
            i = position[w]
            return Cycle(path[i:], [*labels[i:], label])
        w, label = next((w, rel) for w, rel in successors if w not in position)
        position[w] = len(path)
        path.append(w)
        labels.append(label)


@dataclass
class ComponentFindings:
    existence: list[dict[str, Any]]
    cycles: list[Cycle]
    timed_out: dict[str, Any] | None = None


def search_component(
    graph: TxnGraph, priority: Sequence[int], budget_seconds: float
) -> ComponentFindings:
    """Cycle anomalies in one strongly connected component, most severe first;
    types implied by one already found, or impossible by cycle existence, are
    skipped. Past the budget the search stops with a fallback cycle."""
    existence = cycle_existence_cases(graph, connected=True)
    skip = anomalies_ruled_out_by_existence(existence)
    component = LabeledComponent(graph, priority, time.monotonic() + budget_seconds)
    cycles: list[Cycle] = []
    searched: list[str] = []
    for name in SEARCH_ORDER:
        if name in skip:
            continue
        searched.append(name)
        try:
            cycle = component.find(CYCLE_SPECS[name])
        except SearchTimeout:
            found_types = {c.type for c in cycles}
            timeout = {
                "type": Keyword("cycle-search-timeout"),
                "anomaly-spec-type": Keyword(name),
                "does-not-contain": [t for t in searched[:-1] if t not in found_types],
                "scc-size": len(graph),
            }
            cycles.append(fallback_cycle(component))
            return ComponentFindings(existence, cycles, timeout)
        if cycle is not None:
            cycles.append(cycle)
            skip |= models.implied_anomalies([name])
    return ComponentFindings(existence, cycles)
