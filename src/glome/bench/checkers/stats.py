"""Jepsen's stats checker with Maelstrom's wrapper (docs/maelstrom.md §9.2).

Counts ok/fail/info completions of client ops, overall and per f. An f that
never succeeded is invalid: false, not unknown, so e.g. a lin-kv test whose
every cas failed is invalid. Maelstrom wraps this in Jepsen's Kafka stats
checker, which forgives the ``crash`` and ``debug-topic-partitions`` ops
(they are meant to fail): when every other f is valid, the whole is valid.
"""

from __future__ import annotations

from typing import Any

from glome.bench.history import FAIL, INFO, INVOKE, OK, CheckContext, Op, is_client_op
from glome.bench.results import merge_valid

FORGIVEN_FS = frozenset({"crash", "debug-topic-partitions"})


def _tally(counts: dict[str, int]) -> dict[str, Any]:
    ok, fail, info = counts[OK], counts[FAIL], counts[INFO]
    return {
        "valid?": ok > 0,
        "count": ok + fail + info,
        "ok-count": ok,
        "fail-count": fail,
        "info-count": info,
    }


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    overall = {OK: 0, FAIL: 0, INFO: 0}
    by_f: dict[Any, dict[str, int]] = {}
    for op in history:
        kind = op["type"]
        if kind == INVOKE or not is_client_op(op):
            continue
        overall[kind] += 1
        by_f.setdefault(op.get("f"), {OK: 0, FAIL: 0, INFO: 0})[kind] += 1
    by_f_results = {f: _tally(by_f[f]) for f in sorted(by_f, key=str)}
    result = _tally(overall)
    forgiven = all(r["valid?"] for f, r in by_f_results.items() if f not in FORGIVEN_FS)
    result["valid?"] = (
        True if forgiven else merge_valid(*(r["valid?"] for r in by_f_results.values()))
    )
    result["by-f"] = by_f_results
    return result
