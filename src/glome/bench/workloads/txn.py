"""The txn-rw-register and txn-list-append workloads (docs/maelstrom.md §7.8, §7.9).

One client and one op stream serve both: Elle's ``wr-txns`` generator with
Maelstrom's defaults, whose writes become appends for list-append. Each
transaction has 1 to ``--max-txn-length`` micro-ops, each a read or a write
with equal odds, on a key drawn from ``--key-count`` active keys with an
exponential distribution (base 2: the last position is the likeliest).
Writes to a key carry 1, 2, 3, ... so every value is unique per key; a key
that would take its ``--max-writes-per-key + 1``-th write is replaced in its
slot by a fresh key, larger than every active one. Unique values let the
checkers name the writer of every value a read returns.
"""

from __future__ import annotations

import math
import random
from typing import Any

from glome.bench.checkers.elle import list_append, rw_register
from glome.bench.client import Client, with_errors
from glome.bench.history import OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload
from glome.protocol import ANY, ResponseSchema

READ = "r"
DEFAULT_KEY_COUNT = 10
KEY_DIST_BASE = 2


class WrTxns:
    """Elle's wr-txns generator state: the active keys and each key's next value."""

    def __init__(
        self,
        rng: random.Random,
        key_count: int,
        max_txn_length: int,
        max_writes_per_key: int,
        write_f: str,
    ) -> None:
        self.rng = rng
        self.active = list(range(key_count))
        self.max_txn_length = max_txn_length
        self.max_writes_per_key = max_writes_per_key
        self.write_f = write_f
        self.next_value: dict[int, int] = {}
        # Uniform numbers in [0, scale) + base, logged in the base, pick index i
        # with probability base^(i+1) (base - 1) / (base (base^n - 1)).
        self.scale = (KEY_DIST_BASE**key_count - 1) * KEY_DIST_BASE / (KEY_DIST_BASE - 1)

    def key_index(self) -> int:
        drawn = self.rng.random() * self.scale + KEY_DIST_BASE
        index = math.floor(math.log(drawn, KEY_DIST_BASE) - 1)
        return min(index, len(self.active) - 1)  # guards a rounding at the top edge

    def txn(self) -> list[list[Any]]:
        length = self.rng.randint(1, self.max_txn_length)
        mops: list[list[Any]] = []
        while len(mops) < length:
            write = self.rng.random() < 0.5
            index = self.key_index()
            key = self.active[index]
            if not write:
                mops.append([READ, key, None])
                continue
            value = self.next_value.get(key, 1)
            if value > self.max_writes_per_key:
                self.active[index] = max(self.active) + 1
                continue  # as Elle does: draw this micro-op again
            self.next_value[key] = value + 1
            mops.append([self.write_f, key, value])
        return mops


class Txn(Workload):
    """A client sending one ``txn`` per op; its reply's ``txn`` becomes the value."""

    reusable_client = True
    write_f = "w"

    def __init__(self, options: TestOptions, rng: random.Random) -> None:
        super().__init__(options, rng)
        key_count = getattr(options, "key_count", None) or DEFAULT_KEY_COUNT
        self.txns = WrTxns(
            rng, key_count, options.max_txn_length, options.max_writes_per_key, self.write_f
        )

    def next_op(self, thread: int) -> Op:
        return {"f": "txn", "value": self.txns.txn()}

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        async def call() -> Op:
            reply = await client.rpc(self.name, node, {"type": "txn", "txn": op["value"]})
            return {**op, "type": OK, "value": reply["txn"]}

        return await with_errors(op, (), call)


class RwRegister(Txn):
    name = "txn-rw-register"

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return rw_register.check(history, ctx)


class ListAppend(Txn):
    name = "txn-list-append"
    write_f = "append"

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return list_append.check(history, ctx)


WORKLOADS: dict[str, type[Txn]] = {RwRegister.name: RwRegister, ListAppend.name: ListAppend}

_RW_MICRO_OP = (
    "either",
    ("tuple", ("enum", READ), ANY, ANY),
    ("tuple", ("enum", RwRegister.write_f), ANY, ANY),
)
_APPEND_MICRO_OP = (
    "either",
    ("tuple", ("enum", READ), ANY, ("list", ANY)),
    ("tuple", ("enum", ListAppend.write_f), ANY, ANY),
)
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    RwRegister.name: {"txn": ("txn_ok", {"txn": ("list", _RW_MICRO_OP)})},
    ListAppend.name: {"txn": ("txn_ok", {"txn": ("list", _APPEND_MICRO_OP)})},
}
#: the workload-specific options it reads (its checkers read consistency_models)
OPTIONS = ("key_count", "max_txn_length", "max_writes_per_key", "consistency_models")


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return WORKLOADS[name](options, rng)
