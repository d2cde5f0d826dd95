"""Jepsen's unhandled-exceptions checker (docs/maelstrom.md §9.2): always valid, informative.

Groups the ``info`` ops that carry an ``exception`` by the exception's class,
most frequent first, with one example op each. The class is read from the
exception data the way Clojure's ``datafy`` lays it out (``via[0].type``);
a plain ``type``/``class`` field or a bare string is accepted as well.
"""

from __future__ import annotations

from typing import Any

from glome.bench.edn import Seq
from glome.bench.history import INFO, CheckContext, Op


def exception_class(exception: Any) -> Any:
    if isinstance(exception, dict):
        via = exception.get("via")
        if isinstance(via, list) and via and isinstance(via[0], dict):
            return via[0].get("type")
        return exception.get("type", exception.get("class"))
    return exception


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    groups: dict[Any, list[Op]] = {}
    for op in history:
        if op["type"] == INFO and op.get("exception"):
            groups.setdefault(str(exception_class(op["exception"])), []).append(op)
    if not groups:
        return {"valid?": True}
    ranked = sorted(groups.items(), key=lambda item: len(item[1]), reverse=True)
    return {
        "valid?": True,
        "exceptions": Seq(
            {"count": len(ops), "class": name, "example": ops[0]} for name, ops in ranked
        ),
    }
