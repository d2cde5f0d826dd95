"""The txn-rw-register checker: Elle's rw-register analysis with Maelstrom's verdict.

Micro-ops are ``["r", k, v]`` and ``["w", k, v]``; each value is written to a
key at most once, so a read names the transaction it read from (a wr edge).
Registers do not reveal their version order, so it is inferred as Elle does by
default: the initial nil precedes every value, and within one committed
transaction the value read before a write precedes the value written
("writes follow reads"). Those version edges give ww and rw edges between
the transactions that wrote or read the two versions. If the inferred orders
are cyclic, the writes-follow-reads part is dropped and ``cyclic-versions``
reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glome.bench.checkers.collector import collector_paused
from glome.bench.checkers.elle import analysis as an
from glome.bench.checkers.elle import explain, models
from glome.bench.checkers.elle import graph as g
from glome.bench.edn import Keyword, Seq
from glome.bench.history import INFO, OK, Op

READ, WRITE = "r", "w"
#: Which relation explains a step first, as Elle's combined explainer does.
PRIORITY = (g.WR, g.WW, g.RW, g.PROCESS, g.REALTIME)

VersionGraphs = dict[Any, dict[Any, set[Any]]]
#: key -> value -> indices of the txns that read or wrote it
ValueIndex = dict[Any, dict[Any, list[int]]]


def maelstrom_verdict(result: dict[str, Any]) -> dict[str, Any]:
    """Maelstrom's override: cycle-search timeouts are dropped and any remaining
    anomaly type (empty-transaction-graph included) makes the result false."""
    types = Seq(t for t in result.get("anomaly-types", []) if t != "cycle-search-timeout")
    anomalies = result.get("anomalies")
    if anomalies is not None:
        anomalies = {t: v for t, v in anomalies.items() if t != "cycle-search-timeout"}
    return {**result, "anomaly-types": types, "anomalies": anomalies, "valid?": not types}


@collector_paused()
def analyse(
    history: list[Op],
    consistency_models: Sequence[str],
    store: Path | None = None,
    cycle_search_timeout_ms: float = an.CYCLE_SEARCH_TIMEOUT_MS,
) -> dict[str, Any]:
    """Elle's rw-register result map (before Maelstrom's override)."""
    models.validate(consistency_models)
    txns = an.Txns.of(history)
    _check_key_types(txns)
    versions, version_anomalies = version_graphs(txns)
    graph = dependency_graph(txns, versions)
    cycles = an.find_cycles(
        graph,
        txns,
        consistency_models,
        PRIORITY,
        RegisterExplainer(versions),
        cycle_search_timeout_ms,
    )
    found = {
        **version_anomalies,
        "internal": internal_cases(txns),
        "G1a": g1a_cases(txns),
        "G1b": g1b_cases(txns),
        "lost-update": an.lost_update_cases(txns, WRITE),
    }
    return explain.report(consistency_models, cycles, found, store, appends=False)


def _check_key_types(txns: an.Txns) -> None:
    """Elle refuses histories mixing key types: equal-looking keys would not match."""
    kinds = {type(k) for op in txns.history for _, k, _ in op["value"] or ()}
    if len(kinds) > 1:
        names = sorted(kind.__name__ for kind in kinds)
        raise an.HistoryError(f"History includes a mix of different types for keys: {names}")


# --- version orders ----------------------------------------------------------


def initial_state_versions(txns: an.Txns) -> VersionGraphs:
    """nil precedes every value written (by ok or info txns) or read (by ok txns)."""
    graphs: VersionGraphs = {}
    for op in txns.of_type(OK, INFO):
        reads, writes = txns.external(op)
        pairs = [*writes.items(), *reads.items()] if op["type"] == OK else writes.items()
        for k, v in pairs:
            if v is None:
                continue
            order = graphs.get(k)
            if order is None:
                order = graphs[k] = {None: set()}
            order[None].add(v)
            if v not in order:
                order[v] = set()
    return graphs


def add_writes_follow_reads(txns: an.Txns, graphs: VersionGraphs) -> bool:
    """Within a committed txn, a key's external read precedes its final write.
    Adds those version edges to ``graphs``; says whether there were any."""
    added = False
    for op in txns.of_type(OK):
        reads, writes = txns.external(op)
        for k, v in reads.items():
            if v is not None and k in writes and writes[k] != v:
                order = graphs.setdefault(k, {})
                order.setdefault(v, set()).add(writes[k])
                order.setdefault(writes[k], set())
                added = True
    return added


def _value_order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def cyclic_version_cases(graphs: VersionGraphs, sources: list[str]) -> list[dict[str, Any]]:
    cases = []
    for key, graph in graphs.items():
        for component in g.strongly_connected(graph, graph):
            if len(component) > 1:
                scc = sorted(component, key=_value_order)
                cases.append({"key": key, "scc": scc, "sources": sources})
    return cases


def version_graphs(txns: an.Txns) -> tuple[VersionGraphs, dict[str, Any]]:
    """The version order per key, and cyclic-versions if writes-follow-reads
    contradicts itself (then only the initial-state order is kept)."""
    versions = initial_state_versions(txns)
    if not add_writes_follow_reads(txns, versions):
        return versions, {}  # nil before every other value: no cycle possible
    cycles = cyclic_version_cases(versions, ["initial-state", "wfr-keys"])
    if cycles:
        return initial_state_versions(txns), {"cyclic-versions": cycles}
    return versions, {}


# --- the dependency graph ----------------------------------------------------


def _indices(txns: an.Txns, oks: list[Op]) -> tuple[ValueIndex, ValueIndex]:
    """key -> value -> indices of the ok txns that read (first) and wrote (last) it."""
    reads: ValueIndex = {}
    writes: ValueIndex = {}
    for op in oks:
        index = op["index"]
        for found, values in zip((reads, writes), txns.external(op), strict=True):
            for k, v in values.items():
                by_value = found.get(k)
                if by_value is None:
                    found[k] = {v: [index]}
                elif v in by_value:
                    by_value[v].append(index)
                else:
                    by_value[v] = [index]
    return reads, writes


def dependency_graph(txns: an.Txns, versions: VersionGraphs) -> g.TxnGraph:
    """wr edges from each read to its writer, ww and rw edges from the version order."""
    reads, writes = _indices(txns, txns.of_type(OK))
    edges: list[tuple[int, int, int]] = []
    for k, readers_by_value in reads.items():
        k_writes = writes.get(k, {})
        for v, readers in readers_by_value.items():
            writers = k_writes.get(v, ())
            if len(writers) > 1:
                raise an.HistoryError(
                    f"Key {k!r} had value {v!r} written by more than one op: {writers}"
                )
            for writer in writers:
                edges += [(writer, reader, g.WR) for reader in readers]
    for k, order in versions.items():
        k_writes, k_reads = writes.get(k, {}), reads.get(k, {})
        for v1, laters in order.items():
            earlier_writes = k_writes.get(v1, ())
            earlier_reads = k_reads.get(v1, ())
            if not (earlier_writes or earlier_reads):
                continue
            for v2 in laters:
                for later in k_writes.get(v2, ()):
                    edges += [(earlier, later, g.WW) for earlier in earlier_writes]
                    edges += [(earlier, later, g.RW) for earlier in earlier_reads]
    graph = g.TxnGraph()
    graph.link_edges(edges)
    return graph


class RegisterExplainer:
    """Why one committed txn precedes another, from their reads, writes and
    the inferred version order."""

    def __init__(self, versions: VersionGraphs) -> None:
        self.versions = versions

    def explain(self, a: Op, b: Op, rel: int) -> dict[str, Any]:
        a_txn, b_txn = a["value"], b["value"]
        if rel == g.WR:
            b_reads = an.ext_reads(b_txn)
            for k, v in an.ext_writes(a_txn).items():
                if k in b_reads and b_reads[k] == v:
                    return _step("wr", k, v, None, a_txn, WRITE, b_txn, READ)
        else:
            a_values = an.ext_writes(a_txn) if rel == g.WW else an.ext_reads(a_txn)
            b_writes = an.ext_writes(b_txn)
            for k, v in a_values.items():
                later = self.versions.get(k, {}).get(v, ())
                if k in b_writes and b_writes[k] in later:
                    a_f = WRITE if rel == g.WW else READ
                    kind = "ww" if rel == g.WW else "rw"
                    return _step(kind, k, v, b_writes[k], a_txn, a_f, b_txn, WRITE)
        raise AssertionError(f"no {g.REL_NAMES[rel]} dependency of {b} on {a}")


def _step(
    kind: str, k: Any, v: Any, v2: Any, a_txn: list[Any], a_f: str, b_txn: list[Any], b_f: str
) -> dict[str, Any]:
    step: dict[str, Any] = {"type": Keyword(kind), "key": k, "value": v}
    if kind != "wr":
        step["value'"] = v2
    step["a-mop-index"] = _mop_index(a_txn, [a_f, k, v])
    step["b-mop-index"] = _mop_index(b_txn, [b_f, k, v if kind == "wr" else v2])
    return step


def _mop_index(txn: list[Any], mop: list[Any]) -> int | None:
    return next((i for i, m in enumerate(txn) if list(m) == mop), None)


# --- anomalies found without the graph -----------------------------------------


def internal_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """A committed txn reading a key differently from what it last wrote or read."""
    cases = []
    for op in txns.of_type(OK):
        state: dict[Any, Any] = {}
        for mop in op["value"]:
            f, k, v = mop
            expected = state.get(k)
            if f == READ and expected is not None and expected != v:
                cases.append({"op": op, "mop": mop, "expected": expected})
                break
            state[k] = v
    return cases


def g1a_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """Committed reads of a value only a failed txn wrote (aborted reads)."""
    failed = an.failed_writes(txns, WRITE)
    return [
        {"op": op, "mop": mop, "writer": txns.by_index[failed[mop[1]][mop[2]]]}
        for op in txns.of_type(OK)
        for mop in op["value"]
        if mop[0] == READ and mop[2] in failed.get(mop[1], ())
    ]


def g1b_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """Committed reads of a value its writer overwrote in the same txn."""
    intermediate = an.intermediate_writes(txns, WRITE)
    cases = []
    for op in txns.of_type(OK):
        for mop in op["value"]:
            f, k, v = mop
            writer = intermediate.get(k, {}).get(v) if f == READ else None
            if writer is not None and writer != op["index"]:
                cases.append({"op": op, "mop": mop, "writer": txns.by_index[writer]})
    return cases


#: The workload checker (see analysis.checker).
check = an.checker(analyse, maelstrom_verdict)
