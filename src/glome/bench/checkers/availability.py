"""Maelstrom's availability checker (``--availability``, docs/maelstrom.md §9.2).

ok-fraction = ok ops / invocations over the whole history, a 32-bit float
like Clojure's ``(float x)``. The rounding is part of the rule: the bound is
compared with the exact 32-bit value (2/3 gives 0.666666686..., below the
bound 0.6666667 although it prints as 0.6666667).
"""

from __future__ import annotations

from typing import Any

from glome.bench.edn import float32, single
from glome.bench.history import INVOKE, OK, CheckContext, Op


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    ok_count = sum(1 for op in history if op["type"] == OK)
    invoke_count = sum(1 for op in history if op["type"] == INVOKE)
    exact: float = 1 if invoke_count == 0 else single(ok_count / invoke_count)
    expected = getattr(ctx.options, "availability", None)
    if expected is None:
        valid = True
    elif expected == "total":
        valid = exact == 1
    elif isinstance(expected, (int, float)):
        valid = expected <= exact
    else:
        raise ValueError(f"Don't know how to handle :availability {expected!r}")
    ok_fraction = exact if invoke_count == 0 else float32(exact)
    return {"valid?": valid, "ok-fraction": ok_fraction}
