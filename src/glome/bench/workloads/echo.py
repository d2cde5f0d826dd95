"""The echo workload (docs/maelstrom.md §7.1): every reply must echo the request exactly.

A failed or timed-out echo keeps the string it sent as its value, so the
checker counts it as a mismatch too, as Maelstrom's does.
"""

from __future__ import annotations

import random
from typing import Any

from glome.bench.client import Client, with_errors
from glome.bench.history import OK, CheckContext, Op, pairs
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload
from glome.protocol import ANY, ResponseSchema

NAME = "echo"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {"echo": ("echo_ok", {"echo": ANY})},
}


class Echo(Workload):
    name = NAME

    def next_op(self, thread: int) -> Op:
        return {"f": "echo", "value": f"Please echo {self.rng.randrange(128)}"}

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        async def echo() -> Op:
            reply = await client.rpc(NAME, node, {"type": "echo", "echo": op["value"]})
            return {**op, "type": OK, "value": reply}

        return await with_errors(op, (), echo)

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return check(history)


def check(history: list[Op]) -> dict[str, Any]:
    """Every invoke/completion pair must have completion.value["echo"] == invoke.value."""
    errors = []
    for invocation, completion in pairs(history):
        if completion is None:
            continue
        reply = completion.get("value")
        echoed = reply.get("echo") if isinstance(reply, dict) else None
        if not _same(invocation.get("value"), echoed):
            errors.append(
                ["Expected a message with :echo", invocation.get("value"), "But received", reply]
            )
    return {"valid?": not errors, "errors": errors}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return Echo(options, rng)
