"""Synthetic txn histories shaped like a `glome test` run, for benchmarks and tests.

Transactions come from the txn workloads' generator rules (1-4 micro-ops,
reads and writes half and half, an exponential choice over 10 active keys,
values 1, 2, 3 … per key, a key replaced after 16 writes) and run against a
simulated store. The *serializable* store applies each transaction atomically
at one instant inside its invocation/completion window (so the history is
strict-serializable); the *buggy* store reads at invocation and writes at
completion without isolation, which loses updates and breeds cycles, and
``leak_aborted`` makes failed transactions take effect (aborted reads).
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from typing import Any

from glome.bench.history import FAIL, INFO, INVOKE, OK, Op

MS = 1_000_000


@dataclass(frozen=True)
class Shape:
    txns: int = 10_000
    processes: int = 4
    rate: float = 1000.0  # invocations per second
    key_count: int = 10
    max_txn_length: int = 4
    max_writes_per_key: int = 16
    appends: bool = False  # txn-list-append instead of txn-rw-register
    isolated: bool = True  # False: the buggy store
    leak_aborted: bool = False  # True: failed txns still take effect
    fail_rate: float = 0.02
    info_rate: float = 0.005
    seed: int = 7


class _Generator:
    """The txn generator's rules: exponential key choice, unique values, rotation."""

    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape = shape
        self.rng = rng
        self.active = list(range(shape.key_count))
        self.next_value: dict[int, int] = {}
        self.scale = (2**shape.key_count - 1) * 2

    def _key(self) -> int:
        i = int(math.log(self.rng.random() * self.scale + 2, 2) - 1)
        return self.active[min(i, len(self.active) - 1)]

    def txn(self) -> list[list[Any]]:
        mops: list[list[Any]] = []
        write_f = "append" if self.shape.appends else "w"
        length = self.rng.randint(1, self.shape.max_txn_length)
        while len(mops) < length:
            k = self._key()
            if self.rng.random() < 0.5:
                mops.append(["r", k, None])
                continue
            v = self.next_value.get(k, 1)
            if v > self.shape.max_writes_per_key:
                self.active[self.active.index(k)] = max(self.active) + 1
                continue
            self.next_value[k] = v + 1
            mops.append([write_f, k, v])
        return mops


class _Store:
    def __init__(self, appends: bool) -> None:
        self.appends = appends
        self.data: dict[int, Any] = {}

    def read(self, k: int) -> Any:
        value = self.data.get(k)
        return list(value) if self.appends and value is not None else value

    def write(self, k: int, v: int) -> None:
        if self.appends:
            self.data.setdefault(k, []).append(v)
        else:
            self.data[k] = v

    def run(self, mops: list[list[Any]], read: bool = True, write: bool = True) -> None:
        """Applies the micro-ops in order, filling in the values reads see."""
        for mop in mops:
            f, k, v = mop
            if f == "r" and read:
                mop[2] = self.read(k)
            elif f != "r" and write:
                self.write(k, v)


def history(shape: Shape = Shape()) -> list[Op]:
    """A complete history: every invocation is followed (later) by its completion."""
    rng = random.Random(shape.seed)
    gen = _Generator(shape, rng)
    store = _Store(shape.appends)
    events: list[tuple[int, int, int, str, dict[str, Any]]] = []
    free_at = [0] * shape.processes
    process_ids = list(range(shape.processes))
    time = 0
    for n in range(shape.txns):
        time += int(rng.uniform(0, 2 / shape.rate) * 1e9)
        worker = min(range(shape.processes), key=lambda w: free_at[w])
        start = max(time, free_at[worker])
        latency = int(rng.uniform(0.1, 2.0 * shape.processes / shape.rate) * 1e9) + 1
        end = start + latency
        free_at[worker] = end + 1
        outcome = rng.random()
        kind = FAIL if outcome < shape.fail_rate else OK
        if shape.fail_rate <= outcome < shape.fail_rate + shape.info_rate:
            kind = INFO
        applies = kind != FAIL or shape.leak_aborted
        txn = {"process": process_ids[worker], "mops": gen.txn(), "kind": kind, "applies": applies}
        if kind == INFO:
            process_ids[worker] += shape.processes
        steps = [(start, "invoke"), (end, "complete")]
        if shape.isolated:
            steps.append((rng.randint(start, end), "apply"))
        else:
            steps += [(start, "read"), (end, "write")]
        for at, event in steps:
            heapq.heappush(events, (at, _EVENT_ORDER[event], n, event, txn))
    return _play(events, store)


#: At equal times a txn is invoked before it runs, and runs before it completes.
_EVENT_ORDER = {"invoke": 0, "apply": 1, "read": 1, "write": 2, "complete": 3}


def _play(events: list[tuple[int, int, int, str, dict[str, Any]]], store: _Store) -> list[Op]:
    ops: list[Op] = []
    while events:
        at, _, _, event, txn = heapq.heappop(events)
        mops, kind = txn["mops"], txn["kind"]
        if event == "invoke":
            txn["invoked"] = [list(mop) for mop in mops]
            ops.append(_op(len(ops), at, INVOKE, txn["process"], txn["invoked"]))
        elif event == "apply" and txn["applies"]:
            store.run(mops)
        elif event in ("read", "write") and txn["applies"]:
            store.run(mops, read=event == "read", write=event == "write")
        elif event == "complete":
            value = mops if kind == OK else txn["invoked"]
            ops.append(_op(len(ops), at, kind, txn["process"], value))
    return ops


def _op(index: int, time: int, kind: str, process: int, value: list[list[Any]]) -> Op:
    return {
        "index": index,
        "time": time,
        "type": kind,
        "process": process,
        "f": "txn",
        "value": value,
    }
