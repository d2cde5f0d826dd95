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

from glome.bench.checkers.elle import analysis as an
from glome.bench.checkers.elle import explain, models
from glome.bench.checkers.elle import graph as g
from glome.bench.edn import Keyword, Seq
from glome.bench.history import INFO, OK, Op

READ, WRITE = "r", "w"
#: Which relation explains a step first, as Elle's combined explainer does.
PRIORITY = (g.WR, g.WW, g.RW, g.PROCESS, g.REALTIME)

VersionGraphs = dict[Any, dict[Any, set[Any]]]


def maelstrom_verdict(result: dict[str, Any]) -> dict[str, Any]:
    """Maelstrom's override: cycle-search timeouts are dropped and any remaining
    anomaly type (empty-transaction-graph included) makes the result false."""
    types = Seq(t for t in result.get("anomaly-types", []) if t != "cycle-search-timeout")
    anomalies = result.get("anomalies")
    if anomalies is not None:
        anomalies = {t: v for t, v in anomalies.items() if t != "cycle-search-timeout"}
    return {**result, "anomaly-types": types, "anomalies": anomalies, "valid?": not types}


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


def _link(graphs: VersionGraphs, key: Any, v1: Any, v2: Any) -> None:
    graphs.setdefault(key, {}).setdefault(v1, set()).add(v2)
    graphs[key].setdefault(v2, set())


def initial_state_versions(txns: an.Txns) -> VersionGraphs:
    """nil precedes every value written (by ok or info txns) or read (by ok txns)."""
    graphs: VersionGraphs = {}
    for op in txns.of_type(OK, INFO):
        pairs = list(txns.ext_writes(op).items())
        if op["type"] == OK:
            pairs += txns.ext_reads(op).items()
        for k, v in pairs:
            if v is not None:
                _link(graphs, k, None, v)
    return graphs


def writes_follow_reads_versions(txns: an.Txns) -> VersionGraphs:
    """Within a committed txn, a key's external read precedes its final write."""
    graphs: VersionGraphs = {}
    for op in txns.of_type(OK):
        writes = txns.ext_writes(op)
        for k, v in txns.ext_reads(op).items():
            if v is not None and k in writes and writes[k] != v:
                _link(graphs, k, v, writes[k])
    return graphs


def _union(a: VersionGraphs, b: VersionGraphs) -> VersionGraphs:
    merged = {k: {v: set(ws) for v, ws in vs.items()} for k, vs in a.items()}
    for k, vs in b.items():
        for v, ws in vs.items():
            merged.setdefault(k, {}).setdefault(v, set()).update(ws)
            for w in ws:
                merged[k].setdefault(w, set())
    return merged


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
    initial = initial_state_versions(txns)
    combined = _union(initial, writes_follow_reads_versions(txns))
    cycles = cyclic_version_cases(combined, ["initial-state", "wfr-keys"])
    if cycles:
        return initial, {"cyclic-versions": cycles}
    return combined, {}


# --- the dependency graph ----------------------------------------------------


def _index(ops: list[Op], extract: Any) -> dict[Any, dict[Any, list[int]]]:
    """key -> value -> indices of the ops whose ``extract`` maps key to value."""
    index: dict[Any, dict[Any, list[int]]] = {}
    for op in ops:
        for k, v in extract(op).items():
            index.setdefault(k, {}).setdefault(v, []).append(op["index"])
    return index


def dependency_graph(txns: an.Txns, versions: VersionGraphs) -> g.TxnGraph:
    """wr edges from each read to its writer, ww and rw edges from the version order."""
    oks = txns.of_type(OK)
    reads = _index(oks, txns.ext_reads)
    writes = _index(oks, txns.ext_writes)
    graph = g.TxnGraph()
    for k, readers_by_value in reads.items():
        for v, readers in readers_by_value.items():
            writers = writes.get(k, {}).get(v, [])
            if len(writers) > 1:
                raise an.HistoryError(
                    f"Key {k!r} had value {v!r} written by more than one op: {writers}"
                )
            for writer in writers:
                for reader in readers:
                    graph.link(writer, reader, g.WR)
    for k, order in versions.items():
        k_writes, k_reads = writes.get(k, {}), reads.get(k, {})
        for v1, laters in order.items():
            for v2 in laters:
                for later in k_writes.get(v2, ()):
                    for earlier in k_writes.get(v1, ()):
                        graph.link(earlier, later, g.WW)
                    for earlier in k_reads.get(v1, ()):
                        graph.link(earlier, later, g.RW)
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
