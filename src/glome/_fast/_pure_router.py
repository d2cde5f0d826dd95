"""The routing core of ``glome test``'s simulated network (pure twin of router.pyx).

``glome.bench.net`` owns the network's semantics and explains them (docs/maelstrom.md §4.2
-3.5); this class is the part every message passes through, kept apart so it
can be compiled: per-recipient queues ordered by deadline and served one
message at a time, partition checks at dequeue, the counters, the journal
lines, node output lines routed in bulk, deliveries to node pipes encoded and
batched, and the lateness histogram.

A message is the tuple ``(id, src, dest, body)``. Recipients are registered
with a ``deliver(message, due_ns)`` callback, or as *batching* (node pipes):
their deliveries are encoded into an outbox that ``drain`` empties; ``pending``
names the batching recipients with something to drain. ``after_release`` runs
after each held message is released and the run of messages due behind it
delivered: writing the pipes then, rather than once for everything due in a
tick, keeps node wake-ups spread out as their deadlines are.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from typing import Any

import orjson

MS = 1_000_000
LATENESS_BIN_NS = 10_000
LATENESS_BINS = 100_000  # 10 µs bins up to 1 s; later ones share the last bin
JOURNAL_BATCH_BYTES = 1 << 16  # hand the journal over in chunks of about 64 KiB


def release_time(deadline: int, taken: int) -> int:
    """When a message taken at ``taken`` is delivered: Maelstrom's receiver sleeps the
    time left to the deadline as whole milliseconds, rounded down, read just after
    taking it; so the wait is the whole milliseconds strictly below the time left,
    and a message arrives up to 1 ms before its deadline (docs/network.md)."""
    left = deadline - taken
    if left <= 0:
        return taken
    return taken + ((left + MS - 1) // MS - 1) * MS


class _Inbox:
    __slots__ = (
        "batching",
        "client",
        "deliver",
        "dues",
        "heap",
        "held_due",
        "held_message",
        "holding",
        "node_id",
        "open",
        "outbox",
        "release",
    )

    def __init__(self, node_id: str, deliver: Any, pull: bool, batching: bool) -> None:
        self.node_id = node_id
        self.deliver = deliver
        self.batching = batching
        self.client = node_id[:1] == "c"
        self.heap: list[Any] = []
        self.holding = False
        self.held_due = 0
        self.held_message: Any = None
        self.open = not pull
        self.outbox: list[bytes] = []
        self.dues: list[int] = []
        self.release: Any = None


class Router:
    """Queues, partitions, counters, journal lines and lateness of one test's network."""

    def __init__(
        self,
        call_at: Callable[[int, Callable[[], None]], Any],
        constant_latency_ns: int,
        draw_latency_ms: Callable[[], int] | None,
        journal_write: Callable[[bytes], None] | None,
        clock: Callable[[], int] | None = None,
        after_release: Callable[[], None] | None = None,
    ) -> None:
        self._call_at = call_at
        self._after_release = after_release
        self._constant_ns = constant_latency_ns
        self._draw_ms = draw_latency_ms
        self._journal_write = journal_write
        self._journal: list[bytes] = []
        self._journal_bytes = 0
        self._clock = clock or time.monotonic_ns
        self._inboxes: dict[str, _Inbox] = {}
        self._pending: list[str] = []
        #: receiver -> senders it drops
        self.partitions: dict[str, set[str]] = {}
        self.next_id = 0
        self.send_clients = 0
        self.send_servers = 0
        self.recv_clients = 0
        self.recv_servers = 0
        self._lateness = [0] * (LATENESS_BINS + 1)
        self.lateness_count = 0
        self.lateness_max_ns = 0

    # -- membership -------------------------------------------------------
    def add(self, node_id: str, deliver: Any, pull: bool, batching: bool) -> None:
        inbox = _Inbox(node_id, deliver, pull, batching)
        inbox.release = lambda: self._release(inbox)
        self._inboxes[node_id] = inbox

    def remove(self, node_id: str) -> None:
        self._inboxes.pop(node_id, None)

    def has(self, node_id: str) -> bool:
        return node_id in self._inboxes

    def set_open(self, node_id: str, is_open: bool) -> None:
        inbox = self._inboxes[node_id]
        inbox.open = is_open
        if is_open and not inbox.holding:
            self._take(inbox, self._clock())

    # -- traffic ----------------------------------------------------------
    def send(self, src: str, dest: str, body: Any, raw: bytes | None) -> int:
        """Route a message; its id, or -1 if src or dest is not registered (which uses up
        an id all the same, as in Maelstrom)."""
        inboxes = self._inboxes
        inbox = inboxes.get(dest)
        if inbox is None or src not in inboxes:
            self.next_id += 1  # Maelstrom numbers a message before it checks its ids
            return -1
        message_id = self.next_id
        self.next_id = message_id + 1
        message = (message_id, src, dest, body)
        now = self._clock()
        if src[:1] == "c" or inbox.client:
            deadline = now
            self.send_clients += 1
        else:
            if self._draw_ms is None:
                deadline = now + self._constant_ns
            else:
                deadline = now + self._draw_ms() * MS
            self.send_servers += 1
        if self._journal_write is not None:
            if raw is None:
                raw = orjson.dumps({"src": src, "dest": dest, "body": body})
            self._journal_add(b'[%d,"send",%d,%b]\n' % (now, message_id, raw))
        heapq.heappush(inbox.heap, (deadline, message_id, message))
        if not inbox.holding and inbox.open:
            self._take(inbox, now)
        return message_id

    def route_lines(self, lines: list[bytes], start: int) -> int:
        """Route node output lines from ``start`` on while they are plain
        well-formed envelopes to registered ids; the index of the first line
        that is not (for the caller to diagnose), or -1 when all were routed."""
        loads = orjson.loads
        for index in range(start, len(lines)):
            line = lines[index]
            try:
                parsed = loads(line)
            except orjson.JSONDecodeError:
                return index
            if type(parsed) is not dict or len(parsed) != 3:
                return index
            src = parsed.get("src")
            dest = parsed.get("dest")
            body = parsed.get("body")
            if type(src) is not str or type(dest) is not str or type(body) is not dict:
                return index
            if src not in self._inboxes or dest not in self._inboxes:
                return index  # the caller's diagnosis sends it, using up its id once
            self.send(src, dest, body, line)
        return -1

    def _take(self, inbox: _Inbox, taken: int) -> None:
        """Serve the head of ``inbox`` as Maelstrom's receiving thread, which takes it at
        ``taken`` (when idle: now; else when it delivered the previous message)."""
        heap = inbox.heap
        partitions = self.partitions
        while heap and inbox.open:
            deadline, _, message = heapq.heappop(heap)
            if partitions:
                dropped = partitions.get(inbox.node_id)
                if dropped is not None and message[1] in dropped:
                    continue
            due = release_time(deadline, taken)
            now = self._clock()
            if due > now:
                inbox.holding = True
                inbox.held_due = due
                inbox.held_message = message
                self._call_at(due, inbox.release)
                return
            self._deliver(inbox, message, due, now)
            taken = due

    def _release(self, inbox: _Inbox) -> None:
        if not inbox.holding:
            return
        inbox.holding = False
        message = inbox.held_message
        inbox.held_message = None
        if self._inboxes.get(inbox.node_id) is not inbox:
            return  # the recipient left the network while this was in flight
        due = inbox.held_due
        self._deliver(inbox, message, due, self._clock())
        self._take(inbox, due)
        if self._after_release is not None:
            self._after_release()

    def _deliver(self, inbox: _Inbox, message: tuple[Any, ...], due: int, now: int) -> None:
        if inbox.client or message[1][:1] == "c":
            self.recv_clients += 1
        else:
            self.recv_servers += 1
        if self._journal_write is not None:
            self._journal_add(b'[%d,"recv",%d]\n' % (now, message[0]))
        if inbox.batching:
            if not inbox.outbox:
                self._pending.append(inbox.node_id)
            inbox.outbox.append(
                orjson.dumps(
                    {"id": message[0], "src": message[1], "dest": message[2], "body": message[3]}
                )
                + b"\n"
            )
            inbox.dues.append(due)
        else:
            self.record_lateness(now - due)
        if inbox.deliver is not None:
            inbox.deliver(message, due)

    def pending(self) -> list[str]:
        """Batching recipients with deliveries to drain (each named once), and forget them."""
        names = self._pending
        self._pending = []
        return names

    def drain(self, node_id: str) -> tuple[bytes, list[int]]:
        """A batching recipient's encoded deliveries since the last drain, and their due times."""
        inbox = self._inboxes.get(node_id)
        if inbox is None or not inbox.outbox:
            return b"", []
        data = b"".join(inbox.outbox)
        dues = inbox.dues
        inbox.outbox = []
        inbox.dues = []
        return data, dues

    # -- journal and lateness ---------------------------------------------
    def _journal_add(self, line: bytes) -> None:
        self._journal.append(line)
        self._journal_bytes += len(line)
        if self._journal_bytes >= JOURNAL_BATCH_BYTES:
            self.flush_journal()

    def flush_journal(self) -> None:
        """Hand the journal lines gathered so far (each ending in a newline) to the writer."""
        if self._journal and self._journal_write is not None:
            pending = b"".join(self._journal)
            self._journal = []
            self._journal_bytes = 0
            self._journal_write(pending)

    def record_lateness(self, late_ns: int) -> None:
        if late_ns < 0:
            late_ns = 0
        index = late_ns // LATENESS_BIN_NS
        self._lateness[index if index < LATENESS_BINS else LATENESS_BINS] += 1
        self.lateness_count += 1
        if late_ns > self.lateness_max_ns:
            self.lateness_max_ns = late_ns

    def record_written(self, dues: list[int], now: int) -> None:
        for due in dues:
            self.record_lateness(now - due)

    def lateness_quantile_ns(self, q: float) -> int:
        """Upper edge of the 10 µs bin holding quantile ``q`` (capped at the maximum)."""
        if not self.lateness_count:
            return 0
        target = max(1, math.ceil(q * self.lateness_count))
        seen = 0
        for index, count in enumerate(self._lateness):
            seen += count
            if seen >= target:
                if index == LATENESS_BINS:
                    return self.lateness_max_ns
                return min((index + 1) * LATENESS_BIN_NS, self.lateness_max_ns)
        return self.lateness_max_ns
