"""Maelstrom's simulated network (spec 3.1-3.5), driven by the bench's event loop.

Every message gets a global id from 0 and a deadline: send time plus a latency
drawn from ``--latency``/``--latency-dist``, but only when neither end is a
client (an id starting with ``c``). Each recipient owns one queue ordered by
deadline and served serially, as Maelstrom's one receiving thread per id does:
an idle recipient takes the head at once, checks partitions *then*, and holds
it until its deadline before taking the next (head-of-line blocking). Sends and
deliveries are journaled and counted for the ``net`` checker; how late each
delivery actually happened against its deadline is measured, because a bench
that delivers late distorts what it measures.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from glome.bench.loop import Loop, monotonic_ns

#: (id, src, dest, body)
Message = tuple[int, str, str, Any]
Deliver = Callable[[Message, int], None]  # (message, due_ns)

MS = 1_000_000
CLIENTS, SERVERS = 0, 1


class NetError(Exception):
    """A send the network refuses (unknown src or dest), as Maelstrom's assertion."""


def is_client(node_id: str) -> bool:
    return node_id[:1] == "c"


class Latency:
    """Draws per-message latency in whole milliseconds, as Maelstrom's distributions do."""

    def __init__(self, mean_ms: int, dist: str, rng: random.Random) -> None:
        if dist != "constant" and mean_ms <= 0:
            raise ValueError(f"--latency-dist {dist} needs a positive --latency")
        self.mean_ms = mean_ms
        self.dist = dist
        self._rng = rng

    def draw_ms(self) -> int:
        if self.dist == "constant":
            return self.mean_ms
        if self.dist == "uniform":
            return self._rng.randrange(0, 2 * self.mean_ms)
        return int(self._rng.expovariate(1 / self.mean_ms))


class LatenessHistogram:
    """Delivery lateness in 10 µs bins; cheap enough per message.

    Lateness is actual delivery time minus the time the message was *due*: its
    deadline, or later when Maelstrom's serial receiver would still have been
    busy with an earlier message (head-of-line waiting is the simulated
    network's, not the bench's).
    """

    BIN_NS = 10_000
    BINS = 100_000  # up to 1 s; anything later lands in the last bin (max is exact)

    def __init__(self) -> None:
        self.counts = [0] * (self.BINS + 1)
        self.total = 0
        self.max_ns = 0

    def record(self, late_ns: int) -> None:
        if late_ns < 0:
            late_ns = 0
        index = late_ns // self.BIN_NS
        self.counts[index if index < self.BINS else self.BINS] += 1
        self.total += 1
        if late_ns > self.max_ns:
            self.max_ns = late_ns

    def quantile_ms(self, q: float) -> float:
        """Upper edge of the bin holding quantile ``q``, in ms."""
        if not self.total:
            return 0.0
        target = max(1, int(q * self.total + 0.999999))
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= target:
                if index == self.BINS:
                    return self.max_ns / MS
                return min((index + 1) * self.BIN_NS, self.max_ns) / MS
        return self.max_ns / MS

    def summary(self) -> dict[str, Any]:
        return {
            "deliveries": self.total,
            "p50-ms": round(self.quantile_ms(0.5), 3),
            "p99-ms": round(self.quantile_ms(0.99), 3),
            "max-ms": round(self.max_ns / MS, 3),
        }


class Journal:
    """Every send and delivery, streamed to ``net-journal.jsonl`` in small batches.

    Lines are JSON arrays: ``[time_ns, "send", id, {src, dest, body}]`` and
    ``[time_ns, "recv", id]``. A node's message is journaled as the very line
    it printed, spliced in without re-encoding, so journaling stays cheap;
    small batches keep each write short so routing never stalls behind it.
    """

    BATCH = 512

    def __init__(self, path: Path | None) -> None:
        self._file: IO[bytes] | None = open(path, "wb") if path else None  # noqa: SIM115
        self._pending: list[bytes] = []

    def send(self, now: int, message: Message, raw: bytes | None) -> None:
        if self._file is not None:
            if raw is None:
                _, src, dest, body = message
                raw = orjson.dumps({"src": src, "dest": dest, "body": body})
            self._pending.append(b'[%d,"send",%d,%b]' % (now, message[0], raw))
            if len(self._pending) >= self.BATCH:
                self.flush()

    def recv(self, now: int, message_id: int) -> None:
        if self._file is not None:
            self._pending.append(b'[%d,"recv",%d]' % (now, message_id))
            if len(self._pending) >= self.BATCH:
                self.flush()

    def flush(self) -> None:
        if self._file is not None and self._pending:
            self._pending.append(b"")
            self._file.write(b"\n".join(self._pending))
            self._pending = []

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None


class Inbox:
    """One recipient's queue, served one message at a time by deadline."""

    __slots__ = ("client", "deliver", "flush", "heap", "holding", "node_id", "open", "release")

    def __init__(
        self, node_id: str, deliver: Deliver, pull: bool, flush: Callable[[], None] | None
    ) -> None:
        self.node_id = node_id
        self.deliver = deliver
        self.client = is_client(node_id)
        self.heap: list[tuple[int, int, Message]] = []
        self.holding: tuple[int, Message] | None = None
        # Clients only take messages while waiting for a reply (pull); others always.
        self.open = not pull
        # Batching recipients (node pipes) write, and record lateness, on flush.
        self.flush = flush
        self.release: Callable[[], None] = lambda: None  # set by the network


class Network:
    """Registered ids, their inboxes, partitions and the net statistics."""

    def __init__(
        self,
        loop: Loop,
        latency: Latency,
        journal: Journal,
        log: Callable[[str], None] | None = None,
        log_send: bool = False,
        log_recv: bool = False,
    ) -> None:
        self.loop = loop
        self.latency = latency
        self._constant_ns = latency.mean_ms * MS if latency.dist == "constant" else None
        self.journal = journal
        self.inboxes: dict[str, Inbox] = {}
        #: receiver -> senders it drops (applied at dequeue)
        self.partitions: dict[str, set[str]] = {}
        self.next_id = 0
        self.send_counts = [0, 0]  # [clients, servers]
        self.recv_counts = [0, 0]
        self.lateness = LatenessHistogram()
        self._log = log
        self._log_send = log_send and log is not None
        self._log_recv = log_recv and log is not None

    # -- membership -------------------------------------------------------
    def register(
        self,
        node_id: str,
        deliver: Deliver,
        pull: bool = False,
        flush: Callable[[], None] | None = None,
    ) -> None:
        """Add a recipient. ``pull``: it takes messages only while open (clients).
        ``flush``: it batches deliveries and writes them when flushed (nodes)."""
        inbox = Inbox(node_id, deliver, pull, flush)
        inbox.release = lambda: self._release(inbox)
        self.inboxes[node_id] = inbox

    def unregister(self, node_id: str) -> None:
        self.inboxes.pop(node_id, None)

    def set_open(self, node_id: str, is_open: bool) -> None:
        """A pulling recipient (a client) starts or stops taking messages."""
        inbox = self.inboxes[node_id]
        inbox.open = is_open
        if is_open and inbox.holding is None:
            self._take(inbox, monotonic_ns())

    # -- partitions -------------------------------------------------------
    def drop(self, grudge: dict[str, list[str]]) -> None:
        """Add a grudge (receiver -> senders it will not hear); grudges accumulate."""
        for receiver, senders in grudge.items():
            self.partitions.setdefault(receiver, set()).update(senders)

    def heal(self) -> None:
        self.partitions.clear()

    # -- traffic ----------------------------------------------------------
    def send(self, src: str, dest: str, body: Any, raw: bytes | None = None) -> int:
        """Route one message; ``raw`` is the line a node printed it as, if it did."""
        inboxes = self.inboxes
        if src not in inboxes or dest not in inboxes:
            unknown = src if src not in inboxes else dest
            shown = orjson.dumps({"src": src, "dest": dest, "body": body}).decode()
            raise NetError(
                f"Invalid source/dest for message {shown}: "
                f"{unknown} is not a registered node or client"
            )
        message_id = self.next_id
        self.next_id = message_id + 1
        message = (message_id, src, dest, body)
        now = monotonic_ns()
        client = src[:1] == "c" or dest[:1] == "c"
        if client:
            deadline = now
        elif self._constant_ns is not None:
            deadline = now + self._constant_ns
        else:
            deadline = now + self.latency.draw_ms() * MS
        self.send_counts[CLIENTS if client else SERVERS] += 1
        self.journal.send(now, message, raw)
        if self._log_send:
            self._log(f":send {_show(message)}")  # type: ignore[misc]
        inbox = inboxes[dest]
        heapq.heappush(inbox.heap, (deadline, message_id, message))
        if inbox.holding is None and inbox.open:
            self._take(inbox, 0)
        return message_id

    def _take(self, inbox: Inbox, floor: int) -> None:
        """Serve ``inbox``: deliver what is due, hold the next message until its deadline.

        ``floor`` is when an ideal receiver would have become free to take the
        next message (0 when it was idle): a message is *due* at the later of
        its deadline and that floor, and lateness is measured against that.
        """
        heap = inbox.heap
        partitions = self.partitions
        while heap and inbox.open:
            deadline, _, message = heapq.heappop(heap)
            if partitions and message[1] in partitions.get(inbox.node_id, ()):
                continue  # dropped silently: no journal entry, no delivery
            due = deadline if deadline > floor else floor
            now = monotonic_ns()
            if deadline > now:
                inbox.holding = (due, message)
                self.loop.call_at(deadline, inbox.release)
                return
            self._deliver(inbox, message, due, now)
            floor = due

    def _release(self, inbox: Inbox) -> None:
        held = inbox.holding
        if held is None:
            return
        inbox.holding = None
        if self.inboxes.get(inbox.node_id) is not inbox:
            return  # the recipient left the network while this was in flight
        due, message = held
        self._deliver(inbox, message, due, monotonic_ns())
        self._take(inbox, due)
        if inbox.flush is not None:
            inbox.flush()  # one write for the whole run of messages that came due

    def _deliver(self, inbox: Inbox, message: Message, due: int, now: int) -> None:
        self.recv_counts[CLIENTS if (inbox.client or message[1][:1] == "c") else SERVERS] += 1
        self.journal.recv(now, message[0])
        if inbox.flush is None:
            self.lateness.record(now - due)
        if self._log_recv:
            self._log(f":recv {_show(message)}")  # type: ignore[misc]
        inbox.deliver(message, due)

    # -- statistics -------------------------------------------------------
    def stats(self) -> dict[str, dict[str, int]]:
        """``{"all"|"clients"|"servers": {send-count, recv-count, msg-count}}``.

        Every message is sent exactly once, so the number of distinct ids seen
        in a category equals its send count.
        """
        clients = _counts(self.send_counts[CLIENTS], self.recv_counts[CLIENTS])
        servers = _counts(self.send_counts[SERVERS], self.recv_counts[SERVERS])
        total = _counts(sum(self.send_counts), sum(self.recv_counts))
        return {"all": total, "clients": clients, "servers": servers}


def _counts(sent: int, received: int) -> dict[str, int]:
    return {"send-count": sent, "recv-count": received, "msg-count": sent}


def _show(message: Message) -> str:
    message_id, src, dest, body = message
    return orjson.dumps({"id": message_id, "src": src, "dest": dest, "body": body}).decode()


def encode(message: Message) -> bytes:
    """The line Maelstrom writes to a node's stdin: ``id, src, dest, body`` and a newline."""
    message_id, src, dest, body = message
    return orjson.dumps({"id": message_id, "src": src, "dest": dest, "body": body}) + b"\n"
