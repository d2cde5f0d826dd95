"""Challenges 3a-3e, broadcast: every value reaches every node, cheaply, and none is lost.

The node picks its own layout and replies ``topology_ok`` to Maelstrom's
``topology`` without using it. A profile (a positional argument ``latency``,
``efficient`` or ``frugal``, else ``GLOME_BROADCAST_PROFILE``, else
``efficient``) sets a few knobs of the one design below; ``knob=value``
arguments override single knobs (``glome-broadcast frugal budget=30``); the
word ``durable`` (``glome-broadcast efficient durable``) keeps acknowledged
values safe when nodes are killed (see Durability).

Gossip state
    Each node holds its values in a compiled ``Bitset`` (``glome._fast``) and,
    per peer, the values that peer is known to hold and the set this node held
    when it last wrote to it. A gossip message carries the sender's whole set
    in the compact set encoding (``h``), so it is at once the data, every
    retransmission and an acknowledgement: a receiver takes all of ``h`` and
    records that the sender holds it. Reads answer from the local set and cost
    no message. Values are the workload's integers (0 to 2**63 - 1); anything
    else is refused as a malformed request.

Layouts (knob ``layout``)
    ``mesh``: a node writes to every other node the moment a client gives it a
    value: one hop (one network delay), ``n - 1`` messages per broadcast. The
    node answers for delivering only its own clients' values (sent as ``o``
    beside ``h``), so relayed values never trigger retransmissions.
    ``star``: the first node of ``node_ids`` is the hub. Leaves write to the
    hub, the hub to every leaf, each what the other is not known to hold. A
    round of gathering and scattering costs at most ``2 (n - 1)`` messages
    whatever the traffic, and a value takes two network delays plus the wait
    for a flush.

Clock-aligned batching (knobs ``budget`` and ``margin``)
    In a star, flushes happen every ``period = 2 (n - 1) / budget`` seconds,
    so ``budget`` is the messages per second the rounds may cost the cluster
    (smaller clusters flush more often for the same cost; 0 flushes at once).
    All node processes share the machine's clock, so leaves flush at the
    wall-clock instants ``k * period`` and the hub at ``k * period + d +
    margin``, where ``d`` is the largest recent one-way delay it measured from
    the send times (``t``) the leaves stamp on their messages: the hub's
    flush follows its leaves' by one network delay, and one round carries a
    value from any leaf to every node.

Silence when nothing is new, and anti-entropy that stays on
    A flush writes to a peer only when it holds a value the peer is not known
    to hold and was not already sent (``fresh``). A node that received values
    owes the sender an acknowledgement. It rides on the next message it sends
    there; it goes out alone only once the sender has been quiet for the
    ack delay (``ack_delay + period`` s), since while the sender keeps
    writing, each of its messages carries everything again and nothing can
    stay lost. A peer that has not acknowledged everything gets the whole set
    again after a retransmission timeout (ack delay ``+ period + 1`` s,
    doubling up to ``retry_cap``). So a partition only delays values: once
    the network heals, the next message or retransmission repairs the peer.
    When every value is acknowledged the timers send nothing, so the final
    recovery wait and the reads cost no messages.

Restarts and durability
    Every gossip message carries the sender's incarnation (``i``: the virtual or
    wall-clock time of its init, and a random tie-break). A message from a newer
    incarnation than the last one seen from that peer means the peer restarted
    and forgot what it held: what it is known to hold is reset to what it now
    says, so the next flush sends it everything again. Messages of an older
    incarnation, still in flight, add their values but say nothing of the peer.
    A killed node loses what it held in memory; its peers give it all back. What
    it alone held is lost, unless it runs ``durable``: then a broadcast is
    answered only once the node's own values, those its clients gave it, are in
    lin-kv under ``broadcast/<node id>`` (group commit: one write in flight, every
    value that arrived meanwhile in the next; a ``cas`` from the value last seen,
    since only the owner writes its key and a late write must not shrink it), and
    a process reads its key back at init. Every acknowledged value is then held
    by its owner's key, and by every node once gossip has run. A broadcast of a
    value the node already holds from a peer is answered at once: its owner
    answered for it.

Profiles
    ``latency``: mesh (about ``n - 1`` messages per broadcast, one hop).
    ``efficient`` (default): star, budget 130/s (period 0.37 s for 25 nodes:
    below 1.5 messages per op even when every leaf has a value every round,
    while a value waits at most a period plus two network delays).
    ``frugal``: star, budget 35/s (period 1.37 s for 25 nodes: the worst
    case, a period plus two network delays, stays 400 ms under the 3e bar of
    2 s, with room for a loaded machine).

    The arithmetic at the 3d/3e flags (25 nodes, about 2,000 client ops in
    20 s, half of them broadcasts): the mesh costs 24 messages per broadcast,
    about 12 per op. A star round costs at most 24 hub messages plus one per
    leaf that got a value since the last round, whatever the traffic: 30 to
    48 at these flags, depending on how many nodes the clients reach in a
    round (Maelstrom hands each op to a free worker, and a worker talks to
    one node). 54 rounds of 0.37 s come to 1,600-2,600 messages (0.8-1.3
    per op), 15 rounds of 1.37 s to 450-700 (0.22-0.35 per op).
    Acknowledgements that go out alone add a few dozen messages, nearly all
    once the clients stop.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import deque
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from glome._fast import load
from glome.errors import MalformedRequest, PreconditionFailed, Timeout
from glome.kv import KV, LIN_KV
from glome.node import Body, Message, Node, Timer
from glome.nodes import NodeArguments

if TYPE_CHECKING:
    from glome._fast import bitset
else:
    bitset = load("bitset")

MESH, STAR = "mesh", "star"
MAINTENANCE_PERIOD = 0.25  # seconds between ack and retransmission checks without batching
RETRY_SLACK = 1.0  # seconds a retransmission timeout adds to the ack delay and the period
DELAY_SAMPLES = 50  # one-way delays the hub's flush offset is taken from
DURABLE = "durable"
KEY_PREFIX = "broadcast/"


@dataclass(frozen=True)
class Profile:
    """The knobs of the one design; the module docstring says what each does."""

    layout: str
    budget: float  # star: messages per second a round may cost the cluster; 0 = no batching
    margin: float  # star: seconds the hub flushes after the latest leaf message is due
    ack_delay: float  # seconds (beyond one period) an ack waits for a message to ride on
    retry_cap: float  # the longest retransmission timeout, seconds

    def period(self, node_count: int) -> float:
        """Seconds between flushes for a cluster of ``node_count`` (0: flush at once)."""
        if self.layout == MESH or self.budget <= 0:
            return 0.0
        return 2 * (node_count - 1) / self.budget


PROFILES = {
    "latency": Profile(MESH, budget=0, margin=0, ack_delay=3.0, retry_cap=4.0),
    "efficient": Profile(STAR, budget=130, margin=0.015, ack_delay=1.0, retry_cap=4.0),
    "frugal": Profile(STAR, budget=35, margin=0.015, ack_delay=1.0, retry_cap=5.0),
}
DEFAULT_PROFILE = "efficient"


def choose_profile(args: list[str], environ: dict[str, str] | os._Environ[str]) -> Profile:
    """The profile named by ``args`` or ``GLOME_BROADCAST_PROFILE``, with ``knob=value`` overrides
    (``durable`` is not a profile, and is left to ``main``).

    Raises ValueError on an unknown profile, knob or value.
    """
    names = [arg for arg in args if "=" not in arg and arg != DURABLE]
    if len(names) > 1:
        raise ValueError(f"one profile at most, not {names}")
    name = names[0] if names else environ.get("GLOME_BROADCAST_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})")
    profile = PROFILES[name]
    knobs = {knob.name: knob.type for knob in fields(Profile)}
    for arg in args:
        if "=" not in arg:
            continue
        knob, _, text = arg.partition("=")
        if knob not in knobs:
            raise ValueError(f"unknown knob {knob!r} (known: {', '.join(knobs)})")
        if knob == "layout":
            if text not in (MESH, STAR):
                raise ValueError(f"layout is {MESH} or {STAR}, not {text!r}")
            profile = replace(profile, layout=text)
            continue
        value = float(text)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{knob} must be a finite number >= 0, not {text!r}")
        # knob names a float field (layout is handled above); mypy checks ** against every field
        profile = replace(profile, **{knob: value})  # type: ignore[arg-type]
    return profile


class Peer:
    """What this node knows about one other node, and what it owes it."""

    __slots__ = ("backoff", "incarnation", "known", "owed_since", "retry_at", "told")

    def __init__(self, first_timeout: float) -> None:
        self.known = bitset.Bitset()  # values the peer is known to hold
        self.told = bitset.Bitset()  # this node's set when it last wrote to the peer
        self.owed_since: float | None = None  # when the peer last sent what it awaits an ack for
        self.retry_at: float | None = None  # resend unacknowledged values then
        self.backoff = first_timeout
        self.incarnation: list[int] | None = None  # the newest the peer has spoken from

    def restarted(self, incarnation: list[int], first_timeout: float) -> None:
        """The peer came back as a new process: it holds nothing it is known to have held."""
        self.known, self.told = bitset.Bitset(), bitset.Bitset()
        self.retry_at, self.backoff = None, first_timeout
        self.incarnation = incarnation


def valid_incarnation(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(type(part) is int and part >= 0 for part in value)
    )


class Ledger:
    """durable mode: this node's own values in lin-kv before they are acknowledged."""

    def __init__(self, node: Node, own: Any, held: Any) -> None:
        self.node = node
        self.store = KV(node, LIN_KV)
        self.own = own  # the Broadcast's sets: recovery adds to them
        self.held = held
        self.stored: str | None = None  # the key's value as last seen (None: absent)
        self.durable = bitset.Bitset()  # what the key is known to hold
        self.waiting: list[tuple[int, Message]] = []
        self.recovered = False
        self.writing = False

    @property
    def key(self) -> str:
        return KEY_PREFIX + str(self.node.id)

    async def recover(self) -> None:
        """Read the key back: a restarted node finds what its predecessor made durable."""
        self._adopt(await self.store.read_until_answered(self.key))
        self.recovered = True
        self._write()

    def _adopt(self, stored: Any) -> None:
        self.stored = stored if isinstance(stored, str) else None
        if isinstance(stored, str):
            values = bitset.Bitset.decode(stored)
            self.durable.update(values)
            self.own.update(values)
            self.held.update(values)
        self._answer()

    def add(self, value: int, msg: Message) -> None:
        """Answer ``msg`` once ``value`` is durable."""
        self.waiting.append((value, msg))
        self._answer()
        self._write()

    def _answer(self) -> None:
        still = []
        for value, msg in self.waiting:
            if value in self.durable:
                self.node.reply(msg, {"type": "broadcast_ok"})
            else:
                still.append((value, msg))
        self.waiting = still

    def _write(self) -> None:
        if self.recovered and not self.writing and self.own.difference_count(self.durable):
            self.writing = True
            self.node.spawn(self._persist())

    async def _persist(self) -> None:
        snapshot = self.own.copy()
        text = snapshot.encode()
        try:
            await self.store.cas(self.key, self.stored, text, create_if_not_exists=True)
            self.stored = text
            self.durable.update(snapshot)
            self._answer()
        except PreconditionFailed:
            # a timed-out write of ours landed after all: take it, and write on from it
            self._adopt(await self.store.read_until_answered(self.key))
        except Timeout:
            pass  # unknown outcome: the next cas, from the value last seen, settles it
        finally:
            self.writing = False
            self._write()


class Broadcast:
    """One node's gossip state and its timers."""

    def __init__(self, node: Node, profile: Profile, durable: bool = False) -> None:
        self.node = node
        self.profile = profile
        self.held = bitset.Bitset()
        self.own = bitset.Bitset()  # values this node's clients gave it
        self.ledger = Ledger(node, self.own, self.held) if durable else None
        self.incarnation = [0, 0]  # set at init: when this process started, and a tie-break
        self.peers: dict[str, Peer] = {}
        self.targets: list[str] = []  # the peers this node delivers values to
        self.period = 0.0
        self.ack_delay = 0.0  # seconds of the sender's silence before an ack goes out alone
        self.first_timeout = 0.0
        self.is_hub = False
        self.delays: deque[float] = deque(maxlen=DELAY_SAMPLES)
        self.timer: Timer | None = None
        self.fired = -math.inf  # the wall-clock time of the last tick
        self.armed_offset = 0.0
        self.measured = False  # whether the armed offset came from measured delays
        self._read_cache: tuple[int, list[int]] = (-1, [])
        self._encoded: dict[str, tuple[int, str]] = {}

    # --- setup -------------------------------------------------------------------

    def start(self) -> None:
        """Choose peers and arm the timers once init has named the nodes."""
        self.incarnation = [time.time_ns(), random.getrandbits(32)]
        if self.ledger is not None:
            self.node.after(0, self.ledger.recover)  # right after init_ok: init answers first
        me, ids = self.node.id, self.node.ids
        others = [other for other in ids if other != me]
        self.period = self.profile.period(len(ids))
        self.ack_delay = self.profile.ack_delay + self.period
        self.first_timeout = self.ack_delay + self.period + RETRY_SLACK
        if self.profile.layout == MESH:
            self.targets = others
        else:
            hub = ids[0]
            self.is_hub = me == hub
            self.targets = others if self.is_hub else [hub]
        for other in self.targets:
            self.peer(other)
        if others:
            self.arm()

    def peer(self, node_id: str) -> Peer:
        found = self.peers.get(node_id)
        if found is None:
            found = self.peers[node_id] = Peer(self.first_timeout)
        return found

    # --- client requests -----------------------------------------------------------

    def broadcast(self, msg: Message) -> Body | None:
        value = msg["body"].get("message")
        if type(value) is not int or not 0 <= value <= bitset.MAX_VALUE:
            raise MalformedRequest(f"broadcast values are integers 0..{bitset.MAX_VALUE}")
        new = self.held.add(value)
        if new:
            self.own.add(value)
            if self.period == 0:
                self.flush()
        if self.ledger is not None and value in self.own:
            self.ledger.add(value, msg)  # answered once lin-kv holds it
            return None
        return {"type": "broadcast_ok"}

    def read(self, msg: Message) -> Body:
        changes, values = self._read_cache
        if changes != self.held.changes:
            values = self.held.to_list()
            self._read_cache = (self.held.changes, values)
        return {"type": "read_ok", "messages": values}

    # --- gossip ----------------------------------------------------------------------

    def gossip(self, msg: Message) -> None:
        body, now = msg["body"], time.time()
        try:
            theirs = bitset.Bitset.decode(body["h"])
            delivered = bitset.Bitset.decode(body["o"]) if "o" in body else theirs
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedRequest(f"gossip needs sets in the set encoding: {error}") from error
        sent_at = body.get("t")
        if isinstance(sent_at, float | int) and 0 <= now - sent_at < 60:
            self.delays.append(now - sent_at)
            if self.is_hub and abs(self.offset() - self.armed_offset) > self.profile.margin:
                self.rearm()  # the first leaf messages, or a changed network delay
        peer = self.peer(msg["src"])
        incarnation = body.get("i")
        if valid_incarnation(incarnation):
            if peer.incarnation is not None and incarnation < peer.incarnation:
                self.held.update(theirs)  # a late message of the peer's predecessor
                return
            if peer.incarnation is not None and incarnation > peer.incarnation:
                peer.restarted(incarnation, self.first_timeout)
            peer.incarnation = incarnation
        if peer.known.update(theirs) and not self.candidates().difference_count(peer.known):
            peer.retry_at, peer.backoff = None, self.first_timeout
        if delivered.difference_count(peer.told):
            peer.owed_since = now  # the ack waits until the sender has been quiet a while
        if self.held.update(theirs) and self.period == 0 and self.profile.layout == STAR:
            self.flush()

    def candidates(self) -> Any:
        """The values this node must see delivered to its targets."""
        return self.own if self.profile.layout == MESH else self.held

    def encoded(self, name: str, values: Any) -> str:
        """``values`` in the set encoding, re-encoded only after it changed."""
        changes, text = self._encoded.get(name, (-1, ""))
        if changes != values.changes:
            text = values.encode()
            self._encoded[name] = (values.changes, text)
        return text

    def flush(self) -> None:
        """Write to every peer that has something fresh, a retransmission or an ack due."""
        now = time.time()
        candidates = self.candidates()
        snapshot: Any = None
        owed = [name for name, peer in self.peers.items() if peer.owed_since is not None]
        for name in dict.fromkeys([*self.targets, *owed]):
            peer = self.peers[name]
            pending = candidates.difference(peer.known)
            fresh = pending.difference_count(peer.told) > 0
            retry = bool(len(pending)) and peer.retry_at is not None and now >= peer.retry_at
            ack = peer.owed_since is not None and now >= peer.owed_since + self.ack_delay
            if not (fresh or retry or ack):
                continue
            if snapshot is None:
                snapshot = self.held.copy()
            self.send(name, now)
            peer.told, peer.owed_since = snapshot, None
            if not len(pending):
                peer.retry_at = None
                continue
            if retry and not fresh:
                longest = max(self.profile.retry_cap, self.first_timeout)
                peer.backoff = min(2 * peer.backoff, longest)
            peer.retry_at = now + peer.backoff

    def send(self, dest: str, now: float) -> None:
        body: Body = {
            "type": "gossip",
            "h": self.encoded("held", self.held),
            "t": now,
            "i": self.incarnation,
        }
        if self.profile.layout == MESH:
            body["o"] = self.encoded("own", self.own)
        self.node.send(dest, body)

    # --- timers ------------------------------------------------------------------------

    def offset(self) -> float:
        """Where in each period this node flushes: the hub one network delay after leaves."""
        if not self.is_hub or not self.delays or self.period == 0:
            return 0.0
        return (max(self.delays) + self.profile.margin) % self.period

    def arm(self) -> None:
        """Schedule the next tick: the next aligned flush, or the next maintenance check."""
        now = time.time()
        if self.period == 0:
            self.timer = self.node.after(MAINTENANCE_PERIOD, self.tick)
            return
        offset = self.offset()
        slot = math.floor((now - offset) / self.period + 1) * self.period + offset
        if slot - self.fired < self.period / 2:
            slot += self.period  # this round has flushed: one flush a round, whatever the offset
        self.armed_offset, self.measured = offset, bool(self.delays)
        self.timer = self.node.after(slot - now, self.tick)

    def rearm(self) -> None:
        """Move the pending tick to where the current offset puts it.

        A hub that flushed before it had measured any delay flushed too early
        for its leaves, so that round may flush again.
        """
        if self.timer is not None:
            self.timer.cancel()
        if not self.measured:
            self.fired = -math.inf
        self.arm()

    def tick(self) -> None:
        self.fired = time.time()
        self.flush()
        self.arm()


def build(profile: Profile, durable: bool = False) -> Node:
    node = Node()
    state = Broadcast(node, profile, durable)
    node.on_init(state.start)
    node.on("broadcast")(state.broadcast)
    node.on("read")(state.read)
    node.on("gossip")(state.gossip)

    @node.on("topology")
    def topology(msg: Message) -> Body:
        return {"type": "topology_ok"}  # the node chooses its own layout

    return node


def main(argv: list[str] | None = None) -> int:
    parser = NodeArguments(prog="glome-broadcast", description=__doc__.splitlines()[0])
    parser.add_argument(
        "words",
        nargs="*",
        metavar="profile|knob=value|durable",
        help=f"a profile ({', '.join(PROFILES)}; default GLOME_BROADCAST_PROFILE, else "
        f"{DEFAULT_PROFILE}), knob=value overrides of its knobs "
        f"({', '.join(knob.name for knob in fields(Profile))}), and durable: keep "
        "acknowledged values when nodes are killed",
    )
    words = parser.parse_args(argv).words
    try:
        profile = choose_profile(words, os.environ)
    except ValueError as error:
        parser.error(str(error))
    return build(profile, durable=DURABLE in words).run()
