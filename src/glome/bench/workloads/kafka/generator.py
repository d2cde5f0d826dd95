"""The kafka op stream (spec 5.6): sends and polls over rotating keys, assigns, crashes.

Main phase: single-op "transactions" over ``key_count`` active keys picked with
the exponential weights of Elle's generator (position i weighs 2^(i+1)); a
send writes the next value 1, 2, ... of its key, and the write that uses up
``max_writes_per_key`` replaces the key in place by a fresh one. One op in 64
becomes an assign of its key, a third of those widened with every key that
has acknowledged sends no poll has returned yet. A crash stream staggered at
``30 / concurrency`` s rides along, so each client crashes about every 30 s.

Final phase, per worker thread: crash, assign every key seen from the
beginning, then poll until this thread's ok polls reach the highest offset
per key any ok send or poll observed in the main phase.

The stream learns from completions (``observe``), as Jepsen's generator
updates on every completed op.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from glome.bench.history import OK, Op
from glome.bench.loop import monotonic_ns
from glome.bench.workloads.kafka.transactions import ASSIGN, POLL, SEEK_TO_BEGINNING, SEND

CRASH = "crash"
DEFAULT_KEY_COUNT = 10
ASSIGN_PROBABILITY = 1 / 64
WIDEN_PROBABILITY = 1 / 3
CRASH_INTERVAL_S = 30.0
FINAL_POLL_SPACING_S = 0.4
FINAL_POLL_MS = 1000
SECOND = 1_000_000_000


def poll_op(**extra: Any) -> Op:
    return {"f": POLL, "value": [[POLL]], **extra}


def crash_op() -> Op:
    return {"f": CRASH, "value": None}


def polled_offsets(completion: Op) -> dict[str, int]:
    """Highest offset per key returned by an ok poll completion (empty lists ignored)."""
    highest: dict[str, int] = {}
    for mop in completion.get("value") or ():
        if mop[0] != POLL or len(mop) < 2:
            continue
        for key, pairs in (mop[1] or {}).items():
            for offset, _ in pairs or ():
                if isinstance(offset, int) and offset > highest.get(key, -1):
                    highest[key] = offset
    return highest


def sent_offset(completion: Op) -> tuple[str, int] | None:
    """The key and acknowledged offset of an ok send completion."""
    _, key, written = completion["value"][0]
    offset = written[0] if isinstance(written, list) else None
    return (key, offset) if isinstance(offset, int) else None


class KafkaStream:
    """The op stream of one test; ``clock`` gives monotonic ns (injectable for tests)."""

    def __init__(
        self,
        rng: random.Random,
        concurrency: int,
        key_count: int = DEFAULT_KEY_COUNT,
        max_writes_per_key: int = 16,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.rng = rng
        self.concurrency = concurrency
        self.max_writes_per_key = max_writes_per_key
        self.clock = clock or monotonic_ns
        self.active = list(range(key_count))
        self._next_key = key_count
        self._weights = [2.0 ** (position + 1) for position in range(key_count)]
        self.writes: dict[int, int] = {}
        self.keys_seen: set[str] = set()
        self.sent: dict[str, int] = {}  # highest acknowledged offset per key
        self.polled: dict[str, int] = {}  # highest offset any ok poll returned per key
        self._crash_every_ns = CRASH_INTERVAL_S / concurrency * SECOND
        self._next_crash: int | None = None
        # final phase
        self._targets: dict[str, int] | None = None
        self._final_step: dict[int, int] = {}
        self._reached: dict[int, dict[str, int]] = {}

    # -- main phase ---------------------------------------------------------
    def _key(self) -> int:
        position = self.rng.choices(range(len(self.active)), self._weights)[0]
        return self.active[position]

    def _write(self, key: int) -> int:
        value = self.writes[key] = self.writes.get(key, 0) + 1
        if value >= self.max_writes_per_key:
            self.active[self.active.index(key)] = self._next_key
            self._next_key += 1
        return value

    def unpolled_keys(self) -> list[str]:
        """Keys with an acknowledged offset beyond what any ok poll returned."""
        return [key for key, offset in self.sent.items() if offset > self.polled.get(key, -1)]

    def _crash_due(self) -> bool:
        now = self.clock()
        if self._next_crash is None:
            self._next_crash = now
        if now < self._next_crash:
            return False
        self._next_crash += int(self.rng.random() * 2 * self._crash_every_ns)
        return True

    def next_op(self) -> Op:
        if self._crash_due():
            return crash_op()
        key = self._key()
        if self.rng.random() < 0.5:
            name = str(key)
            self.keys_seen.add(name)
            op = {"f": SEND, "value": [[SEND, name, self._write(key)]]}
        else:
            op = poll_op()
        if self.rng.random() < ASSIGN_PROBABILITY:
            keys = {str(key)}
            if self.rng.random() < WIDEN_PROBABILITY:
                keys.update(self.unpolled_keys())
            op = {"f": ASSIGN, "value": sorted(keys, key=int)}
        return op

    def observe(self, completion: Op) -> None:
        """Learn acknowledged and polled offsets from a completion."""
        if completion["type"] != OK:
            return
        if completion["f"] == SEND:
            acknowledged = sent_offset(completion)
            if acknowledged is not None:
                key, offset = acknowledged
                self.sent[key] = max(self.sent.get(key, -1), offset)
        elif completion["f"] == POLL:
            highest = polled_offsets(completion)
            for key, offset in highest.items():
                self.polled[key] = max(self.polled.get(key, -1), offset)
                self.keys_seen.add(key)
            thread = completion["process"] % self.concurrency
            reached = self._reached.get(thread)
            if reached is not None and completion.get("final?"):
                for key, offset in highest.items():
                    reached[key] = max(reached.get(key, -1), offset)

    # -- final phase --------------------------------------------------------
    def _caught_up(self, thread: int) -> bool:
        assert self._targets is not None
        reached = self._reached[thread]
        return all(reached.get(key, -1) >= offset for key, offset in self._targets.items())

    def final_op(self, thread: int) -> Op | None:
        if self._targets is None:
            self._targets = {
                key: max(offset, self.polled.get(key, -1)) for key, offset in self.sent.items()
            }
            for key, offset in self.polled.items():
                self._targets.setdefault(key, offset)
        step = self._final_step.get(thread, 0)
        self._final_step[thread] = step + 1
        if step == 0:
            self._reached[thread] = {}
            return {**crash_op(), "final?": True}
        if step == 1:
            keys = sorted(self.keys_seen | set(self._targets), key=int)
            return {"f": ASSIGN, "value": keys, SEEK_TO_BEGINNING: True, "final?": True}
        if step > 2 and self._caught_up(thread):
            return None
        return poll_op(**{"poll-ms": FINAL_POLL_MS, "final?": True})

    def final_delay(self, thread: int) -> float:
        """Final polls are spaced U[0, 0.4) s apart; crash and assign go at once."""
        if self._final_step.get(thread, 0) < 2:
            return 0.0
        return self.rng.random() * FINAL_POLL_SPACING_S
