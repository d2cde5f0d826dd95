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

import argparse
import time
from typing import Any

from glome.errors import MalformedRequest
from glome.node import Message, Node

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
        self.peers = {peer: Peer(now) for peer in node_ids if peer != node_id}

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
        peer.last_heard = now
        peer.acknowledge(body["ack"], now)
        if "to" in body:
            self.apply(body["w"])
            if body["from"] <= peer.have:
                peer.have = max(peer.have, body["to"])
            peer.ack_owed = True

    def batches(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        """The messages of one replication tick (nothing for a quiet link)."""
        out = []
        for name, peer in self.peers.items():
            body: dict[str, Any] = {"type": "replicate", "ack": peer.have}
            stalled = peer.pending and now - peer.last_progress >= RETRANSMIT
            silent = now - peer.last_heard >= RETRANSMIT
            if stalled:
                start = peer.acked
                peer.last_progress = now
            elif self.writes > peer.sent and not silent:
                start = peer.sent
            elif peer.ack_owed:
                start = -1
            else:
                continue
            if start >= 0:
                body["from"], body["to"] = start, self.writes
                body["w"] = [[k, e[0], e[1]] for k, e in peer.pending.items() if e[2] > start]
                peer.sent = self.writes
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


def build(interval: float = DEFAULT_INTERVAL) -> Node:
    node = Node()
    state: dict[str, Store] = {}

    @node.on_init
    def start() -> None:
        state["store"] = Store(node.id, node.ids, time.monotonic())
        if len(node.ids) > 1:
            node.every(interval, replicate)

    def replicate() -> None:
        for dest, body in state["store"].batches(time.monotonic()):
            node.send(dest, body)

    @node.on("txn")
    def txn(msg: Message) -> dict[str, Any]:
        body = msg["body"].get("txn")
        if not _valid_txn(body):
            raise MalformedRequest(f"txn must be a list of [f, k, v] micro-ops, got {body!r}")
        return {"type": "txn_ok", "txn": state["store"].execute(body)}

    @node.on("replicate")
    def replicated(msg: Message) -> None:
        state["store"].receive(msg["src"], msg["body"], time.monotonic())

    return node


def main() -> int:
    parser = argparse.ArgumentParser(prog="glome-txn", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between batches"
    )
    args, _unknown = parser.parse_known_args()
    return build(args.interval).run()
