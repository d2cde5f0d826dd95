"""Whole kafka histories without a node: a simulated log service under Maelstrom's load.

``simulate`` replays the shape of a ``glome test -w kafka`` run in-process: a
stagger-scheduled stream at ``rate`` ops/s over ``concurrency`` workers;
sends and polls 50/50 over ``active_keys`` rotating keys with at most
``max_writes_per_key`` messages each; an assign every ~64 ops (a third of them
widened with keys that have unpolled messages); a crash per client every
``crash_interval`` seconds; rare timeouts (info ops, after which the worker
gets a new process); then the final phase: crash, assign every key with
seek-to-beginning, poll until caught up or 10 s pass. Clients behave like
Maelstrom's (local offsets, commit after poll, assign resumes at the
committed offset).

The service is a correct in-memory log (returning at most ``poll_limit``
messages per key and poll, if set), or one with a deliberate ``fault``
that strikes with probability ``fault_rate`` per send or poll:

* ``duplicate-offsets``: a send gets the offset the previous send got;
* ``skipped-offsets``: a poll leaves out one message in the middle of a key;
* ``lost-writes``: a send is acknowledged but never stored;
* ``duplicate-messages``: a send is stored at two offsets.

The benchmarks and tests use it to get realistic histories of any size.
"""

from __future__ import annotations

import heapq
import itertools
import random
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from glome.bench.checkers.kafka.transactions import ASSIGN, POLL, SEEK_TO_BEGINNING, SEND
from glome.bench.history import INFO, INVOKE, OK, Op

FAULTS = ("duplicate-offsets", "skipped-offsets", "lost-writes", "duplicate-messages")
NANOS = 1_000_000_000


@dataclass
class RunShape:
    operations: int = 20_000  # main-phase invocations
    concurrency: int = 4
    rate: float = 1000.0
    active_keys: int = 10
    max_writes_per_key: int = 16
    crash_interval: float = 30.0  # seconds between crashes of each client
    timeout_probability: float = 0.001
    fault: str | None = None
    fault_rate: float = 0.01
    poll_limit: int | None = None  # most messages per key in one poll (None: all)


class LogService:
    """An append-only log per key; offsets mostly dense, sometimes with gaps."""

    def __init__(self, rng: random.Random, shape: RunShape) -> None:
        self.rng = rng
        self.fault = shape.fault
        self.fault_rate = shape.fault_rate
        self.poll_limit = shape.poll_limit
        self.offsets: dict[str, list[int]] = {}
        self.messages: dict[str, list[Any]] = {}
        self.committed: dict[str, int] = {}

    def _strikes(self, fault: str) -> bool:
        return self.fault == fault and self.rng.random() < self.fault_rate

    def _store(self, key: str, offset: int, message: Any) -> None:
        self.offsets.setdefault(key, []).append(offset)
        self.messages.setdefault(key, []).append(message)

    def send(self, key: str, message: Any) -> int:
        offsets = self.offsets.get(key, [])
        last = offsets[-1] if offsets else -1
        if offsets and self._strikes("duplicate-offsets"):
            offset = last
        else:
            offset = last + (2 if self.rng.random() < 0.05 else 1)
        if self._strikes("lost-writes"):
            self._store(key, offset, None)  # takes the offset, holds nothing
            return offset
        self._store(key, offset, message)
        if self._strikes("duplicate-messages"):
            self._store(key, offset + 1, message)
        return offset

    def poll(self, wanted: dict[str, int]) -> dict[str, list[list[Any]]]:
        result = {}
        for key, start in wanted.items():
            offsets = self.offsets.get(key, [])
            messages = self.messages.get(key, [])
            first = bisect_left(offsets, start)
            pairs = [
                [offsets[i], messages[i]]
                for i in range(first, len(offsets))
                if messages[i] is not None
            ][: self.poll_limit]
            if len(pairs) > 2 and self._strikes("skipped-offsets"):
                del pairs[self.rng.randrange(1, len(pairs) - 1)]
            result[key] = pairs
        return result


class Client:
    """Maelstrom's kafka client: local offsets, commit after poll."""

    def __init__(self, service: LogService) -> None:
        self.service = service
        self.offsets: dict[str, int] = {}

    def poll(self) -> dict[str, list[list[Any]]]:
        messages = self.service.poll(self.offsets)
        for key, pairs in messages.items():
            if pairs:
                highest = max(offset for offset, _ in pairs)
                self.offsets[key] = max(self.offsets.get(key, 0), highest + 1)
                committed = self.service.committed
                committed[key] = max(committed.get(key, -1), highest)
        return messages

    def assign(self, keys: list[str], seek_to_beginning: bool) -> None:
        if seek_to_beginning:
            self.offsets = dict.fromkeys(keys, 0)
            return
        committed = self.service.committed
        self.offsets = {key: self.offsets.get(key, committed.get(key, 0)) for key in keys}


class Simulation:
    def __init__(self, shape: RunShape, seed: int) -> None:
        self.shape = shape
        self.rng = random.Random(seed)
        self.service = LogService(self.rng, shape)
        self.history: list[Op] = []
        self.pending: list[tuple[int, int, Op]] = []  # completions by time
        self.sequence = itertools.count()
        workers = range(shape.concurrency)
        self.process = list(workers)
        self.clients = [Client(self.service) for _ in workers]
        self.free_at = [0] * shape.concurrency
        self.key_ids = itertools.count()
        self.active = [str(next(self.key_ids)) for _ in range(shape.active_keys)]
        self.written: dict[str, int] = {}
        self.sent_not_polled: set[str] = set()
        self.highest: dict[str, int] = {}

    # -- history ---------------------------------------------------------
    def _emit(self, op: Op) -> None:
        op["index"] = len(self.history)
        self.history.append(op)

    def _flush(self, until: float) -> None:
        while self.pending and self.pending[0][0] <= until:
            self._emit(heapq.heappop(self.pending)[2])

    def _run(self, worker: int, start: int, op: Op) -> Op:
        """Invoke ``op`` on ``worker`` at ``start``; return its (scheduled) completion."""
        self._flush(start)
        process = self.process[worker]
        self._emit({"type": INVOKE, "process": process, "time": start, **op})
        latency = int(self.rng.uniform(0.2, 3.0) * 1_000_000)
        kind, value, error = self._perform(worker, op)
        done = start + latency
        completion = {"type": kind, "process": process, "time": done, **op, "value": value}
        completion["type"] = kind
        if error is not None:
            completion["error"] = error
        heapq.heappush(self.pending, (done, next(self.sequence), completion))
        self.free_at[worker] = done
        if kind == INFO:
            self.process[worker] += self.shape.concurrency
            self.clients[worker] = Client(self.service)
        return completion

    def _perform(self, worker: int, op: Op) -> tuple[str, Any, Any]:
        client = self.clients[worker]
        timed_out = self.rng.random() < self.shape.timeout_probability
        f = op["f"]
        if f == "crash":
            return INFO, None, None
        if f == ASSIGN:
            client.assign(op["value"], bool(op.get(SEEK_TO_BEGINNING)))
            return OK, op["value"], None
        if f == SEND:
            _, key, message = op["value"][0]
            if timed_out and self.rng.random() < 0.5:
                return INFO, op["value"], "net-timeout"
            offset = self.service.send(key, message)
            if timed_out:
                return INFO, op["value"], "net-timeout"
            self.sent_not_polled.add(key)
            self.highest[key] = max(self.highest.get(key, -1), offset)
            return OK, [[SEND, key, [offset, message]]], None
        messages = client.poll()
        if timed_out:
            return INFO, op["value"], "net-timeout"
        for key, pairs in messages.items():
            if pairs:
                self.sent_not_polled.discard(key)
                self.highest[key] = max(self.highest.get(key, -1), pairs[-1][0])
        return OK, [[POLL, messages]], None

    # -- op streams ------------------------------------------------------
    def _key(self) -> str:
        weights = [2.0**-i for i in range(len(self.active))]
        return self.rng.choices(self.active, weights)[0]

    def _send(self) -> Op:
        key = self._key()
        count = self.written[key] = self.written.get(key, 0) + 1
        if count >= self.shape.max_writes_per_key:
            self.active[self.active.index(key)] = str(next(self.key_ids))
        return {"f": SEND, "value": [[SEND, key, count]]}

    def _main_op(self) -> Op:
        if self.rng.random() < 1 / 64:
            keys = [self._key()]
            if self.sent_not_polled and self.rng.random() < 1 / 3:
                keys = sorted(set(keys) | self.sent_not_polled)
            return {"f": ASSIGN, "value": keys}
        if self.rng.random() < 0.5:
            return self._send()
        return {"f": POLL, "value": [[POLL]]}

    def main_phase(self) -> int:
        shape = self.shape
        now = 0.0
        crash_every = shape.crash_interval / shape.concurrency * NANOS
        next_crash = self.rng.uniform(0, crash_every)
        for _ in range(shape.operations):
            now += self.rng.uniform(0, 2 / shape.rate) * NANOS
            worker = min(range(shape.concurrency), key=self.free_at.__getitem__)
            start = int(max(now, self.free_at[worker]))
            if start >= next_crash:
                next_crash += crash_every
                self._run(worker, start, {"f": "crash", "value": None})
            else:
                self._run(worker, start, self._main_op())
        return max(self.free_at)

    def final_phase(self, main_end: int) -> None:
        """Per worker: crash, assign everything from the beginning, poll until caught up."""
        concurrency = self.shape.concurrency
        start = main_end + 10 * NANOS
        deadline = start + 10 * NANOS
        keys = sorted(set(self.written) | set(self.active), key=int)
        target = dict(self.highest)
        steps: list[Op] = [
            {"f": "crash", "value": None},
            {"f": ASSIGN, "value": keys, SEEK_TO_BEGINNING: True},
        ]
        stage = [0] * concurrency
        next_at = [start] * concurrency
        reached: list[dict[str, int]] = [{} for _ in range(concurrency)]
        busy = set(range(concurrency))
        while busy:
            worker = min(busy, key=next_at.__getitem__)
            at = next_at[worker]
            if at >= deadline:
                busy.discard(worker)
                continue
            op = (
                steps[stage[worker]]
                if stage[worker] < len(steps)
                else {"f": POLL, "value": [[POLL]]}
            )
            completion = self._run(worker, at, op)
            stage[worker] += 1
            next_at[worker] = self.free_at[worker]
            if op["f"] == POLL:
                self._note_reached(reached[worker], completion)
                if all(reached[worker].get(k, -1) >= o for k, o in target.items()):
                    busy.discard(worker)
                next_at[worker] += int(self.rng.uniform(0, 0.4) * NANOS)
        self._flush(float("inf"))

    @staticmethod
    def _note_reached(reached: dict[str, int], completion: Op) -> None:
        if completion["type"] != OK:
            return
        for key, pairs in completion["value"][0][1].items():
            if pairs:
                reached[key] = max(reached.get(key, -1), pairs[-1][0])


def simulate(shape: RunShape | None = None, seed: int = 0) -> list[Op]:
    """A complete kafka history (client ops only) of the given shape."""
    simulation = Simulation(shape or RunShape(), seed)
    simulation.final_phase(simulation.main_phase())
    return simulation.history
