"""What the rw-register and list-append checkers share: the transactions of a
history, the realtime and process orders, cycle search over the whole
dependency graph, and Elle's result map (verdict, anomaly types, the models
ruled out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from glome.bench.checkers.elle import graph as g
from glome.bench.checkers.elle import models
from glome.bench.edn import Keyword, Seq
from glome.bench.history import FAIL, INFO, INVOKE, OK, UNKNOWN, Op, is_client_op

#: How long the search may spend on one strongly connected component (Elle's default).
CYCLE_SEARCH_TIMEOUT_MS = 1000

Mop = list[Any]


class HistoryError(Exception):
    """A history these checkers cannot interpret (Elle stops with an error and
    the verdict is unknown): duplicate writes of one value, mixed key types …"""


@dataclass
class Txns:
    """The transactions of a history, indexed by history index.

    ``history`` holds the client txn ops in order (invocations included);
    ``completion`` maps an invocation's index to its completion."""

    history: list[Op]
    by_index: dict[int, Op]
    completion: dict[int, Op]
    invocation: dict[int, Op]
    #: ``of_type``'s lists; ``of`` fills in those of each single type as it reads the ops
    _by_types: dict[tuple[str, ...], list[Op]] = field(default_factory=dict)
    _external: dict[int, tuple[dict[Any, Any], dict[Any, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, history: Iterable[Op]) -> Txns:
        ops: list[Op] = []
        by_index: dict[int, Op] = {}
        # each of the four types, so that of_type finds even an empty one without a scan
        by_type: dict[str, list[Op]] = {kind: [] for kind in (INVOKE, OK, FAIL, INFO)}
        completion: dict[int, Op] = {}
        invocation: dict[int, Op] = {}
        open_by_process: dict[Any, Op] = {}
        for op in history:
            if op.get("f") != "txn" or not is_client_op(op):
                continue
            ops.append(op)
            by_index[op["index"]] = op
            kind = op["type"]
            by_type.setdefault(kind, []).append(op)
            if kind == INVOKE:
                open_by_process[op["process"]] = op
            else:
                start = open_by_process.pop(op["process"], None)
                if start is not None:
                    completion[start["index"]] = op
                    invocation[op["index"]] = start
        of_one_type: dict[tuple[str, ...], list[Op]] = {(k,): typed for k, typed in by_type.items()}
        return cls(ops, by_index, completion, invocation, of_one_type)

    def of_type(self, *types: str) -> list[Op]:
        """The ops of these types, in history order (one shared list: do not change it)."""
        found = self._by_types.get(types)
        if found is None:
            found = self._by_types[types] = [op for op in self.history if op["type"] in types]
        return found

    def external(self, op: Op) -> tuple[dict[Any, Any], dict[Any, Any]]:
        """``external(op["value"])`` of the op's transaction, computed once."""
        found = self._external.get(op["index"])
        if found is None:
            found = self._external[op["index"]] = external(op["value"])
        return found


def external(txn: Sequence[Mop], read_f: str = "r") -> tuple[dict[Any, Any], dict[Any, Any]]:
    """``(ext_reads(txn), ext_writes(txn))`` in one pass."""
    reads: dict[Any, Any] = {}
    writes: dict[Any, Any] = {}
    for f, k, v in txn:
        if f != read_f:
            writes[k] = v
        elif k not in reads and k not in writes:
            reads[k] = v
    return reads, writes


def ext_reads(txn: Sequence[Mop], read_f: str = "r") -> dict[Any, Any]:
    """key -> value of each key's first read, when no write of the key preceded it:
    what the transaction observed of the world outside it."""
    return external(txn, read_f)[0]


def ext_writes(txn: Sequence[Mop], read_f: str = "r") -> dict[Any, Any]:
    """key -> value of each key's last write: what the transaction left behind."""
    return {k: v for f, k, v in txn if f != read_f}


def failed_writes(txns: Txns, write_f: str) -> dict[Any, dict[Any, int]]:
    """key -> value -> index of the failed transaction that wrote it."""
    failed: dict[Any, dict[Any, int]] = {}
    for op in txns.of_type(FAIL):
        for f, k, v in op["value"]:
            if f == write_f:
                failed.setdefault(k, {})[v] = op["index"]
    return failed


def intermediate_writes(txns: Txns, write_f: str) -> dict[Any, dict[Any, int]]:
    """key -> value -> index of a transaction that wrote the value and then
    overwrote it (or appended after it) itself."""
    intermediate: dict[Any, dict[Any, int]] = {}
    for op in txns.history:
        last: dict[Any, Any] = {}
        for f, k, v in op["value"]:
            if f == write_f:
                if k in last:
                    intermediate.setdefault(k, {})[last[k]] = op["index"]
                last[k] = v
    return intermediate


_NOT_READ = object()


def lost_update_cases(txns: Txns, write_f: str) -> list[dict[Any, Any]]:
    """Committed transactions that read the same version of a key and both
    wrote it: one of their updates was lost, whatever the version order."""
    by_read: dict[Any, dict[Any, tuple[Any, list[Op]]]] = {}
    for op in txns.of_type(OK):
        reads: dict[Any, Any] = {}
        written: set[Any] = set()
        for f, k, v in op["value"]:
            read = reads.get(k, _NOT_READ)
            if f == write_f and k not in written:
                if read is not _NOT_READ:
                    values = by_read.setdefault(k, {})
                    values.setdefault(_hashable(read), (read, []))[1].append(op)
                    written.add(k)
            elif f != write_f and read is _NOT_READ:
                reads[k] = v
    return [
        {"key": k, "value": read, "txns": ops}
        for k, values in by_read.items()
        for read, ops in values.values()
        if len(ops) >= 2
    ]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def realtime_edges(txns: Txns, graph: g.TxnGraph) -> None:
    """T1 -> T2 when T1 completed ok before T2 was invoked (a transitive reduction)."""
    kinds: list[int] = []
    targets: list[int] = []
    for op in txns.history:
        kind = op["type"]
        if kind == INVOKE:
            done = txns.completion.get(op["index"])
            kinds.append(g.INVOKED)
            targets.append(-1 if done is None else done["index"])
        elif kind == OK:
            kinds.append(g.COMMITTED)
            targets.append(op["index"])
    graph.link_realtime(kinds, targets)


def process_edges(txns: Txns, graph: g.TxnGraph) -> None:
    """T1 -> T2 when one process committed T1 and then T2."""
    last: dict[Any, int] = {}
    for op in txns.of_type(OK):
        previous = last.get(op["process"])
        if previous is not None:
            graph.link(previous, op["index"], g.PROCESS)
        last[op["process"]] = op["index"]


def order_rels(consistency_models: Iterable[str]) -> int:
    """The extra order a requested model needs: realtime if any reportable type
    is a -realtime one, else process if any is -process, else none."""
    reportable = models.reportable_anomaly_types(consistency_models)
    if any(t.endswith("-realtime") for t in reportable):
        return g.REALTIME
    if any(t.endswith("-process") for t in reportable):
        return g.PROCESS
    return 0


def add_order_edges(txns: Txns, graph: g.TxnGraph, consistency_models: Sequence[str]) -> None:
    rels = order_rels(consistency_models)
    if rels == g.REALTIME:
        realtime_edges(txns, graph)
    elif rels == g.PROCESS:
        process_edges(txns, graph)


class Explainer(Protocol):
    """Says, as data, why transaction a precedes b by relation ``rel``."""

    def explain(self, a: Op, b: Op, rel: int) -> dict[str, Any]: ...


@dataclass
class OrderExplainer:
    """Explains realtime and process steps; defers data steps to ``data``."""

    txns: Txns
    data: Explainer

    def explain(self, a: Op, b: Op, rel: int) -> dict[str, Any]:
        if rel == g.REALTIME:
            invocation = self.txns.invocation.get(b["index"], b)
            return {"type": Keyword("realtime"), "a'": a, "b": invocation}
        if rel == g.PROCESS:
            return {"type": Keyword("process"), "process": a["process"]}
        return self.data.explain(a, b, rel)


@dataclass
class CycleAnalysis:
    """The dependency graph, its cyclic components and what was found in them."""

    graph: g.TxnGraph
    components: list[list[int]]
    priority: Sequence[int]
    explainer: Explainer
    txns: Txns
    #: anomaly type -> its cases; True for "empty-transaction-graph", which has none
    anomalies: dict[str, Any] = field(default_factory=dict)

    def explain_cycle(self, cycle: g.Cycle) -> dict[str, Any]:
        ops = [self.txns.by_index[v] for v in cycle.vertices]
        steps = [
            self.explainer.explain(ops[i], ops[(i + 1) % len(ops)], label)
            for i, label in enumerate(cycle.labels)
        ]
        return {"type": Keyword(cycle.type), "cycle": [*ops, ops[0]], "steps": steps}


def find_cycles(
    graph: g.TxnGraph,
    txns: Txns,
    consistency_models: Sequence[str],
    priority: Sequence[int],
    data_explainer: Explainer,
    timeout_ms: float = CYCLE_SEARCH_TIMEOUT_MS,
) -> CycleAnalysis:
    """Adds the order edges the models call for to a workload's data-dependency
    graph, then searches every cyclic component for cycle anomalies."""
    add_order_edges(txns, graph, consistency_models)
    explainer = OrderExplainer(txns, data_explainer)
    analysis = CycleAnalysis(graph, g.cyclic_components(graph), priority, explainer, txns)
    found = analysis.anomalies
    if len(graph) == 0:
        found["empty-transaction-graph"] = True
    for component in analysis.components:
        findings = g.search_component(graph.select(component), priority, timeout_ms / 1000)
        for case in findings.existence:
            found.setdefault(case["type"], []).append(case)
        if findings.timed_out is not None:
            found.setdefault("cycle-search-timeout", []).append(findings.timed_out)
        for cycle in findings.cycles:
            found.setdefault(cycle.type, []).append(analysis.explain_cycle(cycle))
    return analysis


def _drop_redundant_existence(reportable: dict[str, Any]) -> dict[str, Any]:
    """A cycle-exists anomaly adds nothing once a concrete anomaly rules its model out."""
    concrete = [t for t in reportable if not t.endswith("-cycle-exists")]
    ruled_out = models.anomalies_to_impossible_models(concrete)
    redundant = {spec.anomaly for spec in g.EXISTENCE_SPECS if spec.model in ruled_out}
    return {t: v for t, v in reportable.items() if t not in redundant}


def result_map(consistency_models: Sequence[str], anomalies: dict[str, Any]) -> dict[str, Any]:
    """Elle's verdict: false if a prohibited anomaly was found, unknown if only
    the unknown-making ones were, else true; plus the models ruled out."""
    prohibited = models.prohibited_anomaly_types(consistency_models)
    reportable_types = models.reportable_anomaly_types(consistency_models)
    bad = [t for t in anomalies if t in prohibited]
    reportable = _drop_redundant_existence(
        {t: v for t, v in anomalies.items() if t in reportable_types}
    )
    if not reportable:
        return {"valid?": True}
    return {
        "valid?": False if bad else UNKNOWN,
        "anomaly-types": Seq(Keyword(t) for t in sorted(reportable)),
        "anomalies": {t: reportable[t] for t in sorted(reportable)},
        **{k: [Keyword(m) for m in ms] for k, ms in models.boundary(anomalies).items()},
    }


def consistency_models_of(ctx: Any, consistency_models: Sequence[str] | None) -> list[str]:
    """The models to check: the explicit argument, else the test options, else
    strict-serializable (Maelstrom's default)."""
    if consistency_models is not None:
        return list(consistency_models)
    options = getattr(ctx, "options", None)
    chosen = getattr(options, "consistency_models", None)
    return list(chosen) if chosen else ["strict-serializable"]


Analyse = Callable[[list[Op], Sequence[str], Any, float], dict[str, Any]]


def checker(
    analyse: Analyse, verdict: Callable[[dict[str, Any]], dict[str, Any]] = lambda r: r
) -> Callable[..., dict[str, Any]]:
    """A workload checker ``check(history, ctx, *, consistency_models=None,
    cycle_search_timeout_ms=1000)`` running ``analyse`` then ``verdict``.

    The models come from the argument, else ``ctx.options``; the elle/ files go
    under ``ctx.store``. A history or model that cannot be interpreted makes the
    verdict unknown with the reason, as an exception inside Elle does."""

    def check(
        history: list[Op],
        ctx: Any = None,
        *,
        consistency_models: Sequence[str] | None = None,
        cycle_search_timeout_ms: float = CYCLE_SEARCH_TIMEOUT_MS,
    ) -> dict[str, Any]:
        chosen = consistency_models_of(ctx, consistency_models)
        store = getattr(ctx, "store", None)
        try:
            return verdict(analyse(history, chosen, store, cycle_search_timeout_ms))
        except (HistoryError, models.UnknownModelError) as error:
            return {"valid?": UNKNOWN, "error": str(error)}

    return check
