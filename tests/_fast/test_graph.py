"""The compiled graph core and its pure twin agree exactly: the same components
with members in the same order, the same smallest cyclic component, the same
realtime edges inserted in the same order (the checkers' reports follow these
orders)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from support.compiled import compiled_module

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

pure = load_pure("graph")
RELATIONS = [pure.WW, pure.WR, pure.RW, pure.PROCESS, pure.REALTIME]


@pytest.fixture
def twins() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure)."""
    return compiled_module("graph"), pure


vertices = st.one_of(st.integers(0, 12), st.sampled_from(["a", "b", None, 2.5]))


@st.composite
def adjacencies(draw: st.DrawFn) -> tuple[dict[Any, Any], list[Any]]:
    """Successors as a list, set or dict per vertex (some named only as successors),
    and the roots to try, which may repeat or name vertices without successors."""
    keys = draw(st.lists(vertices, max_size=12, unique=True))
    container = draw(st.sampled_from([list, set, dict.fromkeys]))
    adjacency = {v: container(draw(st.lists(vertices, max_size=5))) for v in keys}
    roots = draw(st.one_of(st.just(keys), st.lists(vertices, max_size=14)))
    return adjacency, roots


@st.composite
def dependency_graphs(draw: st.DrawFn) -> dict[int, dict[int, int]]:
    """vertex -> successor -> relation bits, as ``TxnGraph.out`` holds them."""
    size = draw(st.integers(0, 9))
    out: dict[int, dict[int, int]] = {v: {} for v in draw(st.permutations(range(size)))}
    for a, b, rels in draw(
        st.lists(
            st.tuples(st.integers(0, max(size - 1, 0)), st.integers(0, max(size - 1, 0)), masks),
            max_size=30,
        )
    ):
        if size and (a != b or draw(st.booleans())):
            out[a][b] = out[a].get(b, 0) | rels
    return out


masks = st.builds(
    lambda chosen: sum(set(chosen)), st.lists(st.sampled_from(RELATIONS), min_size=1, max_size=3)
)


def present(out: dict[int, dict[int, int]]) -> int:
    bits = 0
    for edges in out.values():
        for rels in edges.values():
            bits |= rels
    return bits


@SETTINGS
@given(graph=adjacencies())
def test_components_agree(twins: tuple[ModuleType, ModuleType], graph: Any) -> None:
    compiled, pure = twins
    adjacency, roots = graph
    assert compiled.strongly_connected(adjacency, roots) == pure.strongly_connected(
        adjacency, roots
    )


@SETTINGS
@given(out=dependency_graphs(), mask=st.one_of(masks, st.just(-1)), extra=masks)
def test_projections_agree(
    twins: tuple[ModuleType, ModuleType], out: dict[int, dict[int, int]], mask: int, extra: int
) -> None:
    compiled, pure = twins
    for rels in (present(out), present(out) | extra):
        projected = pure.project(out, rels, mask)
        assert compiled.project(out, rels, mask) == projected
        assert {v: list(ws) for v, ws in projected.items()} == {
            v: [w for w, r in edges.items() if r & mask] for v, edges in out.items()
        }


@SETTINGS
@given(
    out=dependency_graphs(),
    base=masks,
    extension=st.one_of(st.just(0), masks),
    extra=st.one_of(st.just(0), masks),
)
def test_smallest_cyclic_components_agree(
    twins: tuple[ModuleType, ModuleType],
    out: dict[int, dict[int, int]],
    base: int,
    extension: int,
    extra: int,
) -> None:
    compiled, pure = twins
    rels = present(out) | extra
    found = pure.smallest_cyclic_component(out, rels, base, extension)
    assert compiled.smallest_cyclic_component(out, rels, base, extension) == found
    if found is not None:
        assert len(set(found)) == len(found) and set(found) <= set(out)


@SETTINGS
@given(
    out=dependency_graphs(),
    keys=st.lists(st.tuples(masks, st.one_of(st.just(0), masks)), min_size=1, max_size=6),
)
def test_one_numbering_serves_every_subgraph(
    twins: tuple[ModuleType, ModuleType],
    out: dict[int, dict[int, int]],
    keys: list[tuple[int, int]],
) -> None:
    """Searching one ``Subgraphs`` under model after model finds what a fresh search
    of each finds, in both twins (the compiled one keeps its numbering and marks)."""
    rels = present(out)
    expected = [twins[1].smallest_cyclic_component(out, rels, b, e) for b, e in keys]
    for module in twins:
        subgraphs = module.Subgraphs(out, rels)
        assert [subgraphs.smallest_cyclic(b, e) for b, e in keys] == expected


@SETTINGS
@given(
    out=dependency_graphs(),
    edges=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), masks), max_size=30),
)
def test_linking_edges_agrees(
    twins: tuple[ModuleType, ModuleType],
    out: dict[int, dict[int, int]],
    edges: list[tuple[int, int, int]],
) -> None:
    copies = [{v: dict(ws) for v, ws in out.items()} for _ in range(2)]
    added = [module.link_edges(copy, edges) for module, copy in zip(twins, copies, strict=True)]
    assert added[0] == added[1] == pure.link_edges({}, [e for e in edges if e[0] != e[1]])
    assert [(v, list(ws.items())) for v, ws in copies[0].items()] == [
        (v, list(ws.items())) for v, ws in copies[1].items()
    ]


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """A history's invocations and commits: some txns never complete, some fail."""
    events: list[tuple[int, int]] = []
    open_txns: list[int] = []
    for index in range(draw(st.integers(0, 40))):
        if open_txns and draw(st.booleans()):
            txn = open_txns.pop(draw(st.integers(0, len(open_txns) - 1)))
            if draw(st.integers(0, 4)):
                events.append((pure.COMMITTED, txn))
        else:
            completes = draw(st.integers(0, 5)) > 0
            events.append((pure.INVOKED, 1000 + index if completes else -1))
            if completes:
                open_txns.append(1000 + index)
    return [kind for kind, _ in events], [txn for _, txn in events]


@SETTINGS
@given(events=event_streams(), seeded=st.booleans())
def test_realtime_edges_agree(
    twins: tuple[ModuleType, ModuleType], events: tuple[list[int], list[int]], seeded: bool
) -> None:
    compiled, pure = twins
    kinds, txns = events
    outs: list[dict[int, dict[int, int]]] = []
    linked = []
    for module in (compiled, pure):
        out = {txn: {1000: pure.WW} for txn in txns[:3] if txn >= 0} if seeded else {}
        linked.append(module.realtime_edges(kinds, txns, out))
        outs.append(out)
    assert linked[0] == linked[1]
    assert [(v, list(edges.items())) for v, edges in outs[0].items()] == [
        (v, list(edges.items())) for v, edges in outs[1].items()
    ]


def test_realtime_edges_are_a_transitive_reduction() -> None:
    # T1 commits, then T2 is invoked and commits, then T3 is invoked: T1 -> T2 -> T3 only
    kinds = [pure.INVOKED, pure.COMMITTED, pure.INVOKED, pure.COMMITTED, pure.INVOKED]
    out: dict[int, dict[int, int]] = {}
    assert pure.realtime_edges(kinds, [1, 1, 3, 3, 5], out)
    assert out == {1: {3: pure.REALTIME}, 3: {5: pure.REALTIME}, 5: {}}


@pytest.mark.parametrize("module_name", ["compiled", "pure"])
def test_realtime_edges_need_one_txn_per_event(module_name: str) -> None:
    module = compiled_module("graph") if module_name == "compiled" else pure
    with pytest.raises(ValueError):
        module.realtime_edges([pure.INVOKED], [], {})
