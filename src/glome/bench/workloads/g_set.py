"""The g-set workload (docs/maelstrom.md §7.4): adds of 0, 1, 2, ... mixed with reads; set-full.

g-set wraps no error handler: any error or timeout makes the op info.
"""

from __future__ import annotations

import random
from typing import Any

from glome.bench.checkers import set_full
from glome.bench.client import Client
from glome.bench.history import OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import AddsAndReads, Workload
from glome.protocol import ANY, ResponseSchema

NAME = "g-set"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {"add": ("add_ok", {}), "read": ("read_ok", {"value": ("list", ANY)})},
}


class GSet(AddsAndReads):
    name = NAME
    add_f = "add"

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        if op["f"] == "add":
            await client.rpc(NAME, node, {"type": "add", "element": op["value"]})
            return {**op, "type": OK}
        reply = await client.rpc(NAME, node, {"type": "read"})
        return {**op, "type": OK, "value": reply["value"] or []}

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return set_full.check(history, ctx, add_f="add")


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return GSet(options, rng)
