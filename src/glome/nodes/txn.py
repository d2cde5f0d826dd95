"""Challenges 6a-6c, txn-rw-register: a totally available, read-committed key/value store.

**Commit.** A node runs every transaction alone and at once on its own copy of
the store (the event loop runs one handler at a time), reading its own earlier
writes, and answers ``txn_ok`` without asking any other node: no transaction
ever waits, aborts or times out, partitioned or not. A transaction that
writes gets a timestamp ``(clock + 1) * n + index`` (a Lamport clock, made
unique by the node's index among the ``n`` nodes); the clock follows every
timestamp the node has seen, so a transaction's timestamp exceeds that of
every version it read. Only each key's final write is installed.

**Replication.** Each key holds the version with the highest timestamp (last
writer wins, the same everywhere, so replicas converge to one state). A node
sends only its own writes, to every peer, in batches every ``--interval``
seconds: a batch ``(from, to]`` carries, for every key written since write
number ``from``, the newest local write of it. A peer advances ``have`` (all
of our writes up to ``have`` received) when a batch starts at or below it, and
echoes ``have`` as ``ack`` in whatever it next sends us (an ack-only message
when it has nothing of its own). Acknowledged writes leave the pending set;
if the acknowledgement does not move for ``RETRANSMIT`` seconds, everything
pending is sent again from the last ack, and while a peer stays silent that
long (a partition) only these resends go out, so a cut link costs one
message per ``RETRANSMIT``, and a healed one catches up in one batch.

**Why read committed (Adya PL-2) holds.** The true version order of a key is
timestamp order. A ww edge T1 -> T2 means T2's version is newer: ts(T1) <
ts(T2). A wr edge T1 -> T2 means T2 read T1's version, so ts(T2) > ts(T1).
Every ww/wr path climbs in timestamp, so there is no G0 or G1c cycle. Nothing
aborts (no G1a), and no other transaction ever sees a non-final write (no
G1b). A batch is applied in one handler, so a transaction's writes appear
together at each replica (monotonic atomic view). Clients stay with one
node, and a node's timestamps only grow, so program order also climbs: no
G1c-process either (strong session read committed).

**Restarts and durability.** Replication messages carry the sender's
incarnation (``i``: the time of its init and a random tie-break). A peer that
hears a newer incarnation resets what it knows of that node and sends it every
version it wrote, as one batch from write 0, so a restarted node catches up
whatever it forgot. With the argument ``durable`` nothing a client was told is
lost to a kill: a transaction that writes is answered only once lin-kv holds the
node's replica state (``txn/<node id>``: versions, clock and write count; group
commit, one write in flight, a ``cas`` from the value last seen), only written
state is replicated (so write numbers are never reused), and a process reads
its state back at init before it answers anything.

**What it cannot promise across nodes.** Two nodes that cannot talk may
both read a key's version and both write it; total availability forces both
to commit, and one write is silently overwritten: a lost update, which
repeatable read, snapshot isolation and serializability all forbid. A
transaction on one node need not see one that completed on another moments
before (real-time order), so strong/strict variants fail too. On a single
node the store is strict serializable: transactions run one at a time, each
between its request and its reply.
"""

from __future__ import annotations

import random
import time
from typing import Any

from glome.errors import MalformedRequest, PreconditionFailed, Timeout
from glome.kv import KV, LIN_KV
from glome.node import Future, Message, Node
from glome.nodes import DURABLE, NodeArguments

#: seconds between replication batches
DEFAULT_INTERVAL = 0.25
#: seconds without ack progress before everything pending is sent again
RETRANSMIT = 1.0

Version = tuple[Any, int]  # value, timestamp


class Peer:
    """What this node knows about replicating to one other node."""

    __slots__ = ("ack_owed", "acked", "have", "last_heard", "last_progress", "pending", "sent")

    def __init__(self, now: float) -> None:
        self.pending: dict[Any, tuple[Any, int, int]] = {}  # key -> value, ts, write number
        self.sent = 0  # our writes up to here went out in a batch
        self.acked = 0  # the peer holds our writes up to here
        self.have = 0  # we hold the peer's writes up to here
        self.ack_owed = False
        self.last_heard = now
        self.last_progress = now  # the ack last moved, or a full resend went out

    def acknowledge(self, ack: int, now: float) -> None:
        if ack <= self.acked:
            return
        self.acked = ack
        self.last_progress = now
        self.pending = {k: e for k, e in self.pending.items() if e[2] > ack}


class Store:
    """The replica: versions, the Lamport clock, and the replication state per peer."""

    def __init__(self, node_id: str, node_ids: list[str], now: float) -> None:
        self.index = node_ids.index(node_id)
        self.n = len(node_ids)
        self.versions: dict[Any, Version] = {}
        self.clock = 0
        self.writes = 0  # how many of our transactions wrote something
        self.replicable = -1  # our writes up to here may be replicated (-1: all of them)
        self.peers = {peer: Peer(now) for peer in node_ids if peer != node_id}
        self.incarnation = [time.time_ns(), random.getrandbits(32)]
        self.incarnations: dict[str, list[int]] = {}  # the newest each peer spoke from

    def snapshot(self) -> dict[str, Any]:
        """What ``restore`` needs to rebuild this replica after a restart."""
        versions = [[k, v, ts] for k, (v, ts) in self.versions.items()]
        return {"versions": versions, "clock": self.clock, "writes": self.writes}

    def restore(self, state: dict[str, Any]) -> None:
        self.apply(state["versions"])
        self.clock = max(self.clock, state["clock"])
        self.writes = max(self.writes, state["writes"])

    def execute(self, txn: list[list[Any]]) -> list[list[Any]]:
        """Run ``txn`` alone: reads see the store and this txn's own earlier writes."""
        written: dict[Any, Any] = {}
        done = []
        for f, k, v in txn:
            if f == "r":
                v = written[k] if k in written else self.versions.get(k, (None, 0))[0]
            else:
                written[k] = v
            done.append([f, k, v])
        if written:
            self.clock += 1
            self.writes += 1
            ts = self.clock * self.n + self.index
            for k, v in written.items():
                self.versions[k] = (v, ts)
                for peer in self.peers.values():
                    peer.pending[k] = (v, ts, self.writes)
        return done

    def apply(self, writes: list[list[Any]]) -> None:
        """Install a peer's versions, newest timestamp winning, in one step."""
        for k, v, ts in writes:
            current = self.versions.get(k)
            if current is None or current[1] < ts:
                self.versions[k] = (v, ts)
            self.clock = max(self.clock, ts // self.n)

    def receive(self, src: str, body: dict[str, Any], now: float) -> None:
        peer = self.peers.get(src)
        if peer is None:
            raise MalformedRequest(f"{src} is not a peer")
        incarnation = body.get("i")
        if isinstance(incarnation, list):
            known = self.incarnations.get(src)
            if known is not None and incarnation < known:
                self.apply(body.get("w", []))  # a late message of the peer's predecessor
                return
            if known is not None and incarnation > known:
                self._restarted(src, now)
            self.incarnations[src] = incarnation
        peer.last_heard = now
        peer.acknowledge(body["ack"], now)
        if "to" in body:
            self.apply(body["w"])
            if body["from"] <= peer.have:
                peer.have = max(peer.have, body["to"])
            peer.ack_owed = True

    def _restarted(self, src: str, now: float) -> None:
        """``src`` came back as a new process: send it every version we wrote, from 0."""
        peer = self.peers[src] = Peer(now)
        peer.pending = {
            k: (v, ts, self.writes)
            for k, (v, ts) in self.versions.items()
            if ts % self.n == self.index
        }

    def batches(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        """The messages of one replication tick (nothing for a quiet link)."""
        writes = self.writes if self.replicable < 0 else self.replicable
        out = []
        for name, peer in self.peers.items():
            body: dict[str, Any] = {"type": "replicate", "ack": peer.have, "i": self.incarnation}
            stalled = peer.pending and now - peer.last_progress >= RETRANSMIT
            silent = now - peer.last_heard >= RETRANSMIT
            if stalled:
                start = peer.acked
                peer.last_progress = now
            elif writes > peer.sent and not silent:
                start = peer.sent
            elif peer.ack_owed:
                start = -1
            else:
                continue
            if start >= 0:
                body["from"], body["to"] = start, writes
                body["w"] = [
                    [k, e[0], e[1]] for k, e in peer.pending.items() if start < e[2] <= writes
                ]
                peer.sent = writes
            peer.ack_owed = False
            out.append((name, body))
        return out


def _valid_txn(txn: Any) -> bool:
    return isinstance(txn, list) and all(
        isinstance(mop, list)
        and len(mop) == 3
        and mop[0] in ("r", "w")
        and isinstance(mop[1], int | str)
        for mop in txn
    )


class Ledger:
    """durable mode: the replica's state in lin-kv before a writing transaction is answered."""

    def __init__(self, node: Node, store: Store) -> None:
        self.node = node
        self.store = store
        self.kv = KV(node, LIN_KV)
        self.key = f"txn/{node.id}"
        self.stored: Any = None  # the key's value as last seen (None: absent)
        self.recovered = Future()
        self.waiting: list[tuple[int, Message, dict[str, Any]]] = []
        self.writing = False
        store.replicable = 0

    async def recover(self) -> None:
        """Read the state back: a restarted node goes on from its predecessor's."""
        self._adopt(await self.kv.read_until_answered(self.key))
        self.recovered.set_result(None)
        self._write()

    def _adopt(self, stored: Any) -> None:
        self.stored = stored
        if isinstance(stored, dict):
            self.store.restore(stored)
            self._made_durable(stored["writes"])

    def commit(self, writes: int, msg: Message, reply: dict[str, Any]) -> None:
        """Answer ``msg`` once the state holds our write number ``writes``."""
        self.waiting.append((writes, msg, reply))
        self._write()

    def _made_durable(self, writes: int) -> None:
        self.store.replicable = max(self.store.replicable, writes)
        still = []
        for number, msg, reply in self.waiting:
            if number <= self.store.replicable:
                self.node.reply(msg, reply)
            else:
                still.append((number, msg, reply))
        self.waiting = still

    def _write(self) -> None:
        if self.recovered.done() and not self.writing and self.waiting:
            self.writing = True
            self.node.spawn(self._persist())

    async def _persist(self) -> None:
        snapshot = self.store.snapshot()
        try:
            await self.kv.cas(self.key, self.stored, snapshot, create_if_not_exists=True)
            self.stored = snapshot
            self._made_durable(snapshot["writes"])
        except PreconditionFailed:
            self._adopt(
                await self.kv.read_until_answered(self.key)
            )  # a timed-out write of ours landed after all
        except Timeout:
            pass  # unknown outcome: the next cas, from the value last seen, settles it
        finally:
            self.writing = False
            self._write()


def build(interval: float = DEFAULT_INTERVAL, durable: bool = False) -> Node:
    node = Node()
    state: dict[str, Store] = {}
    ledgers: dict[str, Ledger] = {}

    @node.on_init
    def start() -> None:
        assert node.id is not None  # on_init hooks run once the node id is set
        store = state["store"] = Store(node.id, node.ids, time.monotonic())
        if durable:
            ledger = ledgers["ledger"] = Ledger(node, store)
            node.after(0, ledger.recover)  # right after init_ok: init answers first
        if len(node.ids) > 1:
            node.every(interval, replicate)

    def replicate() -> None:
        for dest, body in state["store"].batches(time.monotonic()):
            node.send(dest, body)

    def transaction(msg: Message) -> list[list[Any]]:
        body = msg["body"].get("txn")
        if not _valid_txn(body):
            raise MalformedRequest(f"txn must be a list of [f, k, v] micro-ops, got {body!r}")
        return state["store"].execute(body)

    @node.on("txn")
    def txn(msg: Message) -> dict[str, Any]:
        return {"type": "txn_ok", "txn": transaction(msg)}

    if durable:  # the same, answered once durable (a coroutine: kept off the fast path)

        @node.on("txn")
        async def durable_txn(msg: Message) -> dict[str, Any] | None:
            ledger = ledgers["ledger"]
            await ledger.recovered  # nothing is answered before the state is back
            before = state["store"].writes
            reply = {"type": "txn_ok", "txn": transaction(msg)}
            if state["store"].writes == before:
                return reply  # read-only: nothing to make durable
            ledger.commit(state["store"].writes, msg, reply)
            return None

    @node.on("replicate")
    def replicated(msg: Message) -> None:
        state["store"].receive(msg["src"], msg["body"], time.monotonic())

    return node


def main(argv: list[str] | None = None) -> int:
    parser = NodeArguments(prog="glome-txn", description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode",
        nargs="?",
        choices=[DURABLE],
        help="durable: answer a transaction that writes only once lin-kv holds it",
    )
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between batches"
    )
    args = parser.parse_args(argv)
    return build(args.interval, durable=args.mode == DURABLE).run()
