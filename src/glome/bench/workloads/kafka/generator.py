"""The kafka op stream (docs/maelstrom.md §7.6): sends and polls over rotating keys,
assigns, crashes.

Main phase, as Jepsen's kafka generator over Elle's list-append transactions:
single-op "transactions" over ``key_count`` active keys picked with the
exponential weights of Elle's generator (position i weighs 2^(i+1)); a send
writes the next value 1, 2, ... of its key. A key stays active after its
``max_writes_per_key``-th write: only when a further write to it is drawn is
it replaced in place by a fresh key, and that draw is made again (op kind and
key). One op in 64 is replaced by an assign of its key, a third of those
widened with every key that has acknowledged sends no poll has returned yet;
the op it replaced is not lost but comes next (Jepsen keeps its underlying
generator unadvanced), so every key gets exactly the values 1, 2, 3, ... A
crash stream staggered at ``30 / concurrency`` s rides along, so each client
crashes about every 30 s.

Final phase (Jepsen's final-polls, each thread on its own): the targets are
the highest offset per key that ok sends and polls showed in the main phase,
-1 for a key only ever polled empty. With no target at all there are no final
ops. Otherwise crash, assign every target key from the beginning, then poll,
the first poll at once and each next one U[0, 0.4) s after the previous one
was issued (Jepsen's stagger), until this thread's ok polls showed every
target key at or past its offset (a -1 key: returned at all, even empty).

The stream learns from completions (``observe``), as Jepsen's generator
updates on every completed op.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from glome.bench.checkers.kafka.transactions import ASSIGN, POLL, SEEK_TO_BEGINNING, SEND
from glome.bench.history import OK, Op
from glome.bench.loop import monotonic_ns

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


def max_offsets(completion: Op) -> dict[str, int]:
    """Highest offset per key an ok send or poll shows (Jepsen's op->max-offsets):
    a key a poll returned with no messages counts as -1."""
    highest: dict[str, int] = {}
    for mop in completion.get("value") or ():
        if mop[0] == POLL and len(mop) > 1 and isinstance(mop[1], dict):
            for key, pairs in mop[1].items():
                top = highest.get(key, -1)
                for pair in pairs or ():
                    if isinstance(pair, list) and pair and type(pair[0]) is int:
                        top = max(top, pair[0])
                highest[key] = top
        elif mop[0] == SEND and len(mop) > 2:
            written = mop[2]
            if isinstance(written, list) and written and type(written[0]) is int:
                highest[mop[1]] = max(highest.get(mop[1], -1), written[0])
    return highest


def key_order(key: Any) -> tuple[int, Any]:
    """Numeric keys in numeric order (Jepsen tracks them as integers), any other after."""
    if isinstance(key, str) and key.isdecimal():
        return (0, int(key))
    return (1, str(key))


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
        self.writes: dict[int, int] = {}  # values written so far per active key
        self.sent: dict[str, int] = {}  # highest acknowledged offset per key
        self.polled: dict[str, int] = {}  # highest offset any ok poll returned per key
        #: every key an ok send or poll showed -> its highest offset (-1: polled empty)
        self.offsets: dict[str, int] = {}
        #: the op an assign stood in for, with its key: it is emitted next
        self._pending: tuple[Op, str] | None = None
        self._crash_every_ns = CRASH_INTERVAL_S / concurrency * SECOND
        self._next_crash: int | None = None
        # final phase
        self._targets: dict[str, int] | None = None
        self._final_step: dict[int, int] = {}
        self._waiting: dict[int, dict[str, int]] = {}  # per thread: targets not yet polled
        self._poll_due: dict[int, int] = {}  # per thread: when its next final poll may go

    # -- main phase ---------------------------------------------------------
    def _key(self) -> int:
        position = self.rng.choices(range(len(self.active)), self._weights)[0]
        return self.active[position]

    def _retire(self, key: int) -> None:
        self.active[self.active.index(key)] = self._next_key
        self._next_key += 1
        self.writes.pop(key, None)

    def _txn(self) -> tuple[Op, str]:
        """A poll or a send and the key it drew; a write past the maximum retires
        its key and the draw starts over, as in Elle's wr-txns."""
        while True:
            key = self._key()
            if self.rng.random() >= 0.5:
                return poll_op(), str(key)
            value = self.writes.get(key, 0) + 1
            if value <= self.max_writes_per_key:
                self.writes[key] = value
                return {"f": SEND, "value": [[SEND, str(key), value]]}, str(key)
            self._retire(key)

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
        op, key = self._pending or self._txn()
        if self.rng.random() < ASSIGN_PROBABILITY:
            self._pending = (op, key)
            keys = {key}
            if self.rng.random() < WIDEN_PROBABILITY:
                keys.update(self.unpolled_keys())
            return {"f": ASSIGN, "value": sorted(keys, key=key_order)}
        self._pending = None
        return op

    def observe(self, completion: Op) -> None:
        """Learn acknowledged and polled offsets from a completion."""
        f = completion["f"]
        if completion["type"] != OK or (f != SEND and f != POLL):
            return
        shown = max_offsets(completion)
        into = self.sent if f == SEND else self.polled
        for key, offset in shown.items():
            into[key] = max(into.get(key, -1), offset)
            self.offsets[key] = max(self.offsets.get(key, -1), offset)
        waiting = self._waiting.get(completion["process"] % self.concurrency)
        if waiting is not None and f == POLL and completion.get("final?"):
            for key, offset in shown.items():
                if waiting.get(key, -1) <= offset:
                    waiting.pop(key, None)

    # -- final phase --------------------------------------------------------
    def final_op(self, thread: int) -> Op | None:
        """This thread's next final op; None once its polls caught up with every
        target (at once when there is none). The targets are frozen on first call."""
        if self._targets is None:
            self._targets = dict(self.offsets)
        waiting = self._waiting.setdefault(thread, dict(self._targets))
        if not waiting:
            return None
        step = self._final_step.get(thread, 0)
        self._final_step[thread] = step + 1
        if step == 0:
            return {**crash_op(), "final?": True}
        if step == 1:
            keys = sorted(self._targets, key=key_order)
            return {"f": ASSIGN, "value": keys, SEEK_TO_BEGINNING: True, "final?": True}
        now = self.clock()
        issued = max(now, self._poll_due.get(thread, now))
        spacing = int(self.rng.random() * FINAL_POLL_SPACING_S * SECOND)
        self._poll_due[thread] = issued + spacing
        return poll_op(**{"poll-ms": FINAL_POLL_MS, "final?": True})

    def final_delay(self, thread: int) -> float:
        """Crash, assign and the first poll go at once; each later poll waits until
        U[0, 0.4) s after the previous one was issued. A thread with nothing left
        to wait for ends at once, without that wait."""
        due = self._poll_due.get(thread)
        if due is None or not self._waiting.get(thread):
            return 0.0
        return max(0, due - self.clock()) / SECOND
