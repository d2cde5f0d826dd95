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

The orders are built by the core (``backend.orders.version_orders``); this
module turns what it finds into the reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glome.bench.checkers.kafka import backend
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


def build(history: KafkaHistory) -> VersionOrders:
    writes = [txn.writes for txn in history.sends if txn.type == OK]
    reads = [txn.reads for txn in history.ok_polls]
    orders, inconsistent, duplicates = backend.orders.version_orders(writes, reads, sorted_values)
    return VersionOrders(
        orders={key: KeyOrder(*order) for key, order in orders.items()},
        inconsistent_offsets=[
            {
                "key": thaw(key),
                "offset": offset,
                "index": index,
                "values": [thaw(message) for message in messages],
            }
            for key, offset, index, messages in inconsistent
        ],
        duplicates=[
            {"key": thaw(key), "value": thaw(message), "count": len(offsets), "offsets": offsets}
            for key, message, offsets in duplicates
        ],
    )
