"""The kafka checker, faithful to the Jepsen kafka checker Maelstrom runs (docs/maelstrom.md §7.6).

``check`` reads a history of sends, polls, assigns and crashes into transactions
(transactions.py), infers each key's version order (version_order.py), and looks
for the anomalies Jepsen's checker reports: lost and unseen writes (visibility.py),
ordering and duplication (sequences.py), and realtime lag (realtime.py).
"""

from glome.bench.checkers.kafka.checker import check

__all__ = ["check"]
