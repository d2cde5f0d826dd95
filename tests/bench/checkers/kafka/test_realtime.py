"""The realtime cycle check against a brute-force search over the full graph.

The checker finds cycles through reads from the future and counts strongly
connected components with Tarjan over a chain-encoded realtime order; here the
graph is built the naive way (a realtime edge for every pair of ops that do not
overlap) and closed transitively, on random small histories. Each component
is also reported as a strong-PL-2-cycle-exists proof listing its ops.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.checkers.kafka import check
from glome.bench.checkers.kafka.realtime import _tarjan
from support.kafka_builder import HistoryBuilder


def closure(size: int, edges: set[tuple[int, int]]) -> list[set[int]]:
    reach = [{b for a, b in edges if a == node} for node in range(size)]
    changed = True
    while changed:
        changed = False
        for node in range(size):
            extra = set().union(*(reach[other] for other in reach[node])) - reach[node]
            if extra:
                reach[node] |= extra
                changed = True
    return reach


def nontrivial_components(size: int, edges: set[tuple[int, int]]) -> set[frozenset[int]]:
    reach = closure(size, edges)
    return {
        frozenset(other for other in range(size) if other in reach[node] and node in reach[other])
        for node in range(size)
        if node in reach[node]
    }


@st.composite
def histories(draw: st.DrawFn) -> tuple[list, list[tuple[str, int, list[int]]]]:
    """Sends of messages 0..n-1 and polls reading random subsets, randomly interleaved."""
    sends = draw(st.integers(1, 4))
    polls = draw(st.lists(st.lists(st.integers(0, sends - 1), unique=True), min_size=1, max_size=4))
    ops = [("send", m, []) for m in range(sends)] + [("poll", -1, sorted(r)) for r in polls]
    tokens = draw(st.permutations([i for i in range(len(ops)) for _ in range(2)]))
    return tokens, ops


def replay(tokens: list[int], ops: list) -> tuple[list, dict[int, tuple[int, int]]]:
    builder = HistoryBuilder()
    open_ops: dict[int, dict] = {}
    span: dict[int, tuple[int, int]] = {}
    for token in tokens:
        f, message, reads = ops[token]
        if token not in open_ops:
            value = [["send", "k", message]] if f == "send" else [["poll"]]
            open_ops[token] = builder.invoke(token, f, value)
            span[token] = (len(builder.history) - 1, -1)
            continue
        if f == "send":
            done = [["send", "k", [message, message]]]
        else:
            done = [["poll", {"k": [[m, m] for m in reads]}]]
        builder.complete(open_ops[token], "ok", done)
        span[token] = (span[token][0], len(builder.history) - 1)
    return builder.history, span


@settings(max_examples=300, deadline=None)
@given(histories())
def test_cycle_count_matches_brute_force(case: tuple) -> None:
    tokens, ops = case
    history, span = replay(tokens, ops)
    edges = set()
    for reader, (f, _, reads) in enumerate(ops):
        if f == "poll":
            edges |= {(writer, reader) for writer in reads}
    for a in range(len(ops)):
        for b in range(len(ops)):
            if span[a][1] < span[b][0]:
                edges.add((a, b))
    components = nontrivial_components(len(ops), edges)
    result = check(history, None)
    found = result.get("G1c-realtime", {"count": 0})["count"]
    assert found == len(components)
    # Elle's cycle-exists proof names each component by its ops' completion indexes
    proofs = result.get("strong-PL-2-cycle-exists", {"errs": []})["errs"]
    completions = {frozenset(span[token][1] for token in c) for c in components}
    assert {frozenset(proof["scc"]) for proof in proofs} == completions
    assert all(proof["scc-size"] == len(proof["scc"]) for proof in proofs)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_tarjan_matches_mutual_reachability(case: tuple) -> None:
    size, edges = case
    adjacency: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        adjacency[a].append(b)
    component = _tarjan(adjacency)
    reach = closure(size, set(edges))
    for a in range(size):
        for b in range(size):
            mutual = a == b or (b in reach[a] and a in reach[b])
            assert (component[a] == component[b]) == mutual


def test_two_separate_future_reads_are_two_cycles() -> None:
    builder = HistoryBuilder()
    builder.poll(1, {"k": [[0, "a"]]})
    builder.send(0, "k", "a", 0)
    builder.poll(2, {"j": [[0, "b"]]})
    builder.send(0, "j", "b", 0)
    assert check(builder.history, None)["G1c-realtime"]["count"] == 2


def test_future_reads_in_one_component_are_one_cycle() -> None:
    builder = HistoryBuilder()
    builder.poll(1, {"k": [[0, "a"]], "j": [[0, "b"]]})
    builder.send(0, "k", "a", 0)
    builder.send(0, "j", "b", 0)
    assert check(builder.history, None)["G1c-realtime"]["count"] == 1
