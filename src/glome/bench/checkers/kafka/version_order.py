"""Per-key version orders: which message sits at which offset of each log.

Built, as Jepsen does, from the offsets acknowledged by ok sends and from every
poll. Offsets that hold no message are ignored: a message's *dense index* is
the position of its offset among the offsets that hold at least one. The
anomaly checks compare dense indexes, so gaps in a node's offsets are legal.

Two facts come out of building the order directly: an offset holding two
different messages (``inconsistent-offsets``) and a message stored at two
offsets (``duplicate``). The log is kept sparse (offset -> messages), so a node
that hands out huge offsets costs nothing extra, unlike a dense vector.

Where Jepsen leaves it to hash order which message of an inconsistent offset
stands for it, here every message of the offset gets that offset's index and
the smallest one represents it; such a history is invalid either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glome.bench.checkers.kafka.transactions import KafkaHistory
from glome.bench.checkers.kafka.values import Hashable, sorted_values, thaw
from glome.bench.history import OK

Error = dict[str, Any]


@dataclass(slots=True)
class KeyOrder:
    """The version order of one key."""

    #: dense index -> offset
    offsets: list[int] = field(default_factory=list)
    #: dense index -> the message standing for that offset
    by_index: list[Hashable] = field(default_factory=list)
    #: message -> the last dense index it appears at
    index_of: dict[Hashable, int] = field(default_factory=dict)
    #: message -> the first dense index it appears at
    first_index: dict[Hashable, int] = field(default_factory=dict)

    def between(self, low: int, high: int) -> list[Any]:
        """The messages strictly between two dense indexes (what a skip jumped over)."""
        return [thaw(message) for message in self.by_index[low + 1 : high]]


@dataclass(slots=True)
class VersionOrders:
    orders: dict[Hashable, KeyOrder]
    inconsistent_offsets: list[Error]
    duplicates: list[Error]


def _is_offset(offset: Any) -> bool:
    return type(offset) is int and offset >= 0


def _logs(
    history: KafkaHistory,
) -> tuple[dict[Hashable, dict[int, Hashable]], dict[tuple[Hashable, int], set[Hashable]]]:
    """key -> offset -> first message seen there; (key, offset) -> all when several."""
    logs: dict[Hashable, dict[int, Hashable]] = {}
    conflicts: dict[tuple[Hashable, int], set[Hashable]] = {}

    def record(key: Hashable, offset: Any, message: Hashable) -> None:
        log = logs.get(key)
        if log is None:
            log = logs[key] = {}
        present = log.get(offset)
        if present is None:
            log[offset] = message
        elif present != message:
            conflicts.setdefault((key, offset), {present}).add(message)

    for txn in history.sends:
        if txn.type == OK:
            for key, offset, message in txn.writes:
                if _is_offset(offset):
                    record(key, offset, message)
    for txn in history.ok_polls:
        for key, pairs in txn.reads.items():
            for offset, message in pairs:
                if _is_offset(offset):
                    record(key, offset, message)
    return logs, conflicts


def build(history: KafkaHistory) -> VersionOrders:
    logs, conflicts = _logs(history)
    orders: dict[Hashable, KeyOrder] = {}
    inconsistent: list[Error] = []
    duplicates: list[Error] = []
    for key, log in logs.items():
        order = orders[key] = KeyOrder()
        first_offset: dict[Hashable, int] = {}
        repeated: dict[Hashable, list[int]] = {}
        for index, offset in enumerate(sorted(log)):
            several = conflicts.get((key, offset))
            messages = sorted_values(several) if several else [log[offset]]
            if several:
                inconsistent.append(
                    {
                        "key": thaw(key),
                        "offset": offset,
                        "index": index,
                        "values": [thaw(message) for message in messages],
                    }
                )
            order.offsets.append(offset)
            order.by_index.append(messages[0])
            for message in messages:
                if message in order.first_index:
                    repeated.setdefault(message, [first_offset[message]]).append(offset)
                else:
                    order.first_index[message] = index
                    first_offset[message] = offset
                order.index_of[message] = index
        for message, offsets in repeated.items():
            duplicates.append(
                {
                    "key": thaw(key),
                    "value": thaw(message),
                    "count": len(offsets),
                    "offsets": offsets,
                }
            )
    return VersionOrders(orders, inconsistent, duplicates)
