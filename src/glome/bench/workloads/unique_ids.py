"""The unique-ids workload (docs/maelstrom.md §7.2): no id may be acknowledged twice."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import orjson

from glome.bench.checkers.set_full import element_key
from glome.bench.client import Client, with_errors
from glome.bench.history import INVOKE, OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload
from glome.protocol import ANY, ResponseSchema

NAME = "unique-ids"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {"generate": ("generate_ok", {"id": ANY})},
}
DUPLICATES_SHOWN = 48


class UniqueIds(Workload):
    name = NAME
    reusable_client = True

    def next_op(self, thread: int) -> Op:
        return {"f": "generate", "value": None}

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        async def generate() -> Op:
            reply = await client.rpc(NAME, node, {"type": "generate"})
            return {**op, "type": OK, "value": reply["id"]}

        return await with_errors(op, (), generate)

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return check(history)


def check(history: list[Op]) -> dict[str, Any]:
    """Jepsen's unique-ids checker: attempted, acknowledged, duplicated, range."""
    attempted = sum(1 for op in history if op["type"] == INVOKE and op.get("f") == "generate")
    acknowledged = [op["value"] for op in history if op["type"] == OK and op.get("f") == "generate"]
    counts = Counter(element_key(value) for value in acknowledged)
    first_seen: dict[Any, Any] = {}  # element key -> the first value with it
    for value in acknowledged:
        first_seen.setdefault(element_key(value), value)
    duplicated = sorted(
        ((key, count) for key, count in counts.items() if count > 1), key=lambda item: -item[1]
    )
    result: dict[str, Any] = {
        "valid?": not duplicated,
        "attempted-count": attempted,
        "acknowledged-count": len(acknowledged),
        "duplicated-count": len(duplicated),
        "duplicated": {
            _show(first_seen[key]): count for key, count in duplicated[:DUPLICATES_SHOWN]
        },
    }
    result["range"] = [min(acknowledged), max(acknowledged)] if acknowledged else [None, None]
    return result


def _show(value: Any) -> Any:
    """Map keys must be hashable; lists and objects appear by their JSON text."""
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return value


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return UniqueIds(options, rng)
