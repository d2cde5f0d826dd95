"""Hand-built transaction histories for the Elle checker tests.

A transaction is written ``(process, type, mops)``: ``type`` is "ok", "fail"
or "info" and ``mops`` are the completed micro-ops (reads carry the values
seen). Invocations carry the same micro-ops with reads blanked to None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glome.bench.checkers.elle import models

Txn = tuple[int, str, list[list[Any]]]

MS = 1_000_000


def _invocation(process: int, mops: list[list[Any]]) -> dict[str, Any]:
    value = [[f, k, None if f == "r" else v] for f, k, v in mops]
    return {"type": "invoke", "process": process, "f": "txn", "value": value}


def _completion(process: int, kind: str, mops: list[list[Any]]) -> dict[str, Any]:
    value = mops if kind == "ok" else [[f, k, None if f == "r" else v] for f, k, v in mops]
    return {"type": kind, "process": process, "f": "txn", "value": value}


def _numbered(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i, op in enumerate(ops):
        op["index"] = i
        op["time"] = i * MS
    return ops


def sequential(*txns: Txn) -> list[dict[str, Any]]:
    """Each transaction completes before the next is invoked (realtime-ordered)."""
    ops = []
    for process, kind, mops in txns:
        ops += [_invocation(process, mops), _completion(process, kind, mops)]
    return _numbered(ops)


def concurrent(*txns: Txn) -> list[dict[str, Any]]:
    """Every transaction is invoked before any completes (no realtime order)."""
    invocations = [_invocation(process, mops) for process, _, mops in txns]
    completions = [_completion(process, kind, mops) for process, kind, mops in txns]
    return _numbered(invocations + completions)


Cases = dict[str, tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]]

#: (model, an anomaly it prohibits, one it allows) above read uncommitted.
MODEL_MATRIX = [
    ("read-committed", "G1a", "G2-item"),
    ("repeatable-read", "G2-item", "internal"),
    ("snapshot-isolation", "G-single-item", "G2-item"),
    ("serializable", "G2-item", "G-single-item-realtime"),
    ("strict-serializable", "G-single-item-realtime", None),
]


def assert_model_matrix(
    check: Callable[..., dict[str, Any]],
    cases: Cases,
    model: str,
    prohibited: str,
    allowed: str | None,
) -> None:
    """The model fails the history showing ``prohibited`` and passes the one
    showing ``allowed`` (None: the model allows no anomaly of ``cases``)."""
    flagged = check(cases[prohibited][1], consistency_models=[model])
    assert flagged["valid?"] is False
    assert prohibited in flagged["anomaly-types"]
    if allowed is None:
        assert set(cases) <= models.prohibited_anomaly_types([model])
        return
    passed = check(cases[allowed][1], consistency_models=[model])
    assert passed["valid?"] is True
    assert allowed not in (passed.get("anomaly-types") or [])
