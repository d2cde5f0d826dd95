"""Jepsen's set-full checker, non-linearizable mode (docs/maelstrom.md §7.3): broadcast and g-set.

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
read lists only its smaller side, the tracked elements it missed or those it
held, and every step that touches many elements is a set or dict operation
run in C: building the read's set, finding its misses from the newest element
back, inverting the lists with ``dict.fromkeys``, and sweeping the reads from
the newest invocation down with set differences to find, per element, the
newest read that did not list it.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from itertools import filterfalse, islice
from typing import Any

from glome.bench.edn import Keyword, Seq, integer_list_json
from glome.bench.history import INVOKE, OK, CheckContext, Checker, Op, is_client_op

READ = "read"
QUANTILES = (("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0))
WORST_STALE_LIMIT = 8
_PLAIN_TYPES = frozenset({int, str})  # equal in Python exactly when equal in Clojure
NANOS_PER_MILLI = 1_000_000
MISS_SEARCH_SLACK = 64  # extra newest elements to look at before searching elsewhere


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
    """One added element: its value, where its add began, and when it became known."""

    __slots__ = ("known", "start", "value")

    def __init__(self, value: Any, start: int) -> None:
        self.value = value
        self.start = start  # history position of the add invocation
        self.known: Op | None = None


class _Read:
    """An ok read, and the side of it that was smaller: the tracked elements it
    missed, or the tracked elements it held."""

    __slots__ = ("completed_at", "invocation", "invoked_at", "listed", "lists_misses")

    def __init__(
        self,
        invocation: Op,
        invoked_at: int,
        completed_at: int,
        listed: tuple[Any, ...],
        lists_misses: bool,
    ) -> None:
        self.invocation = invocation
        self.invoked_at = invoked_at
        self.completed_at = completed_at
        self.listed: tuple[_Element, ...] = listed
        self.lists_misses = lists_misses


def _read_keys(values: list[Any] | None) -> set[Any]:
    if not values:
        return set()
    if integer_list_json(values) is not None:
        return set(values)
    return set(map(element_key, values))


class _Tracker:
    """One pass over the history in order, as Jepsen's reduce makes it."""

    def __init__(self, add_f: str) -> None:
        self.add_f = add_f
        self.elements: dict[Any, _Element] = {}  # add-invocation order
        self.element_keys: set[Any] = set()  # the same keys: set-to-set tests are faster
        self.unknown: dict[Any, _Element] = {}  # tracked elements not yet known
        self.reads: list[_Read] = []
        self.previous_misses: set[Any] = set()
        self.open_invocations: dict[Any, tuple[Op, int]] = {}

    def run(self, history: list[Op]) -> None:
        for position, op in enumerate(history):
            if not is_client_op(op):
                continue
            process, f = op["process"], op.get("f")
            if op["type"] == INVOKE:
                self.open_invocations[process] = (op, position)
                if f == self.add_f:
                    self._added(op, position)
                continue
            invocation, invoked_at = self.open_invocations.pop(process, (None, -1))
            if f == self.add_f and op["type"] == OK:
                self._acknowledged(op)
            elif f == READ and op["type"] == OK and invocation is not None:
                self._read(invocation, invoked_at, position, op)

    def _added(self, op: Op, position: int) -> None:
        key = element_key(op.get("value"))
        element = _Element(op.get("value"), position)
        self.elements.pop(key, None)  # a re-add starts over, at the end of the order
        self.elements[key] = element
        self.element_keys.add(key)
        self.unknown[key] = element

    def _acknowledged(self, op: Op) -> None:
        element = self.unknown.pop(element_key(op.get("value")), None)
        if element is not None:
            element.known = op

    def _read(self, invocation: Op, invoked_at: int, position: int, completion: Op) -> None:
        seen = _read_keys(completion.get("value"))
        for key in self.unknown.keys() & seen:
            self.unknown.pop(key).known = completion
        tracked = self.elements
        keys = self.element_keys
        hits = len(seen) if seen <= keys else len(seen & keys)
        misses = len(tracked) - hits
        lists_misses = misses <= hits
        listed_keys: Iterable[Any]
        if lists_misses:
            listed_keys = self._misses(seen, misses)
        else:
            listed_keys = filter(tracked.__contains__, seen)
        listed = tuple(map(tracked.__getitem__, listed_keys))
        self.reads.append(_Read(invocation, invoked_at, position, listed, lists_misses))

    def _misses(self, seen: set[Any], count: int) -> set[Any]:
        """The ``count`` tracked keys missing from ``seen``, looked for where they
        usually are: among the previous read's misses (still spreading, or lost)
        and among the elements added since; the full set difference otherwise."""
        found = set(filterfalse(seen.__contains__, self.previous_misses))
        if len(found) < count:
            window = 2 * (count - len(found)) + MISS_SEARCH_SLACK
            found.update(filterfalse(seen.__contains__, islice(reversed(self.elements), window)))
        if len(found) < count:
            found = self.element_keys - seen
        self.previous_misses = found
        return found


def _newest_listing(reads: list[_Read]) -> dict[_Element, _Read]:
    """For each element, the newest read (by invocation) that lists it."""
    newest: dict[_Element, _Read] = {}
    for read in sorted(reads, key=lambda r: r.invoked_at):
        newest.update(dict.fromkeys(read.listed, read))
    return newest


def _newest_not_listing(reads: list[_Read], elements: list[_Element]) -> dict[_Element, _Read]:
    """For each element, the newest read (by invocation) that completed after
    its add began and does not list it.

    Sweeping the reads from the newest invocation down, an element drops out of
    the open set at the first such read; the open set soon holds only elements
    that read after read lists, so each step is a set difference in C.
    Elements listed by every read that counts for them would never drop out;
    they are left out from the start.
    """
    listed_count: Counter[_Element] = Counter()
    for read in reads:
        listed_count.update(read.listed)
    completions = sorted(read.completed_at for read in reads)
    open_elements = {
        element
        for element in elements
        if listed_count[element] < len(completions) - bisect_right(completions, element.start)
    }
    ordered = sorted(reads, key=lambda r: r.invoked_at, reverse=True)
    latest_completion_from: list[int] = []  # over this read and all older ones
    latest = -1
    for read in reversed(ordered):
        latest = max(latest, read.completed_at)
        latest_completion_from.append(latest)
    latest_completion_from.reverse()
    found: dict[_Element, _Read] = {}
    for read, horizon in zip(ordered, latest_completion_from, strict=True):
        for element in open_elements.difference(read.listed):
            if element.start < read.completed_at:
                found[element] = read
                open_elements.discard(element)
            elif element.start >= horizon:  # began after every older read ended
                open_elements.discard(element)
        if not open_elements:
            break
    return found


def _newer(first: _Read | None, second: _Read | None) -> _Read | None:
    if first is None or second is None:
        return first or second
    return first if first.invoked_at > second.invoked_at else second


def _outcome(element: _Element, last_present: Op | None, last_absent: Op | None) -> dict[str, Any]:
    """Element results as Jepsen's set-full-element-results computes them."""
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


def check(history: list[Op], ctx: CheckContext | None = None, add_f: str = "add") -> dict[str, Any]:
    """set-full over ``history``; ``add_f`` names the add op ("add" or "broadcast")."""
    return summarize(element_results(history, add_f))


def element_results(history: list[Op], add_f: str = "add") -> list[dict[str, Any]]:
    """Per-element outcome, latencies, known and last-absent ops, sorted by element."""
    tracker = _Tracker(add_f)
    tracker.run(history)
    elements = list(tracker.elements.values())
    listing_misses = [read for read in tracker.reads if read.lists_misses]
    listing_hits = [read for read in tracker.reads if not read.lists_misses]
    absent_in_miss_list = _newest_listing(listing_misses)
    present_in_hit_list = _newest_listing(listing_hits)
    present_elsewhere = _newest_not_listing(listing_misses, elements)
    absent_elsewhere = _newest_not_listing(listing_hits, elements)
    results = []
    for element in sorted(elements, key=lambda e: e.value):
        present = _newer(present_in_hit_list.get(element), present_elsewhere.get(element))
        absent = _newer(absent_in_miss_list.get(element), absent_elsewhere.get(element))
        results.append(
            _outcome(
                element,
                present.invocation if present else None,
                absent.invocation if absent else None,
            )
        )
    return results


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
