"""The kafka client (docs/maelstrom.md §7.6): local offsets, commit after poll, assign, crash.

Each client keeps the offsets it polls from (assigned key -> next offset).
A poll sends that map, moves the local offsets past the messages it returned
as soon as the reply arrives, then commits the highest offset it returned
per key. That is Maelstrom's order (docs/maelstrom.md §7.6): when the commit then fails,
the poll is recorded fail or info, yet the client's next poll starts after
the messages it never recorded, and the checker sees a skip. An assign either
starts its keys from 0 (seek to beginning) or resumes each newly assigned key
at its committed offset. A crash completes info at once: the worker then gets a new process
and a fresh client with no offsets (kafka clients are never reused).
"""

from __future__ import annotations

import random
from typing import Any

from glome.bench.checkers.kafka.checker import check
from glome.bench.checkers.kafka.transactions import ASSIGN, POLL, SEEK_TO_BEGINNING, SEND
from glome.bench.client import Client, with_errors
from glome.bench.history import INFO, OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload
from glome.bench.workloads.kafka.generator import CRASH, KafkaStream
from glome.protocol import ANY, INT, ResponseSchema

NAME = "kafka"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {
        "send": ("send_ok", {"offset": INT}),
        "poll": ("poll_ok", {"msgs": ("map", ("list", ("tuple", INT, ANY)))}),
        "commit_offsets": ("commit_offsets_ok", {}),
        "list_committed_offsets": ("list_committed_offsets_ok", {"offsets": ("map", INT)}),
    },
}
#: the workload-specific options it reads
OPTIONS = ("key_count", "max_writes_per_key")
IDEMPOTENT = (ASSIGN,)
FINAL_PHASE_TIMEOUT_S = 10.0


class Kafka(Workload):
    name = NAME
    final_phase = True
    reusable_client = False
    final_phase_timeout_s: float | None = FINAL_PHASE_TIMEOUT_S

    def __init__(self, options: TestOptions, rng: random.Random) -> None:
        super().__init__(options, rng)
        self.stream = KafkaStream(
            rng,
            options.concurrency,
            key_count=options.key_count or 10,
            max_writes_per_key=options.max_writes_per_key,
            clock=lambda: self.clock(),
        )
        self.offsets: dict[str, dict[str, int]] = {}  # client id -> local offsets

    def next_op(self, thread: int) -> Op:
        return self.stream.next_op()

    def final_op(self, thread: int) -> Op | None:
        return self.stream.final_op(thread)

    def final_delay(self, thread: int) -> float:
        return self.stream.final_delay(thread)

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        if op["f"] == CRASH:
            self.offsets.pop(client.id, None)
            return {**op, "type": INFO}
        offsets = self.offsets.setdefault(client.id, {})

        async def call() -> Op:
            if op["f"] == SEND:
                return await self._send(client, node, op)
            if op["f"] == POLL:
                return await self._poll(client, node, op, offsets)
            return await self._assign(client, node, op, offsets)

        completion = await with_errors(op, IDEMPOTENT, call)
        self.stream.observe(completion)
        return completion

    async def _send(self, client: Client, node: str, op: Op) -> Op:
        _, key, message = op["value"][0]
        reply = await client.rpc(NAME, node, {"type": "send", "key": key, "msg": message})
        return {**op, "type": OK, "value": [[SEND, key, [reply["offset"], message]]]}

    async def _poll(self, client: Client, node: str, op: Op, offsets: dict[str, int]) -> Op:
        reply = await client.rpc(NAME, node, {"type": "poll", "offsets": dict(offsets)})
        messages = {key: pairs or [] for key, pairs in reply["msgs"].items()}
        committed = {
            key: max(pair[0] for pair in pairs) for key, pairs in messages.items() if pairs
        }
        for key in messages:
            after = committed[key] + 1 if key in committed else 0
            offsets[key] = max(offsets.get(key, 0), after)
        if committed:
            await client.rpc(NAME, node, {"type": "commit_offsets", "offsets": committed})
        return {**op, "type": OK, "value": [[POLL, messages]]}

    async def _assign(self, client: Client, node: str, op: Op, offsets: dict[str, int]) -> Op:
        keys = op["value"]
        if op.get(SEEK_TO_BEGINNING):
            fresh = dict.fromkeys(keys, 0)
        else:
            body = {"type": "list_committed_offsets", "keys": keys}
            committed = (await client.rpc(NAME, node, body))["offsets"]
            fresh = {key: offsets.get(key, committed.get(key, 0)) for key in keys}
        offsets.clear()
        offsets.update(fresh)
        return {**op, "type": OK}

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return check(history, ctx)


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return Kafka(options, rng)
