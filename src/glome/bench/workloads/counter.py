"""The g-counter and pn-counter workloads (docs/maelstrom.md §7.5).

pn-counter adds deltas -5..4 mixed 50/50 with reads; g-counter draws from the
same stream but re-draws negative adds, which leaves about a third adds. Every
error is indeterminate (no error handler). The checker accepts a final read
equal to the sum of the ok adds plus any subset of the info adds.
"""

from __future__ import annotations

import random
from typing import Any

from glome.bench.client import Client
from glome.bench.history import FAIL, INFO, OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload, mix
from glome.protocol import INT, ResponseSchema

_SCHEMAS: dict[str, ResponseSchema] = {"add": ("add_ok", {}), "read": ("read_ok", {"value": INT})}
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    "g-counter": _SCHEMAS,
    "pn-counter": _SCHEMAS,
}

Interval = tuple[int, int]


class Counter(Workload):
    final_phase = True

    def __init__(self, name: str, options: TestOptions, rng: random.Random) -> None:
        super().__init__(options, rng)
        self.name = name
        self.grow_only = name == "g-counter"

    def next_op(self, thread: int) -> Op:
        while True:
            op = mix(
                self.rng,
                [
                    lambda: {"f": "add", "value": self.rng.randrange(10) - 5},
                    lambda: {"f": "read", "value": None},
                ],
            )
            if not (self.grow_only and op["f"] == "add" and op["value"] < 0):
                return op

    def final_op(self, thread: int) -> Op | None:
        return self.once_per_thread(thread, {"f": "read", "final?": True, "value": None})

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        if op["f"] == "add":
            await client.rpc(self.name, node, {"type": "add", "delta": op["value"]})
            return {**op, "type": OK}
        reply = await client.rpc(self.name, node, {"type": "read"})
        return {**op, "type": OK, "value": reply["value"]}

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return check(history)


def add_subset_sums(intervals: list[Interval], delta: int) -> list[Interval]:
    """The set ``S ∪ (S + delta)`` for S a sorted list of disjoint integer intervals."""
    shifted = [(low + delta, high + delta) for low, high in intervals]
    merged: list[Interval] = []
    for low, high in sorted(intervals + shifted):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def check(history: list[Op]) -> dict[str, Any]:
    """Maelstrom's counter checker: final ok reads must lie in the acceptable set."""
    definite = 0
    intervals: list[Interval] = [(0, 0)]
    uncertain: list[int] = []
    for op in history:
        if op.get("f") != "add" or op["type"] in (FAIL, "invoke"):
            continue
        if op["type"] == OK:
            definite += op["value"]
        elif op["type"] == INFO:
            uncertain.append(op["value"])
    for delta in uncertain:
        intervals = add_subset_sums(intervals, delta)
    acceptable = [(low + definite, high + definite) for low, high in intervals]
    final_reads = [
        op for op in history if op["type"] == OK and op.get("f") == "read" and op.get("final?")
    ]
    errors = [op for op in final_reads if not _within(op["value"], acceptable)]
    return {
        "valid?": not errors,
        "errors": errors or None,
        "final-reads": [op["value"] for op in final_reads],
        "acceptable": [[low, high] for low, high in acceptable],
    }


def _within(value: Any, acceptable: list[Interval]) -> bool:
    return isinstance(value, int) and any(low <= value <= high for low, high in acceptable)


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return Counter(name, options, rng)
