"""Maelstrom's availability checker (``--availability``, spec 7.2).

ok-fraction = ok ops / invocations over the whole history, stored as a
32-bit float like Clojure's ``(float x)``; that rounding is part of the rule:
``total`` compares the rounded fraction with 1.
"""

from __future__ import annotations

from typing import Any

from glome.bench.edn import float32
from glome.bench.history import INVOKE, OK, CheckContext, Op


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    ok_count = sum(1 for op in history if op["type"] == OK)
    invoke_count = sum(1 for op in history if op["type"] == INVOKE)
    ok_fraction: float = 1 if invoke_count == 0 else float32(ok_count / invoke_count)
    expected = getattr(ctx.options, "availability", None)
    if expected is None:
        valid = True
    elif expected == "total":
        valid = ok_fraction == 1
    elif isinstance(expected, (int, float)):
        valid = expected <= ok_fraction
    else:
        raise ValueError(f"Don't know how to handle :availability {expected!r}")
    return {"valid?": valid, "ok-fraction": ok_fraction}
