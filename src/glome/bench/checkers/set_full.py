"""Jepsen's set-full checker, non-linearizable mode (spec 5.3): broadcast and g-set.

For every added element Jepsen tracks, from its add *invocation* on:

* known        the add's ok completion or the first ok read completion that
               contained it, whichever came first in the history;
* last-present the invocation (largest index) of an ok read, completed after
               the add began, that contained it;
* last-absent  likewise for an ok read that did not contain it.

An element is stable when last-present is later than last-absent, lost when
it was known and last-absent is later than both last-present and known, and
never-read otherwise. The stable latency runs from known to one nanosecond
after the last absent read began (0 when none did); stale elements are the
stable ones with a positive stable latency.

Done literally this touches every (read, element) pair: millions of Python
steps for a broadcast test whose every read returns every value. Here each
read costs only set operations done in C, plus Python work proportional to the
smaller of "elements it contained" and "elements it missed". A read records
whichever side is smaller; afterwards each element finds its last-present and
last-absent reads by walking the reads from the newest invocation down,
skipping the reads recorded against it, which ends after a few steps.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from itertools import filterfalse, islice
from typing import Any

import orjson

from glome.bench.edn import Keyword, Seq
from glome.bench.history import INVOKE, OK, CheckContext, Checker, Op, is_client_op

READ = "read"
QUANTILES = (("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0))
WORST_STALE_LIMIT = 8
_PLAIN_TYPES = frozenset({int, str})  # equal in Python exactly when equal in Clojure
NANOS_PER_MILLI = 1_000_000
_INTEGER_LIST_BYTES = b"0123456789-,[]"


def element_key(value: Any) -> Any:
    """A hashable stand-in equal to another exactly when Clojure's ``=`` says so.

    Python says 1 == 1.0 == True; Clojure's sets tell them apart, and JSON
    lists and objects must be hashable to be tracked at all.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES or value is None:
        return value
    if kind is list:
        return ("list", tuple(map(element_key, value)))
    if kind is dict:
        return ("map", frozenset((k, element_key(v)) for k, v in value.items()))
    return (kind.__name__, value)


class _Element:
    """What the history says about one element; see the module docstring."""

    __slots__ = ("absent_in", "concurrent_reads", "known", "present_in", "start", "value")

    def __init__(self, value: Any, start: int, concurrent_reads: list[int]) -> None:
        self.value = value
        self.start = start  # history position of the add invocation
        self.concurrent_reads = concurrent_reads  # positions of reads in flight then
        self.known: Op | None = None
        self.absent_in: list[int] = []  # reads (that list misses) which missed it
        self.present_in: list[int] = []  # reads (that list hits) which held it


class _Reads:
    """The ok reads in completion order; each lists either its hits or its misses."""

    def __init__(self) -> None:
        self.invocations: list[Op] = []
        self.invoked_at: list[int] = []
        self.lists_misses: list[bool] = []
        self.by_invocation_position: dict[int, int] = {}

    def add(self, invocation: Op, position: int, lists_misses: bool) -> int:
        read = len(self.invocations)
        self.invocations.append(invocation)
        self.invoked_at.append(position)
        self.lists_misses.append(lists_misses)
        self.by_invocation_position[position] = read
        return read

    def newest_first(self, lists_misses: bool) -> tuple[list[int], list[int]]:
        """Reads of one kind by invocation, newest first, and their negated positions."""
        reads = [r for r, kind in enumerate(self.lists_misses) if kind is lists_misses]
        reads.sort(key=self.invoked_at.__getitem__, reverse=True)
        return reads, [-self.invoked_at[r] for r in reads]


def _only_integers(values: list[Any]) -> bool:
    """True when every value is a JSON integer; serialising and deleting the
    integer characters runs in C, several times faster than checking types."""
    try:
        return not orjson.dumps(values).translate(None, _INTEGER_LIST_BYTES)
    except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits
        return False


def _read_keys(values: list[Any] | None) -> set[Any]:
    if not values:
        return set()
    if _only_integers(values):
        return set(values)
    return set(map(element_key, values))


class _Tracker:
    """One pass over the history in order, as Jepsen's reduce makes it."""

    def __init__(self, add_f: str) -> None:
        self.add_f = add_f
        self.elements: dict[Any, _Element] = {}  # add-invocation order
        self.element_keys: set[Any] = set()  # the same keys: set-to-set tests are faster
        self.unknown: dict[Any, _Element] = {}  # tracked elements not yet known
        self.reads = _Reads()
        self.open_invocations: dict[Any, tuple[Op, int]] = {}
        self.open_reads: dict[Any, int] = {}  # process -> position of its read invocation

    def run(self, history: list[Op]) -> None:
        for position, op in enumerate(history):
            if not is_client_op(op):
                continue
            process, f = op["process"], op.get("f")
            if op["type"] == INVOKE:
                self.open_invocations[process] = (op, position)
                if f == self.add_f:
                    self._added(op, position)
                elif f == READ:
                    self.open_reads[process] = position
                continue
            invocation, invoked_at = self.open_invocations.pop(process, (None, -1))
            self.open_reads.pop(process, None)
            if f == self.add_f and op["type"] == OK:
                self._acknowledged(op)
            elif f == READ and op["type"] == OK and invocation is not None:
                self._read(invocation, invoked_at, op)

    def _added(self, op: Op, position: int) -> None:
        key = element_key(op.get("value"))
        element = _Element(op.get("value"), position, list(self.open_reads.values()))
        self.elements.pop(key, None)  # a re-add starts over, at the end of the order
        self.elements[key] = element
        self.element_keys.add(key)
        self.unknown[key] = element

    def _acknowledged(self, op: Op) -> None:
        element = self.unknown.pop(element_key(op.get("value")), None)
        if element is not None:
            element.known = op

    def _read(self, invocation: Op, invoked_at: int, completion: Op) -> None:
        seen = _read_keys(completion.get("value"))
        for key in self.unknown.keys() & seen:
            self.unknown.pop(key).known = completion
        tracked = self.elements
        keys = self.element_keys
        hits = len(seen) if seen <= keys else len(seen & keys)
        misses = len(tracked) - hits
        lists_misses = misses <= hits
        read = self.reads.add(invocation, invoked_at, lists_misses)
        if lists_misses:
            # the misses are mostly the newest elements: search from the end, in C
            for key in islice(filterfalse(seen.__contains__, reversed(tracked)), misses):
                tracked[key].absent_in.append(read)
        else:
            for key in filter(tracked.__contains__, seen):
                tracked[key].present_in.append(read)


def _latest(
    element: _Element,
    reads: _Reads,
    listed: list[int],
    newest: tuple[list[int], list[int]],
    lists_misses: bool,
) -> int | None:
    """The newest read counting for the element among those of one kind, that
    did not list it: scan newest-first past the listed ones, then check the
    reads that were already running when the add began."""
    skip = set(listed)
    order, negated_positions = newest
    stop = bisect_right(negated_positions, -element.start - 1)  # reads invoked after the add
    for read in islice(order, stop):
        if read not in skip:
            return read
    concurrent = (reads.by_invocation_position.get(p) for p in element.concurrent_reads)
    candidates = [
        r
        for r in concurrent
        if r is not None and reads.lists_misses[r] is lists_misses and r not in skip
    ]
    return max(candidates, key=reads.invoked_at.__getitem__, default=None)


def _newest(reads: _Reads, *choices: int | None) -> int | None:
    present = [r for r in choices if r is not None]
    return max(present, key=reads.invoked_at.__getitem__, default=None)


def _outcome(
    element: _Element,
    reads: _Reads,
    newest_listing_misses: tuple[list[int], list[int]],
    newest_listing_hits: tuple[list[int], list[int]],
) -> dict[str, Any]:
    """Element results as Jepsen's set-full-element-results computes them."""
    listed_present = _newest(reads, *element.present_in) if element.present_in else None
    listed_absent = _newest(reads, *element.absent_in) if element.absent_in else None
    present_read = _newest(
        reads,
        listed_present,
        _latest(element, reads, element.absent_in, newest_listing_misses, True),
    )
    absent_read = _newest(
        reads,
        listed_absent,
        _latest(element, reads, element.present_in, newest_listing_hits, False),
    )
    last_present = reads.invocations[present_read] if present_read is not None else None
    last_absent = reads.invocations[absent_read] if absent_read is not None else None
    known = element.known
    present_index = last_present["index"] if last_present else -1
    absent_index = last_absent["index"] if last_absent else -1
    stable = last_present is not None and absent_index < present_index
    lost = (
        known is not None
        and last_absent is not None
        and present_index < absent_index
        and known["index"] < absent_index
    )
    stable_latency = lost_latency = None
    if stable or lost:
        assert known is not None  # a read that held the element made it known
        if stable:
            stable_latency = _millis(
                (last_absent["time"] + 1 if last_absent else 0) - known["time"]
            )
        else:
            lost_latency = _millis(
                (last_present["time"] + 1 if last_present else 0) - known["time"]
            )
    outcome = "stable" if stable else "lost" if lost else "never-read"
    return {
        "element": element.value,
        "outcome": Keyword(outcome),
        "stable-latency": stable_latency,
        "lost-latency": lost_latency,
        "known": known,
        "last-absent": last_absent,
    }


def _millis(nanos: int) -> int:
    return int(max(0, nanos) // NANOS_PER_MILLI)


def quantiles(values: list[int]) -> dict[str, int]:
    """Jepsen's frequency-distribution: sorted[min(n-1, floor(n*p))] for each point."""
    ordered = sorted(values)
    n = len(ordered)
    return {name: ordered[min(n - 1, math.floor(n * p))] for name, p in QUANTILES}


def checker(add_f: str) -> Checker:
    """set-full for a workload whose add op is named ``add_f`` ("add" or "broadcast")."""
    return functools.partial(check, add_f=add_f)


def check(history: list[Op], ctx: CheckContext | None = None, add_f: str = "add") -> dict:
    """set-full over ``history``; ``add_f`` names the add op ("add" or "broadcast")."""
    return summarize(element_results(history, add_f))


def element_results(history: list[Op], add_f: str = "add") -> list[dict[str, Any]]:
    """Per-element outcome, latencies, known and last-absent ops, sorted by element."""
    tracker = _Tracker(add_f)
    tracker.run(history)
    reads = tracker.reads
    listing_misses = reads.newest_first(True)
    listing_hits = reads.newest_first(False)
    ordered = sorted(tracker.elements.values(), key=lambda element: element.value)
    return [_outcome(e, reads, listing_misses, listing_hits) for e in ordered]


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Jepsen's set-full-results, from per-element results sorted by element."""
    by_outcome: dict[str, list[dict[str, Any]]] = {"stable": [], "lost": [], "never-read": []}
    for result in results:
        by_outcome[result["outcome"]].append(result)
    stable, lost = by_outcome["stable"], by_outcome["lost"]
    stale = [r for r in stable if r["stable-latency"] > 0]
    worst_stale = sorted(stale, key=lambda r: r["stable-latency"])[::-1][:WORST_STALE_LIMIT]
    valid: bool | str = False if lost else "unknown" if not stable else True
    summary: dict[str, Any] = {
        "valid?": valid,
        "attempt-count": len(results),
        "stable-count": len(stable),
        "lost-count": len(lost),
        "lost": Seq(sorted(r["element"] for r in lost)),
        "never-read-count": len(by_outcome["never-read"]),
        "never-read": Seq(sorted(r["element"] for r in by_outcome["never-read"])),
        "stale-count": len(stale),
        "stale": Seq(sorted(r["element"] for r in stale)),
        "worst-stale": Seq(worst_stale),
    }
    stable_latencies = [r["stable-latency"] for r in results if r["stable-latency"] is not None]
    lost_latencies = [r["lost-latency"] for r in results if r["lost-latency"] is not None]
    if stable_latencies:
        summary["stable-latencies"] = quantiles(stable_latencies)
    if lost_latencies:
        summary["lost-latencies"] = quantiles(lost_latencies)
    summary["duplicated-count"] = 0
    summary["duplicated"] = {}
    return summary
