"""Maelstrom's workload checkers, by workload name, as ``glome test`` runs them.

Each is the checker behind the ``workload`` key of a Maelstrom result (the
other keys, such as perf, stats and net, judge the test run rather than the
history). They take the history exactly as Maelstrom records it: lin-kv's
values are ``[key, value]``, the txn workloads' ops are ``:txn``, and so on.
lin-kv's per-key results and histories go under ``independent/``, and Elle's
and kafka's cycle explanations under ``elle/``, of the file's explanation
directory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glome.bench.checkers import linear, set_full
from glome.bench.checkers.elle import list_append, rw_register
from glome.bench.checkers.kafka import checker as kafka
from glome.bench.history import CheckContext, Op
from glome.bench.workloads import counter, echo, unique_ids
from glome.check.settings import Settings

Check = Callable[[list[Op], Settings], dict[str, Any]]


def _context(settings: Settings) -> CheckContext:
    extra: dict[str, Any] = {}
    if settings.time_limit is not None:
        extra[linear.BUDGET_EXTRA] = linear.Budget(total_seconds=settings.time_limit)
    return CheckContext(options=None, store=settings.directory, extra=extra)


def _txn(check: Callable[..., dict[str, Any]]) -> Check:
    def run(history: list[Op], settings: Settings) -> dict[str, Any]:
        return check(
            history,
            _context(settings),
            consistency_models=list(settings.consistency_models),
            cycle_search_timeout_ms=settings.cycle_search_timeout_ms,
        )

    return run


def _set_full(add_f: str) -> Check:
    def run(history: list[Op], settings: Settings) -> dict[str, Any]:
        return set_full.check(history, None, add_f=add_f)

    return run


WORKLOADS: dict[str, Check] = {
    "echo": lambda history, settings: echo.check(history),
    "unique-ids": lambda history, settings: unique_ids.check(history),
    "broadcast": _set_full("broadcast"),
    "g-set": _set_full("add"),
    "g-counter": lambda history, settings: counter.check(history),
    "pn-counter": lambda history, settings: counter.check(history),
    "lin-kv": lambda history, settings: linear.check(history, _context(settings)),
    "kafka": lambda history, settings: kafka.check(history, _context(settings)),
    "txn-rw-register": _txn(rw_register.check),
    "txn-list-append": _txn(list_append.check),
}
