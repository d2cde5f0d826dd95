"""Challenges 5a-5c, kafka: a replicated append-only log per key.

Fast mode (the default) answers every client request from local state, so
no request waits on the network, and spends server messages only on one
batched gossip stream between each pair of nodes.

**Offsets.** Offsets may be sparse (docs/maelstrom.md §7.6), so node i of n allocates from
its own residue class: i, i + n, i + 2n, ... One counter serves all keys, so
a node's *frontier* F (the next offset it will allocate) bounds every future
send it acknowledges, whatever the key. A node never allocates below an
offset it has seen from a peer (it moves its counter past every entry it
learns of), so offsets of one key grow with the order nodes hear of each
other's sends.

**Gossip.** Each node keeps its own entries in allocation order and sends a
peer, whenever there is news, the suffix that peer has not acknowledged
together with its frontier and its acknowledgement of the peer's entries.
A frontier is adopted only from a message whose entries start at or before
what the receiver already holds, so the receiver then holds every entry of
that peer below the frontier. Messages lost to partitions are resent until
acknowledged; duplicates and reordering are harmless.

**Polls see only the stable prefix.** Offsets below B = min over all nodes
of their frontier (as known here) can gain no new entry anywhere, and this
node holds every entry below B. A poll returns, per key, every entry from
the requested offset up to B. Polls therefore never skip an offset that
later fills in, never go back, and never return a message twice; a poll may
lag by a gossip round trip, which the checker allows (it measures it as
realtime lag). During a partition sends and polls stay available; polls
just stop advancing until the partition heals.

**Committed offsets** only steer where a consumer resumes after an assign;
an older value only makes it re-read, so they are kept per node, merged by
maximum, and gossiped best-effort.

The mode is the first positional argument or ``GLOME_KAFKA_MODE``; ``kv``
keeps the log in lin-kv (see ``KvLog``), and is durable by design: everything
a client was told is in lin-kv, which survives ``--nemesis kill``, and a
restarted node reads each key's log back before it answers for it. The word
``durable`` chooses it (``fast durable`` is refused: fast mode keeps its log in
memory).
"""

from __future__ import annotations

import os
import zlib
from bisect import bisect_left, insort
from typing import Any

from glome.errors import PreconditionFailed, RPCError, Timeout
from glome.kv import KV as KVStore
from glome.kv import LIN_KV
from glome.node import Future, Message, Node, field
from glome.nodes import NodeArguments

FAST = "fast"
KV = "kv"
MODES = (FAST, KV)
DURABLE = "durable"
GOSSIP_INTERVAL_S = 0.05
COMMIT_FLUSH_S = 0.5
APPEND_ATTEMPTS = 5
#: seconds a forwarded request may take: well inside the client's 5 s timeout, so
#: the error reply reaches a client that still exists (a message to a closed
#: client stops Maelstrom from reading this node at all)
FORWARD_TIMEOUT_S = 1.0


class KeyLog:
    """One key's entries: offsets kept sorted, messages by offset."""

    __slots__ = ("messages", "offsets")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.messages: dict[int, Any] = {}

    def add(self, offset: int, message: Any) -> None:
        if offset in self.messages:
            return
        self.messages[offset] = message
        if not self.offsets or offset > self.offsets[-1]:
            self.offsets.append(offset)
        else:
            insort(self.offsets, offset)

    def read(self, start: int, bound: int) -> list[list[Any]]:
        """Entries with start <= offset < bound, in offset order."""
        offsets = self.offsets
        first = bisect_left(offsets, start)
        last = bisect_left(offsets, bound, first)
        return [[offset, self.messages[offset]] for offset in offsets[first:last]]


class Peer:
    """What this node knows about one peer and what it owes it."""

    __slots__ = ("acked", "commits", "frontier", "heard", "owes_ack", "sent_frontier")

    def __init__(self) -> None:
        self.frontier = 0  # the peer allocates nothing below this any more
        self.heard = 0  # how many of the peer's own entries this node holds
        self.acked = 0  # how many of this node's own entries the peer holds
        self.sent_frontier = -1
        self.owes_ack = True
        self.commits: dict[str, int] = {}  # commits not yet sent to this peer


class FastLog:
    """The fast mode state machine, driven by the handlers in ``build``."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.logs: dict[str, KeyLog] = {}
        self.own: list[list[Any]] = []  # [offset, key, message] in allocation order
        self.commits: dict[str, int] = {}
        self.peers: dict[str, Peer] = {}
        self.stride = 1
        self.next_offset = 0

    def start(self) -> None:
        assert self.node.id is not None  # an on_init hook: the node id is set
        ids = self.node.ids
        self.stride = len(ids)
        self.next_offset = ids.index(self.node.id)
        self.peers = {peer: Peer() for peer in ids if peer != self.node.id}
        if self.peers:
            self.node.every(GOSSIP_INTERVAL_S, self.gossip)

    def _log(self, key: str) -> KeyLog:
        log = self.logs.get(key)
        if log is None:
            log = self.logs[key] = KeyLog()
        return log

    def _move_past(self, offset: int) -> None:
        """Never allocate at or below an offset seen elsewhere."""
        if offset >= self.next_offset:
            steps = (offset - self.next_offset) // self.stride + 1
            self.next_offset += steps * self.stride

    def stable_bound(self) -> int:
        bound = self.next_offset
        for peer in self.peers.values():
            bound = min(bound, peer.frontier)
        return bound

    # -- client requests -------------------------------------------------------
    def send(self, key: str, message: Any) -> int:
        offset = self.next_offset
        self.next_offset += self.stride
        self.own.append([offset, key, message])
        self._log(key).add(offset, message)
        return offset

    def poll(self, offsets: dict[str, int]) -> dict[str, list[list[Any]]]:
        bound = self.stable_bound()
        found = {}
        for key, start in offsets.items():
            log = self.logs.get(key)
            if log is not None:
                entries = log.read(start, bound)
                if entries:
                    found[key] = entries
        return found

    def commit(self, offsets: dict[str, int]) -> None:
        for key, offset in offsets.items():
            if offset > self.commits.get(key, -1):
                self.commits[key] = offset
                for peer in self.peers.values():
                    peer.commits[key] = offset

    def committed(self, keys: list[str]) -> dict[str, int]:
        return {key: self.commits[key] for key in keys if key in self.commits}

    # -- gossip ----------------------------------------------------------------
    def gossip(self) -> None:
        for name, peer in self.peers.items():
            news = len(self.own) > peer.acked or peer.owes_ack or peer.commits
            if not news and peer.sent_frontier == self.next_offset:
                continue
            body = {
                "type": "gossip",
                "from": peer.acked,
                "entries": self.own[peer.acked :],
                "frontier": self.next_offset,
                "ack": peer.heard,
            }
            if peer.commits:
                body["commits"] = peer.commits
                peer.commits = {}
            peer.sent_frontier = self.next_offset
            peer.owes_ack = False
            self.node.send(name, body)

    def receive(self, sender: str, body: dict[str, Any]) -> None:
        peer = self.peers[sender]
        peer.acked = max(peer.acked, body["ack"])
        entries = body["entries"]
        start = body["from"]
        if entries:
            peer.owes_ack = True
        if start <= peer.heard:
            for offset, key, message in entries[peer.heard - start :]:
                self._log(key).add(offset, message)
                self._move_past(offset)
            peer.heard = max(peer.heard, start + len(entries))
            peer.frontier = max(peer.frontier, body["frontier"])
        for key, offset in body.get("commits", {}).items():
            if offset > self.commits.get(key, -1):
                self.commits[key] = offset


class KeyWriter:
    """The owner's view of one key in kv mode: the log lin-kv holds, and sends waiting."""

    __slots__ = ("loaded", "log", "waiting", "writing")

    def __init__(self) -> None:
        self.log: list[list[Any]] = []  # exactly the value of log/<key> in lin-kv, once loaded
        self.loaded = False  # whether this process has read or written the key yet
        self.waiting: list[tuple[Any, Future]] = []
        self.writing = False


class KvLog:
    """kv mode: each key's log is one lin-kv value written only by the key's owner.

    The owner (fixed by a hash of the key) is the single writer of
    ``log/<key>``, so its offsets are dense and its cas never races another
    node; sends that arrive while a write is in flight join the next one
    (group commit), so a key costs one cas per batch, not per send. A cas that
    timed out may still land later: the owner then reads the key back, and a
    value equal to the attempted one means the batch is in; anything else is
    the new base for a retry of the same batch, which builds the same value
    again, so a late first attempt and its retry never both append.
    Other nodes forward sends and polls of a key to its owner, whose copy is
    exactly what lin-kv holds: a process reads a key back before it first
    answers a poll of it (a restarted owner starts with no copy). Committed
    offsets only steer where a consumer resumes after an assign, so each node
    merges them by maximum and writes the changed ones to ``commit/<key>``
    every ``COMMIT_FLUSH_S``.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self.store = KVStore(node, LIN_KV)
        self.keys: dict[str, KeyWriter] = {}
        self.commits: dict[str, int] = {}
        self.dirty: set[str] = set()

    def start(self) -> None:
        self.node.every(COMMIT_FLUSH_S, self.flush_commits)

    def owner(self, key: str) -> str:
        ids = self.node.ids
        return ids[zlib.crc32(key.encode()) % len(ids)]

    def _writer(self, key: str) -> KeyWriter:
        writer = self.keys.get(key)
        if writer is None:
            writer = self.keys[key] = KeyWriter()
        return writer

    # -- sends -------------------------------------------------------------------
    async def send(self, key: str, message: Any) -> int:
        owner = self.owner(key)
        if owner != self.node.id:
            request = {"type": "owner_send", "key": key, "msg": message}
            reply = await self.node.rpc(owner, request, timeout=FORWARD_TIMEOUT_S)
            return reply["offset"]
        writer = self._writer(key)
        done = Future()
        writer.waiting.append((message, done))
        if not writer.writing:
            self.node.spawn(self._write(key, writer))
        return await done

    async def _write(self, key: str, writer: KeyWriter) -> None:
        writer.writing = True
        try:
            while writer.waiting:
                batch, writer.waiting = writer.waiting, []
                offsets = await self._append(key, writer, [message for message, _ in batch])
                for (_, done), offset in zip(batch, offsets, strict=True):
                    done.set_result(offset)
        except Exception as error:  # the batch's outcome is unknown: its sends end info
            for _, done in batch:
                done.set_exception(error)
        finally:
            writer.writing = False
        if writer.waiting:
            self.node.spawn(self._write(key, writer))

    async def _append(self, key: str, writer: KeyWriter, messages: list[Any]) -> list[int]:
        name = f"log/{key}"
        for _ in range(APPEND_ATTEMPTS):
            base = writer.log
            wanted = base + [[len(base) + index, message] for index, message in enumerate(messages)]
            try:
                await self.store.cas(name, base, wanted, create_if_not_exists=not base)
            except (PreconditionFailed, Timeout):
                writer.log = await self.store.read(name, default=[])
                if writer.log != wanted:
                    continue
            writer.log, writer.loaded = wanted, True
            return [offset for offset, _ in wanted[len(base) :]]
        raise Timeout(f"could not append to {name}")

    # -- polls -------------------------------------------------------------------
    async def local_poll(self, offsets: dict[str, int]) -> dict[str, list[list[Any]]]:
        found = {}
        for key, start in offsets.items():
            log = await self._log_of(key)
            if len(log) > max(start, 0):
                found[key] = log[max(start, 0) :]
        return found

    async def _log_of(self, key: str) -> list[list[Any]]:
        """The owner's copy of a key's log, read from lin-kv the first time."""
        writer = self._writer(key)
        if writer.loaded:
            return writer.log
        log = await self.store.read(f"log/{key}", default=[])
        if not writer.loaded and not writer.writing:  # a write in flight sets it itself
            writer.log, writer.loaded = log, True
        return log

    async def poll(self, offsets: dict[str, int]) -> dict[str, list[list[Any]]]:
        by_owner: dict[str, dict[str, int]] = {}
        for key, start in offsets.items():
            by_owner.setdefault(self.owner(key), {})[key] = start
        found = await self.local_poll(by_owner.pop(str(self.node.id), {}))
        asks = [
            self.node.rpc(owner, {"type": "owner_poll", "offsets": wanted}, FORWARD_TIMEOUT_S)
            for owner, wanted in by_owner.items()
        ]
        for reply in await self.node.gather(*asks):
            found.update(reply["msgs"])
        return found

    # -- committed offsets ----------------------------------------------------------
    def commit(self, offsets: dict[str, int]) -> None:
        for key, offset in offsets.items():
            if offset > self.commits.get(key, -1):
                self.commits[key] = offset
                self.dirty.add(key)

    async def flush_commits(self) -> None:
        dirty, self.dirty = self.dirty, set()
        writes = [
            self.node.spawn(self.store.write(f"commit/{key}", self.commits[key])) for key in dirty
        ]
        try:
            await self.node.gather(*writes)
        except RPCError:
            self.dirty |= dirty

    async def committed(self, keys: list[str]) -> dict[str, int]:
        stored = await self.node.gather(
            *(self.node.spawn(self.store.read(f"commit/{key}", default=-1)) for key in keys)
        )
        merged = {
            key: max(value, self.commits.get(key, -1))
            for key, value in zip(keys, stored, strict=True)
        }
        return {key: offset for key, offset in merged.items() if offset >= 0}


def build_kv() -> Node:
    node = Node()
    log = KvLog(node)
    node.on_init(log.start)

    @node.on("send")
    async def send(msg: Message) -> dict[str, Any]:
        offset = await log.send(field(msg, "key", str), field(msg, "msg"))
        return {"type": "send_ok", "offset": offset}

    @node.on("owner_send")
    async def owner_send(msg: Message) -> dict[str, Any]:
        offset = await log.send(field(msg, "key", str), field(msg, "msg"))
        return {"type": "owner_send_ok", "offset": offset}

    @node.on("poll")
    async def poll(msg: Message) -> dict[str, Any]:
        return {"type": "poll_ok", "msgs": await log.poll(field(msg, "offsets", dict))}

    @node.on("owner_poll")
    async def owner_poll(msg: Message) -> dict[str, Any]:
        msgs = await log.local_poll(field(msg, "offsets", dict))
        return {"type": "owner_poll_ok", "msgs": msgs}

    @node.on("commit_offsets")
    def commit_offsets(msg: Message) -> dict[str, Any]:
        log.commit(field(msg, "offsets", dict))
        return {"type": "commit_offsets_ok"}

    @node.on("list_committed_offsets")
    async def list_committed_offsets(msg: Message) -> dict[str, Any]:
        offsets = await log.committed(field(msg, "keys", list))
        return {"type": "list_committed_offsets_ok", "offsets": offsets}

    return node


def build(mode: str = FAST) -> Node:
    if mode == KV:
        return build_kv()
    if mode != FAST:
        raise ValueError(f"unknown kafka mode {mode!r} (modes: {', '.join(MODES)})")
    node = Node()
    log = FastLog(node)
    node.on_init(log.start)

    @node.on("send")
    def send(msg: Message) -> dict[str, Any]:
        return {"type": "send_ok", "offset": log.send(field(msg, "key", str), field(msg, "msg"))}

    @node.on("poll")
    def poll(msg: Message) -> dict[str, Any]:
        return {"type": "poll_ok", "msgs": log.poll(field(msg, "offsets", dict))}

    @node.on("commit_offsets")
    def commit_offsets(msg: Message) -> dict[str, Any]:
        log.commit(field(msg, "offsets", dict))
        return {"type": "commit_offsets_ok"}

    @node.on("list_committed_offsets")
    def list_committed_offsets(msg: Message) -> dict[str, Any]:
        return {
            "type": "list_committed_offsets_ok",
            "offsets": log.committed(field(msg, "keys", list)),
        }

    @node.on("gossip")
    def gossip(msg: Message) -> None:
        log.receive(msg["src"], msg["body"])

    return node


def main(argv: list[str] | None = None) -> int:
    parser = NodeArguments(prog="glome-kafka", description=__doc__.splitlines()[0])
    parser.add_argument(
        "words",
        nargs="*",
        metavar="fast|kv|durable",
        help="the mode (default fast, or GLOME_KAFKA_MODE); durable chooses kv, which is "
        "durable by design: every log is in lin-kv",
    )
    words = parser.parse_args(argv).words
    durable = DURABLE in words
    modes = [word for word in words if word != DURABLE]
    if len(modes) > 1:
        parser.error(f"one mode at most, not {modes}")
    mode = modes[0] if modes else KV if durable else os.environ.get("GLOME_KAFKA_MODE", FAST)
    if durable and mode != KV:
        parser.error(f"durable needs kv mode: {mode} mode keeps its log in memory")
    try:
        node = build(mode)
    except ValueError as error:
        parser.error(str(error))
    return node.run()
