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

The sweep over elements and reads, where a broadcast test spends its time
(every read returns every value), is ``glome._fast.setfull``: this module
walks the history, hands that tracker positions, and turns what it finds
into Jepsen's per-element results.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, NamedTuple

from glome._fast import load
from glome.bench.checkers.collector import collector_paused
from glome.bench.edn import Keyword, Seq
from glome.bench.history import INVOKE, OK, CheckContext, Checker, Op, is_client_op

if TYPE_CHECKING:
    from glome._fast import setfull as _setfull
else:
    _setfull = load("setfull")

READ = "read"
QUANTILES = (("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0))
WORST_STALE_LIMIT = 8
_PLAIN_TYPES = frozenset({int, str})  # equal in Python exactly when equal in Clojure
NANOS_PER_MILLI = 1_000_000


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


class _Verdict(NamedTuple):
    """One element's outcome, with its known and last-absent ops as history
    positions: a tuple of plain values, so that a verdict for each of tens of
    thousands of elements gives the garbage collector nothing to scan (a full
    collection would walk every read of the history)."""

    element: Any
    outcome: str
    stable_latency: int | None
    lost_latency: int | None
    known: int
    last_absent: int


def _verdict(history: list[Op], element: Any, known: int, present: int, absent: int) -> _Verdict:
    """Jepsen's set-full-element-results for one element, from the positions of
    its known op and of the newest reads that held and missed it."""
    known_op = _op_at(history, known)
    present_index = history[present]["index"] if present != _setfull.NOWHERE else -1
    absent_index = history[absent]["index"] if absent != _setfull.NOWHERE else -1
    stable = present != _setfull.NOWHERE and absent_index < present_index
    lost = (
        known_op is not None
        and absent != _setfull.NOWHERE
        and present_index < absent_index
        and known_op["index"] < absent_index
    )
    stable_latency = lost_latency = None
    if stable or lost:
        assert known_op is not None  # a read that held the element made it known
        if stable:
            stable_latency = _millis(_just_after(history, absent) - known_op["time"])
        else:
            lost_latency = _millis(_just_after(history, present) - known_op["time"])
    outcome = "stable" if stable else "lost" if lost else "never-read"
    return _Verdict(element, outcome, stable_latency, lost_latency, known, absent)


def _op_at(history: list[Op], position: int) -> Op | None:
    return None if position == _setfull.NOWHERE else history[position]


def _just_after(history: list[Op], position: int) -> int:
    """One nanosecond after the op at ``position`` began; 0 when there is none."""
    return history[position]["time"] + 1 if position != _setfull.NOWHERE else 0


def _millis(nanos: int) -> int:
    return int(max(0, nanos) // NANOS_PER_MILLI)


def _result(history: list[Op], verdict: _Verdict) -> dict[str, Any]:
    """One element's results map, as Jepsen prints it."""
    return {
        "element": verdict.element,
        "outcome": Keyword(verdict.outcome),
        "stable-latency": verdict.stable_latency,
        "lost-latency": verdict.lost_latency,
        "known": _op_at(history, verdict.known),
        "last-absent": _op_at(history, verdict.last_absent),
    }


def quantiles(values: list[int]) -> dict[str, int]:
    """Jepsen's frequency-distribution: sorted[min(n-1, floor(n*p))] for each point."""
    ordered = sorted(values)
    n = len(ordered)
    return {name: ordered[min(n - 1, math.floor(n * p))] for name, p in QUANTILES}


def checker(add_f: str) -> Checker:
    """set-full for a workload whose add op is named ``add_f`` ("add" or "broadcast")."""
    return functools.partial(check, add_f=add_f)


@collector_paused()
def check(history: list[Op], ctx: CheckContext | None = None, add_f: str = "add") -> dict[str, Any]:
    """set-full over ``history``; ``add_f`` names the add op ("add" or "broadcast")."""
    return summarize(history, _verdicts(history, add_f))


@collector_paused()
def element_results(history: list[Op], add_f: str = "add") -> list[dict[str, Any]]:
    """Per-element outcome, latencies, known and last-absent ops, sorted by element."""
    return [_result(history, verdict) for verdict in _verdicts(history, add_f)]


def _verdicts(history: list[Op], add_f: str) -> list[_Verdict]:
    """Every element's verdict, sorted by element."""
    sightings = sorted(_track(history, add_f).sightings(), key=lambda sighting: sighting[0])
    return [_verdict(history, *sighting) for sighting in sightings]


def _track(history: list[Op], add_f: str) -> _setfull.Tracker:
    """One pass over the history in order, as Jepsen's reduce makes it: adds,
    their acknowledgements, and ok reads with the position of their invocation."""
    tracker = _setfull.Tracker(element_key)
    open_invocations: dict[Any, int] = {}  # process -> position of its open invocation
    for position, op in enumerate(history):
        if not is_client_op(op):
            continue
        process, f = op["process"], op.get("f")
        if op["type"] == INVOKE:
            open_invocations[process] = position
            if f == add_f:
                tracker.add(op.get("value"), position)
            continue
        invoked_at = open_invocations.pop(process, _setfull.NOWHERE)
        if f == add_f and op["type"] == OK:
            tracker.acknowledge(op.get("value"), position)
        elif f == READ and op["type"] == OK and invoked_at != _setfull.NOWHERE:
            tracker.read(op.get("value"), invoked_at, position)
    return tracker


def summarize(history: list[Op], verdicts: list[_Verdict]) -> dict[str, Any]:
    """Jepsen's set-full-results, from per-element verdicts sorted by element."""
    by_outcome: dict[str, list[_Verdict]] = {"stable": [], "lost": [], "never-read": []}
    for verdict in verdicts:
        by_outcome[verdict.outcome].append(verdict)
    stable, lost = by_outcome["stable"], by_outcome["lost"]
    stale = [v for v in stable if v.stable_latency]
    worst_stale = sorted(stale, key=lambda v: v.stable_latency or 0)[::-1][:WORST_STALE_LIMIT]
    valid: bool | str = False if lost else "unknown" if not stable else True
    summary: dict[str, Any] = {
        "valid?": valid,
        "attempt-count": len(verdicts),
        "stable-count": len(stable),
        "lost-count": len(lost),
        "lost": Seq(sorted(v.element for v in lost)),
        "never-read-count": len(by_outcome["never-read"]),
        "never-read": Seq(sorted(v.element for v in by_outcome["never-read"])),
        "stale-count": len(stale),
        "stale": Seq(sorted(v.element for v in stale)),
        "worst-stale": Seq(_result(history, v) for v in worst_stale),
    }
    stable_latencies = [v.stable_latency for v in verdicts if v.stable_latency is not None]
    lost_latencies = [v.lost_latency for v in verdicts if v.lost_latency is not None]
    if stable_latencies:
        summary["stable-latencies"] = quantiles(stable_latencies)
    if lost_latencies:
        summary["lost-latencies"] = quantiles(lost_latencies)
    summary["duplicated-count"] = 0
    summary["duplicated"] = {}
    return summary
