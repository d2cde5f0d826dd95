"""Order checks: polls and sends must walk each log forward, one message at a time.

Each check compares the dense indexes (version_order.py) of two messages; when
either index is unknown the step counts as +1, i.e. no evidence either way.

* ``int-poll-skip`` / ``int-nonmonotonic-poll``: consecutive messages of one
  key inside one poll must be adjacent in the log.
* ``poll-skip`` / ``nonmonotonic-poll``: per process, the first message a poll
  returns for a key must directly follow the last message the previous ok poll
  of that process returned for it. An empty list for a key resets the basis. An
  ok or indeterminate assign keeps the basis only for the keys it still holds;
  an assign with seek-to-beginning rewinds the consumer on purpose, so it keeps
  none (Jepsen keeps them, but Maelstrom only seeks right after a crash, where
  the new process has no basis anyway).
* ``nonmonotonic-send``: per process, the first message an ok or indeterminate
  send wrote to a key must come after the last one the previous such send of
  that process wrote there.
* ``int-send-skip`` / ``int-nonmonotonic-send``: consecutive messages of one
  key inside one send op (only ops carrying several send micro-ops).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from glome.bench.checkers.kafka import backend
from glome.bench.checkers.kafka.transactions import SEND, Assign, KafkaHistory, Txn
from glome.bench.checkers.kafka.values import Hashable, thaw
from glome.bench.checkers.kafka.version_order import Error, KeyOrder
from glome.bench.history import INFO, OK

NO_ORDER = KeyOrder()


def _classify(
    order: KeyOrder, key: Hashable, before: Hashable, low: int, after: Hashable, high: int
) -> tuple[str, Error]:
    """("skip", error) or ("nonmonotonic", error) for a step whose delta is not 1."""
    delta = high - low
    error: Error = {"key": thaw(key), "values": [thaw(before), thaw(after)], "delta": delta}
    if delta > 1:
        error["skipped"] = order.between(low, high)
        return "skip", error
    return "nonmonotonic", error


def _step(
    order: KeyOrder, key: Hashable, before: Hashable, after: Hashable
) -> tuple[str, Error] | None:
    """The anomaly in the step from ``before`` to ``after``, if both indexes are known."""
    low = order.index_of.get(before)
    high = order.index_of.get(after)
    if low is None or high is None or high - low == 1:
        return None
    return _classify(order, key, before, low, after, high)


def internal_poll_cases(
    history: KafkaHistory, orders: dict[Hashable, KeyOrder]
) -> dict[str, list[Error]]:
    cases: dict[str, list[Error]] = {"skip": [], "nonmonotonic": []}
    polls = history.ok_polls
    index_of = {key: order.index_of for key, order in orders.items()}
    steps = backend.orders.irregular_steps([txn.reads for txn in polls], index_of)
    for number, key, position in steps:
        txn = polls[number]
        pairs = txn.reads[key]
        order = orders[key]
        before, after = pairs[position - 1][1], pairs[position][1]
        low, high = order.index_of[before], order.index_of[after]
        kind, error = _classify(order, key, before, low, after, high)
        error["op"] = txn.op
        cases[kind].append(error)
    return cases


def poll_cases(history: KafkaHistory, orders: dict[Hashable, KeyOrder]) -> dict[str, list[Error]]:
    cases: dict[str, list[Error]] = {"skip": [], "nonmonotonic": []}
    for events in history.by_process.values():
        last_read: dict[Hashable, tuple[Txn, Hashable]] = {}
        for event in events:
            if type(event) is Assign:
                if event.type == OK or event.type == INFO:
                    kept = set() if event.seek_to_beginning else set(event.keys)
                    last_read = {key: last for key, last in last_read.items() if key in kept}
                continue
            if event.type != OK or event.f == SEND:
                continue
            reads = event.reads
            for key, pairs in reads.items():
                last = last_read.get(key)
                if last is not None:
                    step = _step(orders.get(key, NO_ORDER), key, last[1], pairs[0][1])
                    if step is not None:
                        kind, error = step
                        error["ops"] = [last[0].op, event.op]
                        cases[kind].append(error)
                last_read[key] = (event, pairs[-1][1])
            if len(reads) < len(event.highest):  # a key returned empty leaves no basis
                for key in event.highest:
                    if key not in reads:
                        last_read.pop(key, None)
    return cases


def _per_key(writes: list[Any]) -> dict[Hashable, list[Hashable]]:
    by_key: dict[Hashable, list[Hashable]] = {}
    for key, _, message in writes:
        by_key.setdefault(key, []).append(message)
    return by_key


def nonmonotonic_send_cases(history: KafkaHistory, orders: dict[Hashable, KeyOrder]) -> list[Error]:
    cases: list[Error] = []
    for events in history.by_process.values():
        last_sent: dict[Hashable, tuple[Txn, Hashable]] = {}
        for event in events:
            if event.type != OK and event.type != INFO:
                continue
            if type(event) is Assign:
                kept = set(event.keys)
                last_sent = {key: last for key, last in last_sent.items() if key in kept}
                continue
            if event.f != SEND:
                continue
            for key, messages in _per_key(event.writes).items():
                last = last_sent.get(key)
                if last is not None:
                    order = orders.get(key, NO_ORDER)
                    low = order.index_of.get(last[1])
                    high = order.index_of.get(messages[0])
                    if low is not None and high is not None and high <= low:
                        _, error = _classify(order, key, last[1], low, messages[0], high)
                        error["ops"] = [last[0].op, event.op]
                        cases.append(error)
                last_sent[key] = (event, messages[-1])
    return cases


def internal_send_cases(
    history: KafkaHistory, orders: dict[Hashable, KeyOrder]
) -> dict[str, list[Error]]:
    cases: dict[str, list[Error]] = {"skip": [], "nonmonotonic": []}
    for txn in history.sends:
        if len(txn.writes) < 2:
            continue
        for key, messages in _per_key(txn.writes).items():
            order = orders.get(key, NO_ORDER)
            for before, after in pairwise(messages):
                step = _step(order, key, before, after)
                if step is not None:
                    kind, error = step
                    error["op"] = txn.op
                    cases[kind].append(error)
    return cases
