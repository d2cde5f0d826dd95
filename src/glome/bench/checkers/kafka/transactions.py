"""One pass over the history: the sends, polls and assigns the analyses read.

Every completed client ``send``/``poll``/``assign`` becomes a record holding its
completion op, the position of its invocation and completion in the history
(realtime order), and its payload parsed once: the messages a send wrote and
the ``[offset, message]`` pairs an ok poll returned, with keys and messages
frozen (see values.py; the core's ``read_poll`` parses a poll's messages, and
keeps a key's list as it is when nothing in it needs freezing). An invocation
that never completed counts as an indeterminate (info) completion placed after
the last op, so a message it may have written still has a writer.

A send's message is the pair ``[offset, msg]`` on an ok completion and the bare
``msg`` otherwise (a failed or indeterminate completion carries its
invocation's value), as the Maelstrom client records them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, final

from glome.bench.checkers.kafka import backend
from glome.bench.checkers.kafka.values import Hashable, freeze
from glome.bench.history import INFO, INVOKE, NEMESIS, OK, Op

SEND = "send"
POLL = "poll"
ASSIGN = "assign"
SEEK_TO_BEGINNING = "seek-to-beginning?"

Offset = Any  # an int from the service, or None when the offset is unknown
Pair = Sequence[Any]  # (offset, message) as an ok poll returned it, message frozen


@dataclass(slots=True, eq=False)
class Txn:
    """A completed send or poll."""

    op: Op
    f: str
    type: str
    process: Any
    inv_pos: int
    comp_pos: int
    invoke_time: int | None
    #: (key, offset, message) per send micro-op
    writes: list[tuple[Hashable, Offset, Hashable]] = field(default_factory=list)
    #: key -> [(offset, message)] as an ok poll returned them (keys returned empty left out)
    reads: dict[Hashable, list[Pair]] = field(default_factory=dict)
    #: key -> the highest offset this op shows to exist, -1 for a key polled empty;
    #: an ok poll's holds every key it returned (Jepsen's op->max-offsets, for the
    #: realtime lag)
    highest: dict[Hashable, int] = field(default_factory=dict)


@final  # lets ``type(event) is Assign`` narrow an Event to Txn in the other branch
@dataclass(slots=True, eq=False)
class Assign:
    """A completed assign: the keys a consumer holds from now on."""

    op: Op
    type: str
    process: Any
    keys: list[Hashable]
    seek_to_beginning: bool


Event = Txn | Assign


@dataclass(slots=True)
class KafkaHistory:
    """The parsed history; every list is in completion (history) order."""

    events: list[Event]
    txns: list[Txn]
    ok_polls: list[Txn]
    sends: list[Txn]
    by_process: dict[Any, list[Event]]
    #: key -> message -> the last send completion that wrote it
    writer_of: dict[Hashable, dict[Hashable, Txn]]
    #: key -> every message an ok poll returned, keys in the order ok polls first
    #: returned them (with or without messages)
    ok_reads: dict[Hashable, set[Hashable]]
    #: distinct errors of indeterminate sends and polls, in history order
    info_causes: list[Any]
    has_times: bool


def _parse_send(txn: Txn) -> None:
    for mop in txn.op.get("value") or ():
        if mop[0] != SEND:
            continue
        key = freeze(mop[1])
        written = mop[2]
        if txn.type == OK and type(written) is list and len(written) == 2:
            offset, message = written
            if type(offset) is int:
                txn.highest[key] = max(txn.highest.get(key, 0), offset)
        else:
            offset, message = None, written
        txn.writes.append((key, offset, freeze(message)))


def _parse_poll(txn: Txn, returned: dict[Hashable, set[Hashable]]) -> None:
    for mop in txn.op.get("value") or ():
        if mop[0] == POLL and len(mop) >= 2 and isinstance(mop[1], dict):
            backend.orders.read_poll(mop[1], txn.reads, txn.highest, returned, freeze)


def parse(history: list[Op]) -> KafkaHistory:
    """Index ``history`` (client ops of any workload shape; others are skipped)."""
    events: list[Event] = []
    open_invocations: dict[Any, tuple[int, Op]] = {}
    causes: dict[Any, Any] = {}
    ok_reads: dict[Hashable, set[Hashable]] = {}
    has_times = True
    for pos, op in enumerate(history):
        process = op.get("process")
        if process == NEMESIS:
            continue
        f = op.get("f")
        if f != SEND and f != POLL and f != ASSIGN:
            continue
        kind = op["type"]
        if kind == INVOKE:
            open_invocations[process] = (pos, op)
            continue
        inv_pos, invocation = open_invocations.pop(process, (pos, op))
        if "time" not in op or "time" not in invocation:
            has_times = False
        events.append(_event(op, kind, process, inv_pos, invocation, pos, ok_reads))
        if kind == INFO and f != ASSIGN:
            error = op.get("error")
            causes.setdefault(freeze(error), error)
    end = len(history)
    for inv_pos, invocation in sorted(open_invocations.values(), key=lambda item: item[0]):
        completion = {**invocation, "type": INFO}
        process = invocation.get("process")
        events.append(_event(completion, INFO, process, inv_pos, invocation, end, ok_reads))
    return _index(events, ok_reads, list(causes.values()), has_times)


def _event(
    op: Op,
    kind: str,
    process: Any,
    inv_pos: int,
    invocation: Op,
    pos: int,
    ok_reads: dict[Hashable, set[Hashable]],
) -> Event:
    """The event of one completion (an ok poll's messages also go into ``ok_reads``)."""
    f = op["f"]
    if f == ASSIGN:
        keys = [freeze(key) for key in op.get("value") or ()]
        return Assign(op, kind, process, keys, bool(op.get(SEEK_TO_BEGINNING)))
    txn = Txn(op, f, kind, process, inv_pos, pos, invocation.get("time"))
    if f == SEND:
        _parse_send(txn)
    elif kind == OK:
        _parse_poll(txn, ok_reads)
    return txn


def _index(
    events: list[Event],
    ok_reads: dict[Hashable, set[Hashable]],
    causes: list[Any],
    has_times: bool,
) -> KafkaHistory:
    txns: list[Txn] = []
    ok_polls: list[Txn] = []
    sends: list[Txn] = []
    by_process: dict[Any, list[Event]] = {}
    writer_of: dict[Hashable, dict[Hashable, Txn]] = {}
    for event in events:
        by_process.setdefault(event.process, []).append(event)
        if type(event) is Assign:
            continue
        txns.append(event)
        if event.f == SEND:
            sends.append(event)
            for key, _, message in event.writes:
                writers = writer_of.get(key)
                if writers is None:
                    writers = writer_of[key] = {}
                writers[message] = event
        elif event.type == OK:
            ok_polls.append(event)
    return KafkaHistory(
        events=events,
        txns=txns,
        ok_polls=ok_polls,
        sends=sends,
        by_process=by_process,
        writer_of=writer_of,
        ok_reads=ok_reads,
        info_causes=causes,
        has_times=has_times,
    )


def must_have_committed(txn: Txn, ok_reads: dict[Hashable, set[Hashable]]) -> bool:
    """Ok sends happened; an indeterminate one did if an ok poll saw one of its messages."""
    if txn.type == OK:
        return True
    if txn.type != INFO:
        return False
    return any(message in ok_reads.get(key, ()) for key, _, message in txn.writes)
