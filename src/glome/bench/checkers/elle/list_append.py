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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    index = HistoryIndex.of(txns.history)
    possible = txns.of_type(OK, INFO)
    observed = index.possible.sorted_values()
    orders = AppendOrders.of(observed, index)
    graph = dependency_graph(possible, orders)
    cycles = an.find_cycles(
        graph, txns, consistency_models, PRIORITY, AppendExplainer(orders), cycle_search_timeout_ms
    )
    reads = index.possible.reads
    found = {
        "duplicate-elements": duplicate_cases(possible, reads),
        "incompatible-order": incompatible_orders(observed),
        "internal": internal_cases(txns),
        "future-read": future_read_cases(txns),
        "dirty-update": dirty_update_cases(index.whole.orders(), index.completed_writer),
        "G1a": g1a_cases(txns, reads),
        "G1b": g1b_cases(txns, reads),
        "lost-update": an.lost_update_cases(txns, APPEND),
    }
    return explain.report(consistency_models, cycles, found, store, appends=True)


def _verify(txns: an.Txns) -> None:
    """Only reads and appends, and no value appended twice to a key by the
    generator: otherwise the history cannot be analysed (unknown)."""
    appended: set[tuple[Any, Any]] = set()
    for op in txns.history:
        invoked = op["type"] == INVOKE
        for f, k, v in op["value"] or ():
            if f == APPEND:
                if invoked:
                    if (k, v) in appended:
                        raise an.HistoryError(f"value {v!r} appended to key {k!r} multiple times!")
                    appended.add((k, v))
            elif f != READ:
                raise an.HistoryError(
                    f"history contained operations other than appends or reads: {op}"
                )


# --- version orders ----------------------------------------------------------

#: Stands for the value of a key appended more than once (see ``Observed.appended``).
_MANY = object()

#: key -> every distinct non-empty list read (as a tuple) -> that list, first seen first
DistinctReads = dict[Any, dict[tuple[Any, ...], list[Any]]]


@dataclass
class Observed:
    """What some ops read and appended, key by key, in the order first seen."""

    reads: DistinctReads = field(default_factory=dict)
    #: key -> the value appended, if exactly one append was seen (else ``_MANY``)
    appended: dict[Any, Any] = field(default_factory=dict)

    def _values(self) -> dict[Any, list[list[Any]]]:
        """key -> every distinct non-empty list read. A key appended exactly once
        is known to have taken just that one value."""
        values = {k: list(vs.values()) for k, vs in self.reads.items()}
        values.update({k: [[v]] for k, v in self.appended.items() if v is not _MANY})
        return values

    def sorted_values(self) -> dict[Any, list[list[Any]]]:
        """``_values`` with each key's lists shortest first."""
        return {k: sorted(vs, key=len) for k, vs in self._values().items()}

    def orders(self) -> dict[Any, list[Any]]:
        """key -> its append order (see ``_order_of``)."""
        return {k: _order_of(values) for k, values in self._values().items()}


def _order_of(values: list[list[Any]]) -> list[Any]:
    """The longest read (of those as long, the last seen: ``sorted_values``'s
    last, without the sorting), without repeated elements: the key's append order."""
    longest: list[Any] = max(reversed(values), key=len)
    return list(dict.fromkeys(longest))


@dataclass
class HistoryIndex:
    """Who read and appended what, gathered in one pass over every txn op so
    that the analyses below look values up instead of rescanning the history."""

    #: by ok and info txns (those that may have taken effect)
    possible: Observed
    #: by every op, invocations and failed txns included
    whole: Observed
    #: key -> element -> index of the (last) ok or info txn that appended it
    writer: dict[Any, dict[Any, int]]
    #: key -> element -> the (last) completed op, failed ones included, that appended it
    completed_writer: dict[Any, dict[Any, Op]]
    #: key -> last element read (INITIAL: none) -> indices of the ok or info txns
    #: whose read ended there (an info txn's unknown read, None, ends nowhere)
    readers: dict[Any, dict[Any, list[int]]]

    @classmethod
    def of(cls, history: list[Op]) -> HistoryIndex:
        """``history``: the txn ops, in order (``Txns.history``)."""
        possible, whole = Observed(), Observed()
        found = cls(possible, whole, {}, {}, {})
        writer, completed_writer, readers = found.writer, found.completed_writer, found.readers
        # whole's reads are possible's (shared) until an invocation or a failed txn reads
        whole_reads: DistinctReads | None = None
        for op in history:
            kind = op["type"]
            took_effect = kind in (OK, INFO)
            for f, k, v in op["value"]:
                if f == READ:
                    if v:
                        seen = tuple(v)
                        if took_effect:
                            possible.reads.setdefault(k, {}).setdefault(seen, v)
                            readers.setdefault(k, {}).setdefault(v[-1], []).append(op["index"])
                        elif whole_reads is None:  # the first read of an invocation or failed txn
                            whole_reads = {key: dict(vs) for key, vs in possible.reads.items()}
                        if whole_reads is not None:
                            whole_reads.setdefault(k, {}).setdefault(seen, v)
                    elif took_effect and (v is not None or kind == OK):
                        readers.setdefault(k, {}).setdefault(INITIAL, []).append(op["index"])
                elif f == APPEND:
                    whole.appended[k] = _MANY if k in whole.appended else v
                    if kind != INVOKE:
                        completed_writer.setdefault(k, {})[v] = op
                    if took_effect:
                        possible.appended[k] = _MANY if k in possible.appended else v
                        writer.setdefault(k, {})[v] = op["index"]
        whole.reads = possible.reads if whole_reads is None else whole_reads
        return found


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


@dataclass
class AppendOrders:
    """Who appended and read what, over ok and info txns, and which element each
    append came right after in its key's version order."""

    #: key -> element appended -> the element just before it (see ``_predecessors``)
    before: dict[Any, dict[Any, Any]]
    #: see ``HistoryIndex``
    writer: dict[Any, dict[Any, int]]
    readers: dict[Any, dict[Any, list[int]]]

    @classmethod
    def of(cls, observed: dict[Any, list[list[Any]]], index: HistoryIndex) -> AppendOrders:
        """``observed``: ``index.possible.sorted_values()``, made once for this and
        ``incompatible_orders``."""
        orders = {k: _order_of(values) for k, values in observed.items()}
        before = {k: _predecessors(orders.get(k, []), vs) for k, vs in index.writer.items()}
        return cls(before, index.writer, index.readers)

    def previous(self, k: Any, v: Any) -> Any:
        """The element appended just before v, which an ok or info txn appended to k."""
        return self.before[k][v]

    def appender(self, k: Any, element: Any) -> int | None:
        """Who appended ``element`` to k (never INITIAL's)."""
        return self.writer.get(k, {}).get(element)

    def readers_ending(self, k: Any, last: Any) -> Sequence[int]:
        """Who read k up to ``last`` (INITIAL: empty)."""
        return self.readers.get(k, {}).get(last, ())


def _predecessors(order: list[Any], appended: Iterable[Any]) -> dict[Any, Any]:
    """Each appended element -> the one before it in ``order`` (INITIAL for the
    first), or the last one of ``order`` if the element is not in it (never read)."""
    before = {v: previous for previous, v in pairwise([INITIAL, *order])}
    last = order[-1] if order else INITIAL
    return {v: before.get(v, last) for v in appended}


def dependency_graph(possible: list[Op], orders: AppendOrders) -> g.TxnGraph:
    """For every micro-op, the ww and rw edges from who appended and who read the
    element before an append, and the wr edge from who appended the last element
    a read saw; a txn's dependencies on itself are no edges. The tables are read
    directly, rather than through AppendOrders' methods, to keep this loop fast."""
    edges: list[tuple[int, int, int]] = []
    add = edges.append
    befores, writers, readers = orders.before, orders.writer, orders.readers
    for op in possible:
        index = op["index"]
        for f, k, v in op["value"]:
            if f == APPEND:  # k is in befores and writers: this op appended v to it
                previous = befores[k][v]
                writer = writers[k].get(previous)
                if writer is not None and writer != index:
                    add((writer, index, g.WW))
                for reader in readers.get(k, {}).get(previous, ()):
                    if reader != index:
                        add((reader, index, g.RW))
            elif v:
                writer = writers.get(k, {}).get(v[-1])
                if writer is not None and writer != index:
                    add((writer, index, g.WR))
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
        """a and b are distinct txns of a cycle, so b's dependencies on itself
        (which made no edge) never match a."""
        orders, a_index = self.orders, a["index"]
        for i, (f, k, v) in enumerate(b["value"]):
            if f == READ:
                if rel == g.WR and v and orders.appender(k, v[-1]) == a_index:
                    return self._step("wr", k, v[-1], None, a, [APPEND, k, v[-1]], i)
            elif f == APPEND and rel != g.WR:
                previous = orders.previous(k, v)
                if rel == g.WW and orders.appender(k, previous) == a_index:
                    return self._step("ww", k, previous, v, a, [APPEND, k, previous], i)
                if rel == g.RW and a_index in orders.readers_ending(k, previous):
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


def duplicate_cases(possible: list[Op], reads: DistinctReads) -> list[dict[str, Any]]:
    """Reads in which an element (appended once) shows up more than once. The
    ops need a look only if one of the distinct lists read has a duplicate."""
    if all(len(set(read)) == len(read) for by_read in reads.values() for read in by_read):
        return []
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
            reads = reads_of.get(k)
            earliest = None if reads is None else next((r for r in reads if v in r[2]), None)
            if earliest is not None:
                cases.append({"op": op, "mop": earliest, "element": v})
                break
    return cases


def dirty_update_cases(
    orders: dict[Any, list[Any]], writers: dict[Any, dict[Any, Op]]
) -> list[dict[str, Any]]:
    """A committed append right after (a run of) appends of a failed txn."""
    cases = []
    for k, order in orders.items():
        written = writers.get(k, {})
        earlier: Op | None = None  # the last appender not skipped (none yet: taken as ok)
        earlier_type, start = OK, 0  # and where its element is: a case's values start there
        for i, v in enumerate(order):
            later = written.get(v)
            if later is None:
                raise an.HistoryError(f"No transaction wrote {k!r} {v!r}")
            later_type = later["type"]
            if later_type == INFO or (earlier_type == FAIL and later_type == FAIL):
                continue
            if earlier_type == FAIL and later_type == OK:
                cases.append(
                    {"key": k, "values": order[start : i + 1], "txns": [earlier, "...", later]}
                )
            earlier, earlier_type, start = later, later_type, i
    return cases


def g1a_cases(txns: an.Txns, reads: DistinctReads) -> list[dict[str, Any]]:
    """Committed reads containing an element only a failed txn appended. The
    ops need a look only if one of the distinct lists read has such an element."""
    failed = an.failed_writes(txns, APPEND)
    if all(
        by_value.keys().isdisjoint(read)
        for k, by_value in failed.items()
        for read in reads.get(k, ())
    ):
        return []
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


def g1b_cases(txns: an.Txns, reads: DistinctReads) -> list[dict[str, Any]]:
    """Committed reads ending in an append its txn followed with another append
    to the key. The ops need a look only if one of the distinct lists read ends so."""
    intermediate = an.intermediate_writes(txns, APPEND)
    if not any(
        read[-1] in by_value for k, by_value in intermediate.items() for read in reads.get(k, ())
    ):
        return []
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
