"""What was written against what was read.

* ``G1a`` (aborted read): an ok poll returned a message whose send failed.
* ``lost-write``: per key, take the highest first-appearance index among the
  messages ok polls returned; every message whose last appearance lies at or
  below it should have been returned by some ok poll too. Those that were not,
  and whose send surely happened (ok, or indeterminate with a message seen),
  are lost.
* ``unseen``: messages acknowledged by ok sends that no ok poll ever returned.
* messages no send ever carried for that key (``ReadSources.unwritten``):
  Jepsen's checker throws ``no-writer-of-value`` on the first it meets, so
  the checker ends the analysis ``unknown`` when there is any (checker.py).

Matching each returned message with its send also yields the reads from the
future that the realtime cycle check needs (realtime.py), in the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glome.bench.checkers.kafka import backend
from glome.bench.checkers.kafka.transactions import KafkaHistory, Txn, must_have_committed
from glome.bench.checkers.kafka.values import Hashable, order_key, sorted_values, thaw
from glome.bench.checkers.kafka.version_order import Error, KeyOrder
from glome.bench.history import FAIL, OK

#: how many unseen messages per key the result lists
UNSEEN_EXAMPLES = 32


def aborted_read_cases(history: KafkaHistory) -> list[Error]:
    failed: dict[Hashable, set[Hashable]] = {}
    for txn in history.sends:
        if txn.type == FAIL:
            for key, _, message in txn.writes:
                failed.setdefault(key, set()).add(message)
    if not failed:
        return []
    cases = []
    for txn in history.ok_polls:
        for key, pairs in txn.reads.items():
            aborted = failed.get(key)
            if aborted is None:
                continue
            for _, message in pairs:
                if message in aborted:
                    writer = history.writer_of[key][message]
                    cases.append(
                        {
                            "key": thaw(key),
                            "value": thaw(message),
                            "writer": writer.op,
                            "reader": txn.op,
                        }
                    )
    return cases


def _first_readers(history: KafkaHistory, wanted: dict[Hashable, Hashable]) -> dict[Hashable, Txn]:
    """key -> the first ok poll that returned ``wanted[key]``."""
    found: dict[Hashable, Txn] = {}
    for txn in history.ok_polls:
        for key, pairs in txn.reads.items():
            if key in wanted and key not in found:
                message = wanted[key]
                if any(read == message for _, read in pairs):
                    found[key] = txn
    return found


def lost_write_cases(history: KafkaHistory, orders: dict[Hashable, KeyOrder]) -> list[Error]:
    lost_by_key: dict[Hashable, tuple[int, list[Any]]] = {}
    for key, read in history.ok_reads.items():
        order = orders.get(key)
        if order is None:
            continue
        bound = max([order.first_index[m] for m in read if m in order.first_index], default=-1)
        writers = history.writer_of.get(key, {})
        lost = []
        for message, last_index in order.index_of.items():
            if last_index > bound or message in read:
                continue
            writer = writers.get(message)
            if writer is not None and must_have_committed(writer, history.ok_reads):
                lost.append((last_index, order_key(message), message, writer))
        if lost:
            lost_by_key[key] = (bound, sorted(lost, key=lambda item: item[:2]))
    if not lost_by_key:
        return []
    highest_read = {}
    for key, (bound, _) in lost_by_key.items():
        at_bound = [message for message, i in orders[key].index_of.items() if i == bound]
        if at_bound:
            highest_read[key] = sorted_values(at_bound)[0]
    max_reads = _first_readers(history, highest_read)
    cases: list[Error] = []
    for key, (bound, lost) in lost_by_key.items():
        max_read = max_reads.get(key)
        for _, _, message, writer in lost:
            cases.append(
                {
                    "key": thaw(key),
                    "value": thaw(message),
                    "index": orders[key].first_index[message],
                    "max-read-index": bound,
                    "writer": writer.op,
                    "max-read": max_read.op if max_read else None,
                }
            )
    return cases


def unseen(history: KafkaHistory) -> dict[str, Any] | None:
    """Jepsen's final unseen map, or None when every acknowledged message was polled."""
    sent: dict[Hashable, set[Hashable]] = {}
    last_time = None
    for txn in history.txns:
        if txn.type != OK:
            continue
        last_time = txn.op.get("time")
        for key, _, message in txn.writes:
            sent.setdefault(key, set()).add(message)
    missing = {}
    for key, messages in sent.items():
        never_read = messages - history.ok_reads.get(key, set())
        if never_read:
            missing[key] = never_read
    if not missing:
        return None
    keys = sorted_values(missing)
    return {
        "time": last_time,
        "unseen": {thaw(key): len(missing[key]) for key in keys},
        "messages": {
            thaw(key): [thaw(m) for m in sorted_values(missing[key])[:UNSEEN_EXAMPLES]]
            for key in keys
        },
    }


@dataclass(slots=True)
class FutureRead:
    """An ok poll that returned a message whose send was invoked after the poll completed."""

    writer: Txn
    reader: Txn
    key: Hashable
    message: Hashable


@dataclass(slots=True)
class ReadSources:
    """Every message ok polls returned, matched with the send that wrote it."""

    unwritten: list[Error]  # reads of a message no send carried, in history order
    future: list[FutureRead]
    any_match: bool  # whether some poll returned a message some send wrote


def match_reads(history: KafkaHistory) -> ReadSources:
    polls = history.ok_polls
    unwritten, future, any_match = backend.orders.match_reads(
        [txn.reads for txn in polls], [txn.comp_pos for txn in polls], history.writer_of
    )
    return ReadSources(
        unwritten=[
            {
                "key": thaw(key),
                "value": thaw(polls[number].reads[key][position][1]),
                "offset": polls[number].reads[key][position][0],
                "op": polls[number].op,
            }
            for number, key, position in unwritten
        ],
        future=[
            FutureRead(writer, polls[number], key, polls[number].reads[key][position][1])
            for number, key, position, writer in future
        ],
        any_match=any_match,
    )
