"""Components, cycle existence, cycle search and classification, checked
against brute force on small random graphs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.checkers.elle import graph as g

LABELS = [g.WW, g.WR, g.RW, g.REALTIME]
PRIORITY = (g.WR, g.WW, g.RW, g.PROCESS, g.REALTIME)


def build(edges: list[tuple[int, int, int]]) -> g.TxnGraph:
    """The graph of these edges; realtime edges only point forward, as time does."""
    graph = g.TxnGraph()
    for a, b, rel in edges:
        if rel == g.REALTIME and a > b:
            a, b = b, a
        graph.link(a, b, rel)
    return graph


edge_lists = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from(LABELS)), max_size=14
)


def reachable(adjacency: dict[int, list[int]], start: int) -> set[int]:
    seen = {start}
    stack = [start]
    while stack:
        for w in adjacency.get(stack.pop(), ()):
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


@given(edge_lists)
def test_components_agree_with_mutual_reachability(edges: list[tuple[int, int, int]]) -> None:
    graph = build(edges)
    adjacency = graph.project(-1)
    reach = {v: reachable(adjacency, v) for v in graph.out}
    expected = {
        frozenset(w for w in graph.out if w in reach[v] and v in reach[w]) for v in graph.out
    }
    found = {frozenset(c) for c in g.strongly_connected(adjacency, graph.out)}
    assert found == expected


def simple_cycles(graph: g.TxnGraph) -> list[g.Cycle]:
    """Every simple cycle, each edge labelled by priority, by enumeration."""
    label = {
        (v, w): next(rel for rel in PRIORITY if rels & rel)
        for v, ws in graph.out.items()
        for w, rels in ws.items()
    }
    cycles = []
    vertices = sorted(graph.out)
    for size in range(2, len(vertices) + 1):
        for chosen in itertools.combinations(vertices, size):
            first, rest = chosen[0], chosen[1:]
            for order in itertools.permutations(rest):
                path = [first, *order]
                steps = list(zip(path, path[1:] + path[:1], strict=True))
                if all(step in label for step in steps):
                    cycles.append(g.Cycle(path, [label[step] for step in steps]))
    return cycles


def assert_genuine(graph: g.TxnGraph, cycle: g.Cycle) -> None:
    assert len(set(cycle.vertices)) == len(cycle.vertices), "cycles are simple"
    for i, label in enumerate(cycle.labels):
        a, b = cycle.vertices[i], cycle.vertices[(i + 1) % len(cycle.vertices)]
        rels = graph.out[a][b]
        assert next(rel for rel in PRIORITY if rels & rel) == label


#: Specs for which a cycle through one anchor edge plus a shortest return path
#: always exists when any matching cycle does, so the search must find one.
COMPLETE_SPECS = ["G0", "G1c", "G-single-item", "G0-realtime"]


@settings(max_examples=300, deadline=None)
@given(edge_lists)
def test_search_is_sound_and_finds_what_brute_force_finds(
    edges: list[tuple[int, int, int]],
) -> None:
    graph = build(edges)
    existing = {c.type for c in simple_cycles(graph)}
    component = g.LabeledComponent(graph, PRIORITY, deadline=float("inf"))
    for name, spec in g.CYCLE_SPECS.items():
        found = component.find(spec)
        if found is not None:
            assert_genuine(graph, found)
            assert found.type == name
        elif name in COMPLETE_SPECS:
            assert name not in existing


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([g.WW, g.WW], "G0"),
        ([g.WW, g.WR], "G1c"),
        ([g.WR, g.RW], "G-single-item"),
        ([g.RW, g.WR, g.RW, g.WW], "G-nonadjacent-item"),
        ([g.RW, g.RW], "G2-item"),
        ([g.RW, g.WR, g.WR, g.RW], "G2-item"),  # adjacent across the wrap-around
        ([g.WR, g.REALTIME], "G1c-realtime"),
        ([g.WW, g.PROCESS], "G0-process"),
        ([g.RW, g.PROCESS, g.REALTIME], "G-single-item-realtime"),
    ],
)
def test_classification(labels: list[int], expected: str) -> None:
    assert g.classify(labels) == expected


def test_cycle_existence_reports_the_weakest_violated_model_only_once() -> None:
    # a -ww-> b -ww-> a: read uncommitted is already ruled out, and with it
    # every stronger model, so one case suffices.
    cases = g.cycle_existence_cases(build([(1, 2, g.WW), (2, 1, g.WW)]))
    assert [c["type"] for c in cases] == ["PL-1-cycle-exists"]
    assert cases[0]["not"] == "read-uncommitted"
    assert cases[0]["scc"] == [1, 2]


def test_cycle_existence_through_one_antidependency_hop() -> None:
    # 1 -wr-> 2 -rw-> 1: no ww/wr cycle, but a cycle once one rw hop may follow
    # (snapshot isolation) or with item rw edges at all (repeatable read, which
    # snapshot isolation does not imply); stronger models are not listed.
    cases = g.cycle_existence_cases(build([(1, 2, g.WR), (2, 1, g.RW)]))
    assert [c["type"] for c in cases] == ["PL-SI-cycle-exists", "PL-2.99-cycle-exists"]
    assert cases[0]["subgraph"] == [
        "extension",
        ["union", "ww", "wwp", "wr", "wrp"],
        ["union", "rw", "rwp"],
    ]


@given(edge_lists)
def test_a_component_known_to_be_connected_has_the_same_existence_cases(
    edges: list[tuple[int, int, int]],
) -> None:
    graph = build(edges)
    for component in g.cyclic_components(graph):
        sub = graph.select(component)
        assert g.cycle_existence_cases(sub, connected=True) == g.cycle_existence_cases(sub)


def test_cycle_existence_of_an_acyclic_graph_is_empty() -> None:
    assert g.cycle_existence_cases(build([(1, 2, g.WR), (2, 3, g.RW)])) == []


def test_search_component_skips_types_implied_by_one_found() -> None:
    # 1 -ww-> 2 -ww-> 1 is G0; G1c and the variants are implied, not searched.
    findings = g.search_component(build([(1, 2, g.WW), (2, 1, g.WW)]), PRIORITY, 1.0)
    assert [c.type for c in findings.cycles] == ["G0"]


def test_search_component_gives_up_with_a_fallback_cycle_past_its_budget() -> None:
    findings = g.search_component(build([(1, 2, g.RW), (2, 1, g.RW)]), PRIORITY, 0.0)
    assert findings.timed_out is not None
    assert findings.timed_out["type"] == "cycle-search-timeout"
    assert [c.type for c in findings.cycles] == ["G2-item"]
