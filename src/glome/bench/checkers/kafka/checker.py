"""The kafka checker: Jepsen's kafka checker as Maelstrom runs it.

``check(history, ctx)`` returns the workload result: one entry per error type
found, ``valid?``, ``error-types`` and ``bad-error-types`` (sorted),
``info-txn-causes`` and ``worst-realtime-lag``. Every error type fails the
test except the ones Jepsen tolerates in Maelstrom's configuration (no ww
dependencies, assign rather than subscribe): ``int-send-skip``, and the G0
family and PL-1 cycle-exists types, which a graph without ww edges never has.
Jepsen's ``precommitted-read`` needs an op that both sends and polls, which
Maelstrom's client never records, so it is not looked for.

A poll returning a message no send carried (for that key) ends the analysis
as Jepsen's does: its wr graph cannot name a writer, the checker throws
``no-writer-of-value`` and Jepsen's guarded check answers ``unknown`` with
the thrown key and value, so the result is only ``valid?`` "unknown" and that
``error``; no other anomaly is reported.

Where this checker departs from Jepsen's, on purpose:

* no crash on keys that were polled but never returned a message, or on huge
  or sparse offsets (Jepsen indexes and allocates by offset);
* ``unseen`` is exactly the acknowledged messages no ok poll returned (Jepsen's
  running difference also counts a key's polled messages when the last ok op
  of the history is the first poll of a key no earlier ok send wrote to);
* a send invocation that never completed counts as an indeterminate send, so
  a poll returning its message is no anomaly;
* every message of an inconsistent offset gets that offset's dense index
  (Jepsen picks one by hash order; the history is invalid either way);
* an assign with seek-to-beginning resets the poll-order basis of its process
  (see sequences.py).

The analyses live in their own modules: transactions (parsing), version_order,
sequences, visibility and realtime.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glome.bench.checkers.collector import collector_paused
from glome.bench.checkers.kafka import realtime, sequences, transactions, version_order, visibility
from glome.bench.edn import Keyword
from glome.bench.history import UNKNOWN, CheckContext, Op

#: error types that do not make the test invalid (Jepsen's allowed-error-types)
ALLOWED_ERROR_TYPES = frozenset(
    {
        "int-send-skip",
        "G0",
        "G0-process",
        "G0-realtime",
        "PL-1-cycle-exists",
        "strong-PL-1-cycle-exists",
    }
)


def _by_delta(errors: list[Any]) -> list[Any]:
    return sorted(errors, key=lambda error: error["delta"])


#: how each error type keeps its examples small (Jepsen's condense-error)
EXAMPLES: dict[str, Callable[[list[Any]], list[Any]]] = {
    "duplicate": lambda errors: sorted(errors, key=lambda e: e["count"])[:32],
    "inconsistent-offsets": lambda errors: sorted(errors, key=lambda e: len(e["values"]))[:32],
    realtime.G1C_REALTIME: lambda errors: sorted(errors, key=lambda e: len(e["steps"]))[:8],
    "int-nonmonotonic-poll": lambda errors: _by_delta(errors)[:8],
    "int-nonmonotonic-send": lambda errors: _by_delta(errors)[:8],
    "nonmonotonic-poll": lambda errors: _by_delta(errors)[:8],
    "nonmonotonic-send": lambda errors: _by_delta(errors)[:8],
    "int-poll-skip": lambda errors: _by_delta(errors)[-8:],
    "int-send-skip": lambda errors: _by_delta(errors)[-8:],
    "poll-skip": lambda errors: _by_delta(errors)[-8:],
}


def _condense(kind: str, errors: Any) -> Any:
    if kind == "unseen":
        return errors
    if not isinstance(errors, list):
        return {"count": 1, "errs": errors}
    shorten = EXAMPLES.get(kind)
    return {"count": len(errors), "errs": shorten(errors) if shorten else errors}


def anomalies(
    parsed: transactions.KafkaHistory, history: list[Op], sources: visibility.ReadSources
) -> dict[str, Any]:
    """Every error type found -> its full list of cases (``unseen``: one map)."""
    orders = version_order.build(parsed)
    found: dict[str, Any] = {
        "inconsistent-offsets": orders.inconsistent_offsets,
        "duplicate": orders.duplicates,
        "G1a": visibility.aborted_read_cases(parsed),
        "lost-write": visibility.lost_write_cases(parsed, orders.orders),
        "nonmonotonic-send": sequences.nonmonotonic_send_cases(parsed, orders.orders),
    }
    for prefix, cases in (
        ("int-", sequences.internal_poll_cases(parsed, orders.orders)),
        ("", sequences.poll_cases(parsed, orders.orders)),
    ):
        found[f"{prefix}poll-skip"] = cases["skip"]
        found[f"{prefix}nonmonotonic-poll"] = cases["nonmonotonic"]
    sends = sequences.internal_send_cases(parsed, orders.orders)
    found["int-send-skip"] = sends["skip"]
    found["int-nonmonotonic-send"] = sends["nonmonotonic"]
    found.update(realtime.cycle_cases(parsed, history, sources.future))
    if not sources.any_match and not realtime.has_realtime_edge(parsed):
        found["empty-transaction-graph"] = True
    found["unseen"] = visibility.unseen(parsed)
    return {kind: cases for kind, cases in found.items() if cases}


def unwritten_read(case: dict[str, Any]) -> dict[str, Any]:
    """The undecided result of a history with a message nobody sent, as Jepsen's
    guarded checker reports the thrown ``no-writer-of-value``."""
    key, value = (json.dumps(case[name]) for name in ("key", "value"))
    poll = case["op"].get("index", "?")
    return {
        "valid?": UNKNOWN,
        "error": {
            "type": Keyword("no-writer-of-value"),
            "key": case["key"],
            "value": case["value"],
            "explanation": (
                f"no-writer-of-value: the poll at history index {poll} returned value "
                f"{value} at offset {case['offset']} of key {key}, which no send carried; "
                "without its writer the dependency graph cannot be built, so (as in "
                "Jepsen's kafka checker) the analysis stops undecided"
            ),
        },
    }


def _write_explanations(store: Path, cycles: list[dict[str, Any]]) -> None:
    """store/elle/G1c-realtime.txt, where Maelstrom's Elle writes its cycle explanations."""
    directory = store / "elle"
    directory.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(cycle["explanation"] for cycle in cycles)
    (directory / "G1c-realtime.txt").write_text(text + "\n")


def check(history: list[Op], ctx: CheckContext | None) -> dict[str, Any]:
    with collector_paused():
        return _check(history, ctx)


def _check(history: list[Op], ctx: CheckContext | None) -> dict[str, Any]:
    parsed = transactions.parse(history)
    sources = visibility.match_reads(parsed)
    if sources.unwritten:
        return unwritten_read(sources.unwritten[0])
    found = anomalies(parsed, history, sources)
    if ctx is not None and ctx.store is not None and realtime.G1C_REALTIME in found:
        _write_explanations(ctx.store, found[realtime.G1C_REALTIME])
    error_types = sorted(found)
    bad = [kind for kind in error_types if kind not in ALLOWED_ERROR_TYPES]
    result: dict[str, Any] = {kind: _condense(kind, found[kind]) for kind in error_types}
    result.update(
        {
            "valid?": not bad,
            "worst-realtime-lag": realtime.worst_realtime_lag(parsed),
            "bad-error-types": bad,
            "error-types": error_types,
            "info-txn-causes": parsed.info_causes,
        }
    )
    return result
