"""What was written against what was read.

* ``G1a`` (aborted read): an ok poll returned a message whose send failed.
* ``lost-write``: per key, take the highest first-appearance index among the
  messages ok polls returned; every message whose last appearance lies at or
  below it should have been returned by some ok poll too. Those that were not,
  and whose send surely happened (ok, or indeterminate with a message seen),
  are lost.
* ``unseen``: messages acknowledged by ok sends that no ok poll ever returned.
* ``no-writer-of-value`` (glome's own type): an ok poll returned a message no
  send ever carried for that key. Jepsen's checker throws on this and the
  whole analysis ends ``unknown``; here it is an anomaly naming the poll, and
  every other check still runs.
"""

from __future__ import annotations

from typing import Any

from glome.bench.history import FAIL, OK
from glome.bench.workloads.kafka.transactions import KafkaHistory, Txn, must_have_committed
from glome.bench.workloads.kafka.values import Hashable, order_key, sorted_values, thaw
from glome.bench.workloads.kafka.version_order import Error, KeyOrder

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


def _first_reader(history: KafkaHistory, key: Hashable, message: Hashable) -> Txn | None:
    for txn in history.ok_polls:
        pairs = txn.reads.get(key)
        if pairs and any(read == message for _, read in pairs):
            return txn
    return None


def lost_write_cases(history: KafkaHistory, orders: dict[Hashable, KeyOrder]) -> list[Error]:
    cases: list[Error] = []
    for key, read in history.ok_reads.items():
        order = orders.get(key)
        if order is None:
            continue
        first_index = order.first_index
        bound = max(
            (first_index[message] for message in read if message in first_index), default=-1
        )
        writers = history.writer_of.get(key, {})
        lost = []
        for message, last_index in order.index_of.items():
            if last_index > bound or message in read:
                continue
            writer = writers.get(message)
            if writer is not None and must_have_committed(writer, history.ok_reads):
                lost.append((last_index, order_key(message), message, writer))
        if not lost:
            continue
        at_bound = [message for message, index in order.index_of.items() if index == bound]
        max_read = _first_reader(history, key, sorted_values(at_bound)[0]) if at_bound else None
        for _, _, message, writer in sorted(lost, key=lambda item: item[:2]):
            cases.append(
                {
                    "key": thaw(key),
                    "value": thaw(message),
                    "index": first_index[message],
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


def unwritten_read_cases(history: KafkaHistory) -> list[Error]:
    cases = []
    for txn in history.ok_polls:
        for key, pairs in txn.reads.items():
            writers = history.writer_of.get(key, {})
            for offset, message in pairs:
                if message not in writers:
                    cases.append(
                        {"key": thaw(key), "value": thaw(message), "offset": offset, "op": txn.op}
                    )
    return cases
