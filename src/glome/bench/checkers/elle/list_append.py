"""The txn-list-append checker: Elle's list-append analysis, verdict unchanged.

Micro-ops are ``["r", k, [elements…]]`` and ``["append", k, v]`` with every
value appended to a key at most once. A read shows the whole order of appends
up to that point, so the longest read of a key gives its version order (as
long as all reads are prefixes of it: else ``incompatible-order``). From that
order: ww edges between consecutive appends, wr edges from the append a read
ends with to the reader, and rw edges from a read to the append that came
right after what it saw. Failed transactions take no part in the graph;
indeterminate ones do, through their appends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from glome.bench.checkers.collector import collector_paused
from glome.bench.checkers.elle import analysis as an
from glome.bench.checkers.elle import explain, models
from glome.bench.checkers.elle import graph as g
from glome.bench.edn import Keyword
from glome.bench.history import FAIL, INFO, INVOKE, OK, Op

READ, APPEND = "r", "append"
#: Which relation explains a step first, as Elle's combined explainer does.
PRIORITY = (g.WW, g.WR, g.RW, g.PROCESS, g.REALTIME)
#: Marks an expected list whose beginning the transaction never saw.
UNKNOWN_PREFIX = "..."


class _Initial:
    """The empty state before a key's first append."""

    def __repr__(self) -> str:
        return "INITIAL"


INITIAL = _Initial()


@collector_paused()
def analyse(
    history: list[Op],
    consistency_models: Sequence[str],
    store: Path | None = None,
    cycle_search_timeout_ms: float = an.CYCLE_SEARCH_TIMEOUT_MS,
) -> dict[str, Any]:
    """Elle's list-append result map."""
    models.validate(consistency_models)
    txns = an.Txns.of(history)
    _verify(txns)
    possible = txns.of_type(OK, INFO)
    observed = sorted_values(possible)
    orders = AppendOrders.of(observed, possible)
    graph = dependency_graph(possible, orders)
    cycles = an.find_cycles(
        graph, txns, consistency_models, PRIORITY, AppendExplainer(orders), cycle_search_timeout_ms
    )
    completed = [op for op in txns.history if op["type"] != INVOKE]
    found = {
        "duplicate-elements": duplicate_cases(possible),
        "incompatible-order": incompatible_orders(observed),
        "internal": internal_cases(txns),
        "future-read": future_read_cases(txns),
        "dirty-update": dirty_update_cases(sorted_values(txns.history), completed),
        "G1a": g1a_cases(txns),
        "G1b": g1b_cases(txns),
        "lost-update": an.lost_update_cases(txns, APPEND),
    }
    return explain.report(consistency_models, cycles, found, store, appends=True)


def _verify(txns: an.Txns) -> None:
    """Only reads and appends, and no value appended twice to a key by the
    generator: otherwise the history cannot be analysed (unknown)."""
    appended: set[tuple[Any, Any]] = set()
    for op in txns.history:
        for f, k, v in op["value"] or ():
            if f not in (READ, APPEND):
                raise an.HistoryError(
                    f"history contained operations other than appends or reads: {op}"
                )
            if f == APPEND and op["type"] == INVOKE:
                if (k, v) in appended:
                    raise an.HistoryError(f"value {v!r} appended to key {k!r} multiple times!")
                appended.add((k, v))


# --- version orders ----------------------------------------------------------


def sorted_values(ops: list[Op]) -> dict[Any, list[list[Any]]]:
    """key -> every distinct non-empty list read, shortest first. A key appended
    exactly once among these ops is known to have taken just that one value."""
    seen: dict[Any, dict[tuple[Any, ...], list[Any]]] = {}
    appends: dict[Any, list[Any]] = {}
    for op in ops:
        for f, k, v in op["value"]:
            if f == READ:
                if v:
                    distinct = seen.get(k)
                    if distinct is None:
                        seen[k] = {tuple(v): v}
                    else:
                        distinct.setdefault(tuple(v), v)
            elif f == APPEND:
                appended = appends.get(k)
                if appended is None:
                    appends[k] = [v]
                else:
                    appended.append(v)
    values = {k: list(vs.values()) for k, vs in seen.items()}
    values.update({k: [[vs[0]]] for k, vs in appends.items() if len(vs) == 1})
    return {k: sorted(vs, key=len) for k, vs in values.items()}


def _is_prefix(a: list[Any], b: list[Any]) -> bool:
    return len(a) <= len(b) and b[: len(a)] == a


def incompatible_orders(observed: dict[Any, list[list[Any]]]) -> list[dict[str, Any]]:
    """Keys with two reads neither of which extends the other."""
    cases = []
    for k, values in observed.items():
        for a, b in pairwise(values):
            if not _is_prefix(a, b):
                cases.append({"key": k, "values": [a, b]})
                break
    return cases


def _order_of(values: list[list[Any]]) -> list[Any]:
    """The longest read, without repeated elements: the key's append order."""
    return list(dict.fromkeys(values[-1]))


def _write_index(ops: list[Op]) -> dict[Any, dict[Any, Op]]:
    index: dict[Any, dict[Any, Op]] = {}
    for op in ops:
        for f, k, v in op["value"]:
            if f == APPEND:
                by_value = index.get(k)
                if by_value is None:
                    index[k] = {v: op}
                else:
                    by_value[v] = op
    return index


@dataclass
class AppendOrders:
    """Version orders and who appended or read what, over ok and info txns."""

    order: dict[Any, list[Any]]
    position: dict[Any, dict[Any, int]]
    writer: dict[Any, dict[Any, Op]]
    readers: dict[Any, dict[Any, list[Op]]]

    @classmethod
    def of(cls, observed: dict[Any, list[list[Any]]], possible: list[Op]) -> AppendOrders:
        order = {k: _order_of(values) for k, values in observed.items()}
        position = {k: {v: i for i, v in enumerate(vs)} for k, vs in order.items()}
        readers: dict[Any, dict[Any, list[Op]]] = {}
        for op in possible:
            for f, k, v in op["value"]:
                if f == READ and not (op["type"] == INFO and v is None):
                    last = v[-1] if v else INITIAL
                    by_last = readers.get(k)
                    if by_last is None:
                        readers[k] = {last: [op]}
                    elif last in by_last:
                        by_last[last].append(op)
                    else:
                        by_last[last] = [op]
        return cls(order, position, _write_index(possible), readers)

    def previous(self, k: Any, v: Any) -> Any:
        """The element appended just before v (or the last one seen, if v never was)."""
        i = self.position.get(k, {}).get(v)
        if i is not None:
            return self.order[k][i - 1] if i > 0 else INITIAL
        seen = self.order.get(k)
        return seen[-1] if seen else INITIAL

    def appender(self, op: Op, k: Any, element: Any) -> Op | None:
        """Who appended ``element`` to k, if not ``op`` itself (never INITIAL's)."""
        writer = self.writer.get(k, {}).get(element)
        return writer if writer is not None and writer["index"] != op["index"] else None

    def readers_ending(self, op: Op, k: Any, last: Any) -> list[Op]:
        """Who read k up to ``last`` (INITIAL: empty), other than ``op`` itself."""
        readers = self.readers.get(k, {}).get(last, ())
        return [r for r in readers if r["index"] != op["index"]]

    def wr_dep(self, op: Op, k: Any, v: Any) -> Op | None:
        """Who appended the last element this read saw, if not the reader itself."""
        return self.appender(op, k, v[-1]) if v else None

    def ww_dep(self, op: Op, k: Any, v: Any) -> Op | None:
        """Who appended the element before this append, if not this txn itself."""
        return self.appender(op, k, self.previous(k, v))

    def rw_deps(self, op: Op, k: Any, v: Any) -> list[Op]:
        """Who read the state just before this append (and so missed it)."""
        return self.readers_ending(op, k, self.previous(k, v))


def dependency_graph(possible: list[Op], orders: AppendOrders) -> g.TxnGraph:
    """ww_dep, rw_deps and wr_dep of every micro-op, each append's predecessor looked up once."""
    edges: list[tuple[int, int, int]] = []
    for op in possible:
        index = op["index"]
        for f, k, v in op["value"]:
            if f == APPEND:
                previous = orders.previous(k, v)
                writer = orders.appender(op, k, previous)
                if writer is not None:
                    edges.append((writer["index"], index, g.WW))
                edges += [(r["index"], index, g.RW) for r in orders.readers_ending(op, k, previous)]
            elif v:
                writer = orders.appender(op, k, v[-1])
                if writer is not None:
                    edges.append((writer["index"], index, g.WR))
    graph = g.TxnGraph()
    graph.link_edges(edges)
    return graph


def _find_mop(txn: list[Any], wanted: Any) -> int | None:
    return next((i for i, mop in enumerate(txn) if wanted(mop)), None)


class AppendExplainer:
    """Why one txn precedes another, from the append orders."""

    def __init__(self, orders: AppendOrders) -> None:
        self.orders = orders

    def explain(self, a: Op, b: Op, rel: int) -> dict[str, Any]:
        for i, (f, k, v) in enumerate(b["value"]):
            if rel == g.WR and f == READ:
                writer = self.orders.wr_dep(b, k, v)
                if writer is not None and writer["index"] == a["index"]:
                    return self._step("wr", k, v[-1], None, a, [APPEND, k, v[-1]], i)
            elif rel == g.WW and f == APPEND:
                writer = self.orders.ww_dep(b, k, v)
                if writer is not None and writer["index"] == a["index"]:
                    previous = self.orders.previous(k, v)
                    return self._step("ww", k, previous, v, a, [APPEND, k, previous], i)
            elif (
                rel == g.RW
                and f == APPEND
                and any(r["index"] == a["index"] for r in self.orders.rw_deps(b, k, v))
            ):
                previous = self.orders.previous(k, v)
                return self._step("rw", k, previous, v, a, _reads_up_to(k, previous), i)
        raise AssertionError(f"no {g.REL_NAMES[rel]} dependency of {b} on {a}")

    @staticmethod
    def _step(
        kind: str, k: Any, v: Any, v2: Any, a: Op, a_mop: Any, b_index: int
    ) -> dict[str, Any]:
        step: dict[str, Any] = {"type": Keyword(kind), "key": k}
        step["value"] = None if v is INITIAL else v
        if kind != "wr":
            step["value'"] = v2
        wanted = a_mop if callable(a_mop) else (lambda mop: list(mop) == a_mop)
        step["a-mop-index"] = _find_mop(a["value"], wanted)
        step["b-mop-index"] = b_index
        return step


def _reads_up_to(k: Any, previous: Any) -> Any:
    """Matches a read of k whose last element is ``previous`` (or empty for INITIAL)."""

    def matches(mop: list[Any]) -> bool:
        f, key, v = mop
        if f != READ or key != k:
            return False
        return not v if previous is INITIAL else bool(v) and v[-1] == previous

    return matches


# --- anomalies found without the graph -----------------------------------------


def duplicate_cases(possible: list[Op]) -> list[dict[str, Any]]:
    """Reads in which an element (appended once) shows up more than once."""
    cases = []
    for op in possible:
        for mop in op["value"]:
            read = mop[2]
            if mop[0] == READ and read and len(set(read)) < len(read):
                dups = {e: n for e, n in sorted(Counter(read).items()) if n > 1}
                cases.append({"op": op, "mop": mop, "duplicates": dups})
    return cases


def internal_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """A committed txn reading a key inconsistently with its own earlier reads and appends."""
    cases = []
    for op in txns.of_type(OK):
        state: dict[Any, Any] = {}
        for mop in op["value"]:
            f, k, v = mop
            if f == APPEND:
                state[k] = [*(state.get(k, [UNKNOWN_PREFIX]) or []), v]
                continue
            expected = state.get(k)
            if expected is not None and _contradicts(expected, v):
                cases.append({"op": op, "mop": mop, "expected": expected})
                break
            state[k] = v
    return cases


def _contradicts(expected: list[Any], read: Any) -> bool:
    if expected[:1] == [UNKNOWN_PREFIX]:
        seen = read or []
        start = len(seen) + 1 - len(expected)
        return start < 0 or seen[start:] != expected[1:]
    return expected != read


def future_read_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """A committed txn reading an element it appends only later."""
    cases = []
    for op in txns.of_type(OK):
        reads_of: dict[Any, list[list[Any]]] = {}
        for mop in op["value"]:
            f, k, v = mop
            if f == READ:
                if v:
                    reads_of.setdefault(k, []).append(mop)
                continue
            earliest = next((read for read in reads_of.get(k, ()) if v in read[2]), None)
            if earliest is not None:
                cases.append({"op": op, "mop": earliest, "element": v})
                break
    return cases


def dirty_update_cases(
    observed: dict[Any, list[list[Any]]], completed: list[Op]
) -> list[dict[str, Any]]:
    """A committed append right after (a run of) appends of a failed txn."""
    writers = _write_index(completed)
    cases = []
    for k, values in observed.items():
        earlier: dict[str, Any] = {"type": OK}
        span: list[Any] = []
        for v in _order_of(values):
            later = writers.get(k, {}).get(v)
            if later is None:
                raise an.HistoryError(f"No transaction wrote {k!r} {v!r}")
            span = [*span, v]
            if later["type"] == INFO or (earlier["type"] == FAIL and later["type"] == FAIL):
                continue
            if earlier["type"] == FAIL and later["type"] == OK:
                cases.append({"key": k, "values": span, "txns": [earlier, "...", later]})
            earlier, span = later, [v]
    return cases


def g1a_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """Committed reads containing an element only a failed txn appended."""
    failed = an.failed_writes(txns, APPEND)
    cases = []
    for op in txns.of_type(OK):
        for mop in op["value"]:
            f, k, v = mop
            if f != READ or not v or k not in failed or failed[k].keys().isdisjoint(v):
                continue
            for element in v:
                writer = failed[k].get(element)
                if writer is not None:
                    cases.append(
                        {
                            "op": op,
                            "mop": mop,
                            "writer": txns.by_index[writer],
                            "element": element,
                        }
                    )
    return cases


def g1b_cases(txns: an.Txns) -> list[dict[str, Any]]:
    """Committed reads ending in an append its txn followed with another append to the key."""
    intermediate = an.intermediate_writes(txns, APPEND)
    cases = []
    for op in txns.of_type(OK):
        for mop in op["value"]:
            f, k, v = mop
            if f != READ or not v:
                continue
            writer = intermediate.get(k, {}).get(v[-1])
            if writer is not None and writer != op["index"]:
                cases.append(
                    {"op": op, "mop": mop, "writer": txns.by_index[writer], "element": v[-1]}
                )
    return cases


#: The workload checker (see analysis.checker).
check = an.checker(analyse)
