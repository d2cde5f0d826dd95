"""Jepsen's bank checker (``jepsen.tests.bank/checker``), as elle-cli runs it.

Transfers move money between accounts; every ok read returns all balances
and, under snapshot isolation, must see the accounts the test started with,
no nil balance, the same total, and (unless negative balances are allowed)
no balance below zero. Each read gets its first failing rule as an error.
Jepsen takes the accounts and the total from the test map; a history alone
does not carry them, so, as elle-cli does, the accounts are those of the first
ok read and the total is ``--total-amount`` or, without it, the first ok
read's sum. The result groups the errors by type with their count, first,
worst and last (and for wrong totals the lowest and highest), as Jepsen does.
"""

from __future__ import annotations

from typing import Any

from glome.bench.edn import Keyword, dumps
from glome.bench.history import OK, Op
from glome.check.settings import ModelError, Settings


def _balances(op: Op) -> dict[Any, Any]:
    value = op.get("value")
    if not isinstance(value, dict):
        raise ModelError(
            f"op {op['index']}: a bank read returns a map of balances, not {dumps(value)}"
        )
    return value


def _error(accounts: set[Any], total: Any, negative_ok: bool, op: Op) -> dict[str, Any] | None:
    """The first rule this read breaks, as Jepsen's check-op reports it, or None."""
    balances = _balances(op)
    unexpected = [account for account in balances if account not in accounts]
    if unexpected:
        return {"type": Keyword("unexpected-key"), "unexpected": unexpected, "op": op}
    nils = {account: None for account, balance in balances.items() if balance is None}
    if nils:
        return {"type": Keyword("nil-balance"), "nils": nils, "op": op}
    actual = sum(balances.values())
    if actual != total:
        return {"type": Keyword("wrong-total"), "total": actual, "op": op}
    negative = [balance for balance in balances.values() if balance < 0]
    if negative and not negative_ok:
        return {"type": Keyword("negative-value"), "negative": negative, "op": op}
    return None


def _badness(error: dict[str, Any], total: Any) -> float:
    """How egregious an error is; bigger is worse."""
    kind = error["type"]
    if kind == "unexpected-key":
        return len(error["unexpected"])
    if kind == "nil-balance":
        return len(error["nils"])
    if kind == "wrong-total":
        return abs((error["total"] - total) / total) if total > 0 else 0
    return -sum(error["negative"])


def _summary(errors: list[dict[str, Any]], total: Any) -> dict[str, Any]:
    summary = {
        "count": len(errors),
        "first": errors[0],
        "worst": max(errors, key=lambda error: _badness(error, total)),
        "last": errors[-1],
    }
    if errors[0]["type"] == "wrong-total":
        summary["lowest"] = min(errors, key=lambda error: error["total"])
        summary["highest"] = max(errors, key=lambda error: error["total"])
    return summary


def check(history: list[Op], settings: Settings) -> dict[str, Any]:
    reads = [op for op in history if op["type"] == OK and op.get("f") == "read"]
    first = _balances(reads[0]) if reads else {}
    accounts = set(first)
    total = settings.total_amount
    if total is None:
        total = sum(first.values())
    by_type: dict[str, list[dict[str, Any]]] = {}
    for op in reads:
        error = _error(accounts, total, settings.negative_balances, op)
        if error is not None:
            by_type.setdefault(error["type"], []).append(error)
    firsts = [errors[0] for errors in by_type.values()]
    return {
        "valid?": not by_type,
        "read-count": len(reads),
        "error-count": sum(map(len, by_type.values())),
        "first-error": min(firsts, key=lambda error: error["op"]["index"], default=None),
        "errors": {kind: _summary(errors, total) for kind, errors in by_type.items()},
    }
