"""Synthetic lin-kv histories from a simulated atomic register, for tests and benchmarks.

The simulation follows the lin-kv generator's pattern (docs/maelstrom.md §7.7): worker
threads in groups of 2n, one key per group at a time; in the first group
threads 0..n-1 only read and the others write (1/3) or cas (2/3) over values
0-4; a timed-out write or cas completes :info (it takes effect at some
random moment after its invocation, possibly after the timeout, or never) and
moves its thread to a new process id; a group abandons its key for the next
unused one once more than 20 process ids have worked on it. Every op takes
effect atomically at one instant inside its interval, so the history is
linearizable by construction.

``indeterminate_then_impossible`` builds the opposite: a hard, invalid key.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Any

from glome.bench.history import FAIL, INFO, INVOKE, OK, Op

VALUES = 5
MAX_PROCESSES_PER_KEY = 20


@dataclass
class Shape:
    """Parameters of a synthetic run."""

    ops: int = 20_000  # invocations
    node_count: int = 5
    groups: int = 1  # concurrency = groups * 2 * node_count
    rate: float = 1000.0  # ops per second over all threads
    latency: float = 0.004  # mean seconds from invocation to completion
    timeout: float = 0.05  # seconds; an op slower than this completes :info
    timeout_chance: float = 0.01  # chance an op is slowed past its timeout


@dataclass
class _Pending:
    op: Op
    effect_at: float
    outcome: str  # OK | FAIL | INFO
    takes_effect: bool


class _World:
    """The register, the threads and their keys, advancing in time order."""

    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape = shape
        self.rng = rng
        self.concurrency = shape.groups * 2 * shape.node_count
        self.registers: dict[int, int | None] = {}
        self.process = list(range(self.concurrency))
        self.group_key = list(range(shape.groups))
        self.group_processes = [
            set(range(g * 2 * shape.node_count, (g + 1) * 2 * shape.node_count))
            for g in range(shape.groups)
        ]
        self.next_key = shape.groups
        self.history: list[Op] = []

    def group_of(self, thread: int) -> int:
        return thread // (2 * self.shape.node_count)

    def new_op(self, thread: int, now: float) -> Op:
        key = self.group_key[self.group_of(thread)]
        value: int | list[int] | None
        if thread < self.shape.node_count:
            f, value = "read", None
        elif self.rng.random() < 1 / 3:
            f, value = "write", self.rng.randrange(VALUES)
        else:
            f, value = "cas", [self.rng.randrange(VALUES), self.rng.randrange(VALUES)]
        return {"process": self.process[thread], "f": f, "value": [key, value], "time": now}

    def apply(self, pending: _Pending) -> None:
        """Take effect atomically; decide what a definite completion reports."""
        op = pending.op
        key, value = op["value"]
        current = self.registers.get(key)
        if op["f"] == "read":
            pending.outcome = OK if current is not None and pending.outcome == OK else FAIL
            op["value"] = [key, current]
        elif op["f"] == "write":
            self.registers[key] = value
        elif current is not None and current == value[0]:
            self.registers[key] = value[1]
        elif pending.outcome == OK:
            pending.outcome = FAIL

    def crash(self, thread: int) -> None:
        """An :info completion: the thread continues as a fresh process."""
        group = self.group_of(thread)
        self.process[thread] += self.concurrency
        self.group_processes[group].add(self.process[thread])
        if len(self.group_processes[group]) > MAX_PROCESSES_PER_KEY:
            self.group_key[group] = self.next_key
            self.next_key += 1
            start = group * 2 * self.shape.node_count
            self.group_processes[group] = {
                self.process[t] for t in range(start, start + 2 * self.shape.node_count)
            }

    def record(self, op: Op, kind: str, now: float, value: Any) -> None:
        self.history.append({**op, "type": kind, "time": int(now * 1e9), "value": value})


def history(shape: Shape, seed: int = 0) -> list[Op]:
    """A linearizable lin-kv history of ``shape.ops`` invocations, reproducible by seed."""
    rng = random.Random(seed)
    world = _World(shape, rng)
    gap = world.concurrency / shape.rate
    events: list[tuple[float, int, str, int, Any]] = []
    sequence = 0

    def push(at: float, kind: str, thread: int, payload: Any = None) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, sequence, kind, thread, payload))

    for thread in range(world.concurrency):
        push(rng.expovariate(1 / gap), "invoke", thread)
    issued = 0
    while events:
        now, _, kind, thread, pending = heapq.heappop(events)
        if kind == "invoke":
            if issued >= shape.ops:
                continue
            issued += 1
            op = world.new_op(thread, now)
            world.record(op, INVOKE, now, list(op["value"]))
            if rng.random() < shape.timeout_chance:
                effect_at = now + rng.uniform(0, 2 * shape.timeout)
                takes_effect = op["f"] != "read" and rng.random() < 0.5
                pending = _Pending(op, effect_at, INFO, takes_effect)
                done = now + shape.timeout
            else:
                done = now + rng.expovariate(1 / shape.latency)
                pending = _Pending(op, rng.uniform(now, done), OK, True)
            if pending.takes_effect:
                push(pending.effect_at, "effect", thread, pending)
            push(done, "complete", thread, pending)
        elif kind == "effect":
            world.apply(pending)
        else:
            outcome = pending.outcome
            if outcome == INFO and pending.op["f"] == "read":
                outcome = FAIL
            world.record(pending.op, outcome, now, pending.op["value"])
            if outcome == INFO:
                world.crash(thread)
            push(now + rng.expovariate(1 / gap), "invoke", thread)
    for index, op in enumerate(world.history):
        op["index"] = index
    return world.history


def indeterminate_then_impossible(infos: int, tail: int, seed: int = 0) -> list[Op]:
    """One key: ``infos`` indeterminate writes and cas ops, then ``tail`` sequential
    writes and reads, then a read of a value never written. Every indeterminate op
    may take effect anywhere in the tail, so proving the last read impossible makes
    the search visit a great many configurations."""
    rng = random.Random(seed)
    history: list[Op] = []

    def op_pair(process: int, f: str, value: Any, outcome: str, result: Any = None) -> None:
        invocation = {"process": process, "f": f, "value": ["k", value]}
        completion = {**invocation, "value": ["k", value if result is None else result]}
        history.extend([{**invocation, "type": INVOKE}, {**completion, "type": outcome}])

    for process in range(2, 2 + infos):
        if rng.random() < 0.5:
            op_pair(process, "write", rng.randrange(VALUES), INFO)
        else:
            op_pair(process, "cas", [rng.randrange(VALUES), rng.randrange(VALUES)], INFO)
    current = rng.randrange(VALUES)
    op_pair(0, "write", current, OK)
    for _ in range(tail):
        if rng.random() < 0.5:
            current = rng.randrange(VALUES)
            op_pair(0, "write", current, OK)
        else:
            op_pair(1, "read", None, OK, current)
    op_pair(1, "read", None, OK, VALUES + 4)
    for index, op in enumerate(history):
        op["index"] = index
        op["time"] = index * 1000
    return history
