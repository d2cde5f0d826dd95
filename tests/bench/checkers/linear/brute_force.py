"""An obviously correct linearizability checker for tiny histories: try every order.

It shares nothing with glome's checker: it pairs ops itself, and for every
subset of the indeterminate ops and every permutation of the chosen ops it
checks real-time order and the CAS register directly on the JSON values.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from glome.bench.history import Op


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b)


def _operations(history: list[Op], key: Any) -> list[dict]:
    """Each op on ``key`` that may have happened: f, value, invoke and return positions."""
    found: list[dict] = []
    open_by_process: dict[Any, dict] = {}
    for position, op in enumerate(history):
        value = op.get("value")
        if not isinstance(value, list) or len(value) != 2 or not _same(value[0], key):
            continue
        if op["type"] == "invoke":
            entry = {"f": op["f"], "value": value[1], "invoked": position, "returned": None}
            open_by_process[op["process"]] = entry
            found.append(entry)
            continue
        entry = open_by_process.pop(op["process"])
        if op["type"] == "fail":
            found.remove(entry)
        elif op["type"] == "ok":
            entry["value"] = value[1]
            entry["returned"] = position
    return found


def _legal(order: tuple[dict, ...]) -> bool:
    register: Any = None
    for index, op in enumerate(order):
        for later in order[index + 1 :]:
            if later["returned"] is not None and later["returned"] < op["invoked"]:
                return False
        if op["f"] == "write":
            register = op["value"]
        elif op["f"] == "cas":
            if not _same(register, op["value"][0]):
                return False
            register = op["value"][1]
        elif (
            op["returned"] is not None
            and op["value"] is not None
            and not _same(register, op["value"])
        ):
            return False
    return True


def linearizable(history: list[Op], key: Any) -> bool:
    ops = _operations(history, key)
    required = [op for op in ops if op["returned"] is not None]
    optional = [op for op in ops if op["returned"] is None]
    for size in range(len(optional) + 1):
        for chosen in itertools.combinations(optional, size):
            for order in itertools.permutations(required + list(chosen)):
                if _legal(order):
                    return True
    return False


def keys(history: list[Op]) -> list[Any]:
    seen: list[Any] = []
    for op in history:
        value = op.get("value")
        if isinstance(value, list) and len(value) == 2 and value[0] not in seen:
            seen.append(value[0])
    return seen
