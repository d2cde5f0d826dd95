"""Jepsen's set checker (``jepsen.checker/set``): adds, then one final read.

The last ok read is the final state. Every element acknowledged by an ok add
must be in it (else ``lost``), and every element in it must have been
attempted by some add (else ``unexpected``); attempted elements found though
their add was not acknowledged are ``recovered``. Without an ok read the
verdict is unknown. Elements compare as in Clojure (``set_full.element_key``:
1 and 1.0 differ). The element lists are printed as Jepsen prints them, runs of
integers as ``#{1..4 7}``; where Jepsen's printer would throw on elements that
are not integers (and make the verdict unknown), they are listed one by one
instead and the verdict stands.
"""

from __future__ import annotations

from typing import Any

from glome.bench.checkers.set_full import element_key
from glome.bench.edn import dumps
from glome.bench.history import INVOKE, OK, UNKNOWN, Op
from glome.check.settings import Settings

ADD, READ = "add", "read"


def interval_set_text(values: list[Any]) -> str:
    """``#{1..3 5}``: sorted, consecutive integers joined into runs."""
    if not all(type(value) is int for value in values):
        return "#{" + " ".join(sorted(map(dumps, values))) + "}"
    runs: list[list[int]] = []
    for value in sorted(values):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return "#{" + " ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs) + "}"


def _elements(ops: list[Op]) -> dict[Any, Any]:
    """Element key -> element, in order of first appearance."""
    found: dict[Any, Any] = {}
    for op in ops:
        found.setdefault(element_key(op.get("value")), op.get("value"))
    return found


def check(history: list[Op], settings: Settings | None = None) -> dict[str, Any]:
    attempts = _elements([op for op in history if op["type"] == INVOKE and op.get("f") == ADD])
    adds = _elements([op for op in history if op["type"] == OK and op.get("f") == ADD])
    final = None
    for op in history:
        if op["type"] == OK and op.get("f") == READ:
            final = op.get("value")
    if final is None:
        return {"valid?": UNKNOWN, "error": "Set was never read"}
    read = {element_key(value): value for value in final}
    ok = {key: value for key, value in read.items() if key in attempts}
    unexpected = {key: value for key, value in read.items() if key not in attempts}
    lost = {key: value for key, value in adds.items() if key not in read}
    recovered = {key: value for key, value in ok.items() if key not in adds}
    return {
        "valid?": not lost and not unexpected,
        "attempt-count": len(attempts),
        "acknowledged-count": len(adds),
        "ok-count": len(ok),
        "lost-count": len(lost),
        "recovered-count": len(recovered),
        "unexpected-count": len(unexpected),
        "ok": interval_set_text(list(ok.values())),
        "lost": interval_set_text(list(lost.values())),
        "unexpected": interval_set_text(list(unexpected.values())),
        "recovered": interval_set_text(list(recovered.values())),
    }
