"""Jepsen's counter checker (``jepsen.checker/counter``).

This is not the checker glome already has for Maelstrom's g-counter and
pn-counter (``glome.bench.workloads.counter``): that one judges only the final
reads, each against every total the indeterminate adds allow. Jepsen's judges
every ok read, against two bounds that move through the history: the lower
bound is the sum of the adds that had completed ok when the read began, the
upper bound the sum of the adds that had begun, and were not known to have
failed, when the read completed. A read outside its bounds is an error. Adds
must not be negative (the counter only grows), and every value must be an
integer or nil; otherwise, as when Jepsen's assertions fail, the verdict is
unknown. Unlike Jepsen, nemesis ops are skipped rather than asserted on.
"""

from __future__ import annotations

from typing import Any

from glome.bench.edn import dumps
from glome.bench.history import FAIL, INVOKE, OK, Op, is_client_op, pairs
from glome.check.settings import ModelError, Settings


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(history: list[Op], settings: Settings | None = None) -> dict[str, Any]:
    """``{"valid?", "reads": [[lower, value, upper] ...], "errors": [...]}``."""
    completion = {id(invocation): done for invocation, done in pairs(history)}
    lower = upper = 0
    pending: dict[Any, tuple[int, Any]] = {}  # process -> (lower bound, value it will read)
    reads: list[list[Any]] = []
    for op in history:
        if not is_client_op(op):
            continue
        kind, f, value = op["type"], op.get("f"), op.get("value")
        if value is not None and not _integer(value):
            raise ModelError(f"op {op['index']}: counter values are integers, not {dumps(value)}")
        if kind == INVOKE and f == "read":
            done = completion.get(id(op))
            if done is not None and done["type"] == OK:
                pending[op["process"]] = (lower, done.get("value"))
        elif kind == OK and f == "read" and op["process"] in pending:
            low, seen = pending.pop(op["process"])
            if seen is None:
                raise ModelError(f"op {op['index']}: an ok read of nil")
            reads.append([low, seen, upper])
        elif kind == INVOKE and f == "add":
            if value is None or value < 0:
                raise ModelError(f"op {op['index']}: adds are non-negative integers")
            done = completion.get(id(op))
            if done is None or done["type"] != FAIL:
                upper += value
        elif kind == OK and f == "add":
            if value is None:
                raise ModelError(f"op {op['index']}: an ok add of nil")
            lower += value
    errors = [read for read in reads if not read[0] <= read[1] <= read[2]]
    return {"valid?": not errors, "reads": reads, "errors": errors}
