"""Maelstrom's simulated network (docs/maelstrom.md §4.1-4.5), driven by the bench's event loop.

Every message gets a global id from 0 and a deadline: send time plus a latency
drawn from ``--latency``/``--latency-dist``, but only when neither end is a
client (an id starting with ``c``). Each recipient owns one queue ordered by
deadline and served serially, as Maelstrom's one receiving thread per id does:
an idle recipient takes the head at once, checks partitions *then*, and holds
it for the whole milliseconds left to its deadline, rounded down, before taking
the next (head-of-line blocking; docs/network.md). Sends and
deliveries are journaled and counted for the ``net`` checker; how late each
delivery actually happened against its deadline is measured, because a bench
that delivers late distorts what it measures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from glome._fast import load
from glome.bench.loop import Loop

if TYPE_CHECKING:
    from glome._fast import router as _core
else:
    _core = load("router")

#: (id, src, dest, body)
Message = tuple[int, str, str, Any]
Deliver = Callable[[Message, int], None]  # (message, due_ns)

MS = 1_000_000


class NetError(Exception):
    """A send the network refuses (unknown src or dest), as Maelstrom's assertion."""


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


#: The journal's file name in a test's store folder.
JOURNAL_FILE = "net-journal.jsonl"


class Journal:
    """Every send and delivery, streamed to ``net-journal.jsonl``.

    Lines are JSON arrays: ``[time_ns, "send", id, {src, dest, body}]`` and
    ``[time_ns, "recv", id]``. A node's message is journaled as the very line
    it printed, spliced in without re-encoding; the router hands lines over in
    small batches so that no single write stalls routing.
    """

    def __init__(self, path: Path | None) -> None:
        self._file: IO[bytes] | None = open(path, "wb") if path else None  # noqa: SIM115

    @property
    def enabled(self) -> bool:
        return self._file is not None

    def write_lines(self, lines: bytes) -> None:
        if self._file is not None:
            self._file.write(lines)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Network:
    """Registered ids, their queues, partitions, the net statistics and lateness.

    The per-message work happens in the compiled router (``glome._fast.router``);
    this class gives it Maelstrom's vocabulary and errors.
    """

    def __init__(
        self,
        loop: Loop,
        latency: Latency,
        journal: Journal,
        log: Callable[[str], None] | None = None,
        log_send: bool = False,
        log_recv: bool = False,
        clock: Callable[[], int] | None = None,
        after_release: Callable[[], None] | None = None,
        forgive_late_replies: bool = False,
    ) -> None:
        """``after_release`` runs after each run of deliveries that a deadline set off
        (the bench writes node pipes then, see the router). ``forgive_late_replies``:
        a message to a client that has left is dropped and counted, not refused (under
        pause faults, docs/faults.md)."""
        self.loop = loop
        self.latency = latency
        self.journal = journal
        constant = latency.dist == "constant"
        self.router = _core.Router(
            loop.call_at,
            latency.mean_ms * MS if constant else 0,
            None if constant else latency.draw_ms,
            journal.write_lines if journal.enabled else None,
            clock,
            after_release,
        )
        self._log = log
        self.forgive_late_replies = forgive_late_replies
        self._departed: set[str] = set()  # clients that left the network
        #: messages to departed clients dropped instead of refused
        self.late_replies_dropped = 0
        #: when sends are logged, node output takes the per-message path
        self.log_send = log_send and log is not None
        self._log_recv = log_recv and log is not None

    @property
    def partitions(self) -> dict[str, set[str]]:
        return self.router.partitions

    @property
    def next_id(self) -> int:
        return self.router.next_id

    # -- membership -------------------------------------------------------
    def register(
        self,
        node_id: str,
        deliver: Deliver | None,
        pull: bool = False,
        batching: bool = False,
    ) -> None:
        """Add a recipient. ``pull``: it takes messages only while open (clients).
        ``batching``: its deliveries are encoded and kept for ``drain`` (node
        pipes, written once per loop tick); ``deliver`` may then be None."""
        if self._log_recv:
            deliver = self._logging(deliver)
        self.router.add(node_id, deliver, pull, batching)

    def _logging(self, deliver: Deliver | None) -> Deliver:
        log = self._log
        assert log is not None

        def logged(message: Message, due: int) -> None:
            log(f":recv {_show(message)}")
            if deliver is not None:
                deliver(message, due)

        return logged

    def unregister(self, node_id: str) -> None:
        self.router.remove(node_id)
        if node_id[:1] == "c":
            self._departed.add(node_id)

    def has(self, node_id: str) -> bool:
        return self.router.has(node_id)

    def set_open(self, node_id: str, is_open: bool) -> None:
        """A pulling recipient (a client) starts or stops taking messages."""
        self.router.set_open(node_id, is_open)

    # -- partitions -------------------------------------------------------
    def drop(self, grudge: dict[str, list[str]]) -> None:
        """Add a grudge (receiver -> senders it will not hear); grudges accumulate."""
        for receiver, senders in grudge.items():
            self.router.partitions.setdefault(receiver, set()).update(senders)

    def heal(self) -> None:
        self.router.partitions.clear()

    # -- traffic ----------------------------------------------------------
    def send(self, src: str, dest: str, body: Any, raw: bytes | None = None) -> int:
        """Route one message; ``raw`` is the line a node printed it as, if it did. Its id,
        or -1 for a late reply dropped (``forgive_late_replies``)."""
        if self.log_send and self.router.has(src) and self.router.has(dest):
            # logged before routing: a message without latency is delivered within send
            shown = _show((self.router.next_id, src, dest, body))
            self._log(f":send {shown}")  # type: ignore[misc]
        message_id = self.router.send(src, dest, body, raw)
        if message_id < 0:
            if self.forgive_late_replies and dest in self._departed and self.router.has(src):
                self.late_replies_dropped += 1
                return -1
            unknown = dest if self.router.has(src) else src
            shown = orjson.dumps({"src": src, "dest": dest, "body": body}).decode()
            raise NetError(
                f"Invalid source/dest for message {shown}: "
                f"{unknown} is not a registered node or client"
            )
        return message_id

    def route_lines(self, lines: list[bytes], start: int) -> int:
        """Route a node's output lines in bulk (see the router); first unrouted index or -1."""
        return self.router.route_lines(lines, start)

    def pending(self) -> list[str]:
        """Batching recipients with deliveries waiting to be drained."""
        return self.router.pending()

    def drain(self, node_id: str) -> tuple[bytes, list[int]]:
        """A batching recipient's encoded deliveries and when each was due."""
        return self.router.drain(node_id)

    def flush_journal(self) -> None:
        self.router.flush_journal()

    # -- statistics -------------------------------------------------------
    def stats(self) -> dict[str, dict[str, int]]:
        """``{"all"|"clients"|"servers": {send-count, recv-count, msg-count}}``.

        Every message is sent exactly once, so the number of distinct ids seen
        in a category equals its send count.
        """
        router = self.router
        clients = _counts(router.send_clients, router.recv_clients)
        servers = _counts(router.send_servers, router.recv_servers)
        total = _counts(
            router.send_clients + router.send_servers, router.recv_clients + router.recv_servers
        )
        return {"all": total, "clients": clients, "servers": servers}

    def lateness(self) -> dict[str, Any]:
        """How late deliveries were against when they were due, in ms.

        A message is due at its deadline, or later when Maelstrom's serial
        receiver would still have been busy with an earlier message
        (head-of-line waiting is the simulated network's, not the bench's).
        """
        router = self.router
        return {
            "deliveries": router.lateness_count,
            "p50-ms": round(router.lateness_quantile_ns(0.5) / MS, 3),
            "p99-ms": round(router.lateness_quantile_ns(0.99) / MS, 3),
            "max-ms": round(router.lateness_max_ns / MS, 3),
        }


def _counts(sent: int, received: int) -> dict[str, int]:
    return {"send-count": sent, "recv-count": received, "msg-count": sent}


def _show(message: Message) -> str:
    message_id, src, dest, body = message
    return orjson.dumps({"id": message_id, "src": src, "dest": dest, "body": body}).decode()
