"""Challenge 4, g-counter: a grow-only counter on seq-kv that survives partitions.

The counter is a G-counter CRDT: a vector of per-node counts, each written only
by its owner and merged everywhere by taking the maximum entry by entry. The
value is the sum of the vector. Two mechanisms feed it, each with one job.

**The ledger (seq-kv, durability).** A node owns the seq-kv key
``g-counter/<node id>`` and nobody else writes it, so there is no contention
and no read-modify-write loop. Adds are batched locally and the whole count is
written, one write in flight at a time, in one of two ways:

* write-behind (the default): an add is answered at once and counted in this
  node's reads at once; the count is written at most every
  ``WRITE_BEHIND_INTERVAL``, and not at all while it is unchanged. At the
  challenge's flags this costs about 0.2 server messages per operation, and
  service latency does not slow adds down. An answered add that is not yet
  written would be lost if the node process died (``--nemesis kill``);
* durable (the argument ``durable``, or ``--durable-acks``): an add is
  answered only once seq-kv holds a count that includes it (group commit: adds
  that arrive while a write is in flight share the next one). An answered add
  then survives a restart of its node, at the price of a write per batch (at
  rate 100 and no latency batches are mostly single adds: about 0.65 messages
  per operation) and of a service round trip in each add's latency, which
  under ``--latency 100`` leaves the bench's three clients less than half the
  rate they reach without it.

Either way only written (durable) counts enter the vector that nodes share,
so a restarted node never finds its peers holding a count of its own that is
higher than the one it recovers. Delta 0 adds write nothing.

The key holds ``{"count": n, "incarnation": token}``, the token naming the
writing process (``unique_ids.incarnation``), and the write is a ``cas`` from
the value the node last saw there. Not for contention: it keeps the key
monotone when messages are reordered. A write that timed out may still arrive
later (latency is not FIFO); as a plain ``write`` it could put an older count
over a newer one, but as a ``cas`` it fails, because the key no longer holds
its ``from``. Every ``cas`` goes from a value to one with at least its count.

Why this is correct under seq-kv's sequential consistency (docs/maelstrom.md §5.4): seq-kv
answers each sender from a state no older than the last one that sender saw
(per sender id, so a restarted process inherits its predecessor's view), and
applies every state change to the newest state. Only the owner changes its
key, and the owner's last successful ``cas`` moved its view to that newest
state, so every state it can be shown afterwards holds exactly the value it
wrote. Hence (a) a ``cas`` from that value never fails on a stale state; (b) it
fails only when a timed-out write landed, and then seq-kv has moved the
owner's view past that write, so the following read returns it: with this
process's token it tells how far the count got (no add is counted twice);
with another token it is a predecessor's late write, which could only land
before any write of this process, so the count continues on top of it;
(c) a process reads its key at init (the services are up before any node)
and gets its predecessor's last value, never an older one; an absent key means
no count was ever stored. Reading at init, not at the first request, matters
after a kill (``--nemesis kill``, docs/faults.md): the restarted node then gossips
the count its predecessor made durable but never sent, before the final reads.
(The runtime starts each process's request ids at a random offset, so a late
reply to a predecessor's request is not taken for the answer to one of ours.)
Stale reads of *other* nodes' keys are never needed: nodes never read them.

**Gossip (convergence).** Nodes push the vector to each other, not through
seq-kv: polling the other nodes' keys would cost a round trip per key per poll
even when nothing changed, and partitions never cut nodes off seq-kv but they
do delay gossip, which is all that retrying gossip needs to handle. For every
peer a node keeps ``known``, the entry-by-entry maximum of the vectors that
peer sent (a lower bound on what it holds: a node sends only what it has).
Every ``GOSSIP_INTERVAL`` it sends its vector to each peer that may lack
something (``vector > known`` somewhere), flagged as news, and to each peer
whose news it has taken in since its last message to that peer, flagged as an
acknowledgement; the message to a peer is one message either way. A peer
answers news with its own vector at its next tick (an acknowledgement, unless
it has news of its own); an acknowledgement asks for nothing. So while adds
flow each pair exchanges at most one message per direction per tick, a quiet
pair falls silent after one news-acknowledgement exchange, and ticks with
nothing new send nothing at all. Messages lost to a partition are simply sent
again at the next tick, so within one interval (plus latency) of the network
healing every node holds every durable count: well inside the 10 s recovery
window before the final reads. Until a peer has spoken since this node
started, the node treats it as lacking everything, so a restarted node's first
message asks each peer for the counts it forgot.

Correctness: every entry is a count its owner made durable and only grows;
merging by maximum is commutative, associative and idempotent, so stale,
duplicated, reordered or re-sent vectors never lower or double-count an entry.
Every answered add is in its owner's count, which is written within one
write-behind interval and a round trip (services are never partitioned; a
write that times out is retried), and so, within a gossip round of healing, in
every node's vector:
the final reads, 10 s after the heal, are the exact total. An add whose client
timed out is counted or not, which the checker accepts either way; none is
counted twice, because a count is written whole, never as an increment. Reads
answer from memory, without a service round trip.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from glome.errors import MalformedRequest, PreconditionFailed, Timeout
from glome.kv import KV, SEQ_KV
from glome.node import Future, Message, Node, Timer
from glome.nodes import DURABLE, NodeArguments
from glome.nodes.unique_ids import incarnation

Counts = dict[str, int]
Stored = dict[str, Any]  # the key's value: count and incarnation

#: seconds between gossip rounds; a round sends only to peers that need something
GOSSIP_INTERVAL = 0.5
#: least time between two writes of a node's count when adds are answered at once
WRITE_BEHIND_INTERVAL = 0.5
KEY_PREFIX = "g-counter/"


def merge_into(counts: Counts, incoming: Counts) -> bool:
    """Raise each entry of ``counts`` to ``incoming``'s (the G-counter join); True if any rose."""
    grew = False
    for owner, value in incoming.items():
        if value > counts.get(owner, 0):
            counts[owner] = value
            grew = True
    return grew


def exceeds(counts: Counts, known: Counts) -> bool:
    """Whether ``counts`` has an entry above ``known``'s: news for a peer holding ``known``."""
    return any(value > known.get(owner, 0) for owner, value in counts.items())


def valid_counts(value: Any) -> bool:
    """A gossiped vector: node ids to non-negative integers."""
    return isinstance(value, dict) and all(
        type(count) is int and count >= 0 for count in value.values()
    )


class Ledger:
    """This node's own count, kept durable in seq-kv; adds are answered once it holds them.

    The key holds ``{"count": n, "incarnation": token}``: the token names the
    process that wrote it, so a value that shows up unexpectedly is known to be
    either one of this process's own timed-out writes or a late write of an
    earlier process with the same node id.
    """

    def __init__(
        self, node: Node, on_durable: Callable[[int], None], *, ack_when_durable: bool
    ) -> None:
        self.node = node
        self.store = KV(node, SEQ_KV)
        self.on_durable = on_durable  # called with each new durable count
        self.ack_when_durable = ack_when_durable
        # write-behind batches by time; durable acks write as soon as the last write is done
        self.spacing = 0.0 if ack_when_durable else WRITE_BEHIND_INTERVAL
        self.incarnation = incarnation()
        self.recovering = False
        self.recovered = Future()
        self.stored: Stored | None = None  # the key's value as last seen (None: absent)
        self.base = 0  # the part of the count written by earlier processes
        self.received = 0  # sum of the deltas added to this process
        self.durable = 0  # how much of ``received`` seq-kv holds
        self.waiting: deque[tuple[int, Message]] = deque()  # (received after it, add)
        self.persisting = False
        self.last_write = -math.inf
        self.flush_timer: Timer | None = None

    @property
    def key(self) -> str:
        return KEY_PREFIX + str(self.node.id)

    def start_recovery(self) -> None:
        """Read back the key, once (a restarted node finds its count there)."""
        if not self.recovering:
            self.recovering = True
            self.node.spawn(self._recover())

    async def _recover(self) -> None:
        self._adopt(await self.store.read_until_answered(self.key))
        self.recovered.set_result(None)  # resumes waiting reads: after the count is in place
        self._answer_durable()
        self._flush()

    def _adopt(self, stored: Stored | None) -> None:
        """Take ``stored``, read from the key, as its latest value."""
        self.stored = stored
        if stored is None:
            return
        if stored["incarnation"] == self.incarnation:
            self._made_durable(stored["count"] - self.base)
        else:
            # An earlier process's count. If it wrote after we started, it could
            # only do so before any write of ours landed (ours change its ``from``).
            self.base = stored["count"]
            self.on_durable(self.base + self.durable)

    def add(self, msg: Message, delta: int) -> None:
        self.received += delta
        if self.ack_when_durable:
            self.waiting.append((self.received, msg))
            self._answer_durable()
        else:
            self.node.reply(msg, {"type": "add_ok"})
        self.start_recovery()
        self._flush()

    def unwritten(self) -> int:
        """Answered adds not yet in seq-kv (always 0 when adds wait for their write)."""
        return self.received - self.durable if not self.ack_when_durable else 0

    def _answer_durable(self) -> None:
        while self.waiting and self.waiting[0][0] <= self.durable:
            self.node.reply(self.waiting.popleft()[1], {"type": "add_ok"})

    def _flush(self) -> None:
        """Write the count if it grew, no write is in flight and ``spacing`` has passed."""
        if self.persisting or self.flush_timer is not None or self.received == self.durable:
            return
        if not self.recovered.done():
            return  # the count continues the stored one: wait until that is known
        wait = self.last_write + self.spacing - time.monotonic()
        if wait > 0:
            self.flush_timer = self.node.after(wait, self._flush_due)
            return
        self.persisting = True
        self.last_write = time.monotonic()
        self.node.spawn(self._persist())

    def _flush_due(self) -> None:
        self.flush_timer = None
        self._flush()

    async def _persist(self) -> None:
        target = self.received
        value = {"count": self.base + target, "incarnation": self.incarnation}
        try:
            await self.store.cas(self.key, self.stored, value, create_if_not_exists=True)
            self.stored = value
            self._made_durable(target)
        except PreconditionFailed:
            # a timed-out write (ours, or an earlier process's) landed after all
            self._adopt(await self.store.read_until_answered(self.key))
        except Timeout:
            pass  # unknown outcome: the next cas, from the last value seen, settles it
        finally:
            self.persisting = False
            self._flush()

    def _made_durable(self, durable: int) -> None:
        if durable > self.durable:
            self.durable = durable
            self.on_durable(self.base + durable)
        self._answer_durable()


class Gossip:
    """The counter vector and what each peer is known to hold of it."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.counts: Counts = {}
        self.known: dict[str, Counts | None] = {}  # None: not heard from since we started
        self.owed: set[str] = set()  # peers whose news we took in and have not answered

    def start(self) -> None:
        self.known = {peer: None for peer in self.node.ids if peer != self.node.id}

    def total(self) -> int:
        return sum(self.counts.values())

    def set_own(self, count: int) -> None:
        merge_into(self.counts, {str(self.node.id): count})

    def receive(self, src: str, incoming: Counts, news: bool) -> None:
        if src not in self.known:
            return  # not a peer (or we are not initialised yet): the sender retries
        seen = self.known[src]
        if seen is None:
            self.known[src] = dict(incoming)
        else:
            merge_into(seen, incoming)
        merge_into(self.counts, incoming)
        if news:
            self.owed.add(src)

    def tick(self) -> None:
        for peer, seen in self.known.items():
            lacking = seen is None or exceeds(self.counts, seen)
            if lacking or peer in self.owed:
                self.node.send(peer, {"type": "gossip", "counts": self.counts, "news": lacking})
                self.owed.discard(peer)


def build(*, ack_when_durable: bool = False) -> Node:
    node = Node()
    gossip = Gossip(node)
    ledger = Ledger(node, gossip.set_own, ack_when_durable=ack_when_durable)

    @node.on_init
    def start() -> None:
        gossip.start()
        node.every(GOSSIP_INTERVAL, gossip.tick)
        node.after(0, ledger.start_recovery)  # right after init_ok: init answers first

    @node.on("add")
    def add(msg: Message) -> None:
        delta = msg["body"].get("delta")
        if type(delta) is not int or delta < 0:
            raise MalformedRequest(f"a grow-only counter adds integers >= 0, not {delta!r}")
        ledger.add(msg, delta)

    @node.on("read")
    async def read(msg: Message) -> dict[str, Any]:
        if not ledger.recovered.done():
            ledger.start_recovery()
            await ledger.recovered
        return {"type": "read_ok", "value": gossip.total() + ledger.unwritten()}

    @node.on("gossip")
    def receive(msg: Message) -> None:
        body = msg["body"]
        if valid_counts(body.get("counts")):
            gossip.receive(msg["src"], body["counts"], body.get("news") is True)

    return node


def main(argv: list[str] | None = None) -> int:
    parser = NodeArguments(prog="glome-counter", description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode",
        nargs="?",
        choices=[DURABLE],
        help="durable: answer an add only once seq-kv holds it, so that no answered add "
        "is lost when the node is killed (default: at once, written behind)",
    )
    parser.add_argument("--durable-acks", action="store_true", help="the same as durable")
    args = parser.parse_args(argv)
    return build(ack_when_durable=args.durable_acks or args.mode == DURABLE).run()
