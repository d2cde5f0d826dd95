"""The lin-kv workload (docs/maelstrom.md §7.7): Jepsen's independent linearizable-register test.

Worker threads form groups of 2n (n nodes), and each group works one key at a
time, so every key's history stays small enough for a linearizability search.
Op values are ``[key, v]`` pairs. Reads are idempotent: a read that times out
did not change anything and completes ``fail``, while a write or cas that
times out may still take effect and completes ``info``.

Three details follow Jepsen rather than intuition, because Maelstrom inherits
them:

* the read-only threads are chosen by absolute thread number (0..n-1), so
  only the first group has readers; later groups only write and cas;
* a group leaves its key when more than 20 process ids have occupied its
  threads since the key started (2n at the start, one more per ``info`` op);
* a concurrency that is not a positive multiple of 2n aborts the test.
"""

from __future__ import annotations

import random
from typing import Any

from glome.bench.aborted import TestAborted
from glome.bench.checkers import linear
from glome.bench.client import Client, with_errors
from glome.bench.history import INFO, OK, CheckContext, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import Workload, mix
from glome.protocol import ANY, ResponseSchema

NAME = "lin-kv"
#: workload name -> request type -> the reply Maelstrom's client accepts
RESPONSE_SCHEMAS: dict[str, dict[str, ResponseSchema]] = {
    NAME: {"read": ("read_ok", {"value": ANY}), "write": ("write_ok", {}), "cas": ("cas_ok", {})},
}
#: write values and cas arguments are drawn from 0..VALUES-1
VALUES = 5
#: a key is abandoned once more process ids than this have worked on it
PROCESS_LIMIT = 20
#: the client timeout is max(TIMEOUT_LATENCIES x mean latency, MIN_TIMEOUT_MS)
TIMEOUT_LATENCIES = 10
MIN_TIMEOUT_MS = 1000


class ConcurrencyRule(TestAborted):
    """The thread count cannot be split into groups of 2n: the test cannot start."""


def group_size(node_count: int, concurrency: int) -> int:
    """2n, after checking that ``concurrency`` splits into groups of that size
    and that a group's own threads do not already exceed the process limit."""
    size = 2 * node_count
    if concurrency < size or concurrency % size:
        raise ConcurrencyRule(
            f"lin-kv works each key with a group of 2n = {size} worker threads ({node_count} "
            f"nodes), so --concurrency must be a positive multiple of {size}; it is "
            f"{concurrency}. Use e.g. --concurrency 2n."
        )
    if size > PROCESS_LIMIT:
        # Maelstrom's generator would give up every key at once and look for
        # the next one forever; stopping with a reason is more useful.
        raise ConcurrencyRule(
            f"lin-kv with {node_count} nodes puts {size} processes on every key, more "
            f"than the {PROCESS_LIMIT} a key may have: use at most {PROCESS_LIMIT // 2} nodes."
        )
    return size


class LinKV(Workload):
    name = NAME
    reusable_client = True

    def __init__(self, options: TestOptions, rng: random.Random) -> None:
        super().__init__(options, rng)
        self.node_count = len(options.nodes)
        self.concurrency = options.concurrency
        self.group_size = group_size(self.node_count, self.concurrency)
        groups = self.concurrency // self.group_size
        self.timeout_s = max(TIMEOUT_LATENCIES * options.latency, MIN_TIMEOUT_MS) / 1000
        #: the key each group works on; group g starts on key g
        self.group_key = list(range(groups))
        self._next_key = groups
        #: each thread's current process id
        self.process = list(range(self.concurrency))
        #: per group, the process ids that have occupied its threads on its key
        self.key_processes = [self._occupants(group) for group in range(groups)]

    def _occupants(self, group: int) -> set[int]:
        first = group * self.group_size
        return set(self.process[first : first + self.group_size])

    def key_for(self, thread: int) -> int:
        """The key of ``thread``'s group, moving the group to a fresh key first
        if too many processes have worked on the current one."""
        group = thread // self.group_size
        if len(self.key_processes[group]) > PROCESS_LIMIT:
            self.group_key[group] = self._next_key
            self._next_key += 1
            self.key_processes[group] = self._occupants(group)
        return self.group_key[group]

    def next_op(self, thread: int) -> Op:
        key = self.key_for(thread)
        if thread < self.node_count:
            return {"f": "read", "value": [key, None]}

        def write() -> Op:
            return {"f": "write", "value": [key, self._value()]}

        def cas() -> Op:
            return {"f": "cas", "value": [key, [self._value(), self._value()]]}

        return mix(self.rng, [write, cas, cas])  # Jepsen's mix of w, cas, cas

    def _value(self) -> int:
        return self.rng.randrange(VALUES)

    def _crashed(self, process: int) -> None:
        """An ``info`` op moves its thread to a new process (docs/maelstrom.md §6.4); the
        new one counts against the group's key from now on."""
        thread = process % self.concurrency
        self.process[thread] = process + self.concurrency
        self.key_processes[thread // self.group_size].add(self.process[thread])

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        try:
            completion = await with_errors(op, ("read",), lambda: self._call(client, node, op))
        except Exception:
            self._crashed(op["process"])  # the worker records it as info
            raise
        if completion["type"] == INFO:
            self._crashed(op["process"])
        return completion

    async def _call(self, client: Client, node: str, op: Op) -> Op:
        key, argument = op["value"]
        f = op["f"]
        if f == "read":
            reply = await client.rpc(NAME, node, {"type": "read", "key": key}, self.timeout_s)
            return {**op, "type": OK, "value": [key, reply["value"]]}
        if f == "write":
            body = {"type": "write", "key": key, "value": argument}
        else:
            expected, new = argument
            body = {"type": "cas", "key": key, "from": expected, "to": new}
        await client.rpc(NAME, node, body, self.timeout_s)
        return {**op, "type": OK}

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        return linear.check(history, ctx)


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    return LinKV(options, rng)
