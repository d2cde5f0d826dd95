"""Jepsen's long-fork checker (``jepsen.tests.long-fork/checker``).

Writes insert each key once (a transaction of one ``[:w k v]``); reads are
transactions of ``[:r k v]`` over a whole group of ``--group-size`` keys.
Under snapshot isolation every read sees a prefix of one order of the writes,
so of two reads of the same group one must see everything the other saw: a
key read as nil by the first and set by the second, with another key the
other way round, is a long fork. The verdict is unknown when a key is written
twice, and (as Jepsen throws) when the history breaks the test's rules: a read
of the wrong number of keys, or two different values read for one key.
"""

from __future__ import annotations

from typing import Any

from glome.bench.checkers.set_full import element_key
from glome.bench.edn import Keyword, dumps
from glome.bench.history import INVOKE, OK, UNKNOWN, Op
from glome.check.settings import ModelError, Settings, UsageError

READ, WRITE = "r", "w"


def _txn(op: Op) -> list[list[Any]]:
    value = op.get("value")
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(mop, list) and len(mop) == 3 for mop in value
    ):
        raise ModelError(f"op {op['index']}: a transaction is a vector of [f k v]: {dumps(value)}")
    return value


def _is_read_txn(op: Op) -> bool:
    return all(mop[0] == READ for mop in _txn(op))


def _is_write_txn(op: Op) -> bool:
    txn = _txn(op)
    return len(txn) == 1 and txn[0][0] == WRITE


def _seen(mop: list[Any]) -> bool:
    """Whether a read saw a value: truthy as in Clojure (0 is, nil and false are not)."""
    return mop[2] is not None and mop[2] is not False


def _values(op: Op) -> dict[Any, Any]:
    """Key -> value read (element keys, so values compare as in Clojure)."""
    return {element_key(k): v for _, k, v in _txn(op)}


def _compare(a: Op, b: Op) -> int | None:
    """-1 if read a saw more, 1 if b did, 0 if the same, None if neither saw
    everything the other did: a long fork."""
    seen_a, seen_b = _values(a), _values(b)
    if len(seen_a) != len(seen_b):
        raise ModelError(f"ops {a['index']} and {b['index']} did not read the same keys")
    order = 0
    for key, value_a in seen_a.items():
        if key not in seen_b:
            raise ModelError(f"ops {a['index']} and {b['index']} did not read the same keys")
        value_b = seen_b[key]
        if element_key(value_a) == element_key(value_b):
            continue
        if value_b is None:
            if order > 0:
                return None
            order = -1
        elif value_a is None:
            if order < 0:
                return None
            order = 1
        else:
            raise ModelError(
                f"ops {a['index']} and {b['index']} read different values of one key; "
                "this checker assumes one write per key"
            )
    return order


def _groups(reads: list[Op], size: int) -> list[list[Op]]:
    """Reads grouped by the keys they read; every group must have ``size`` keys."""
    groups: dict[frozenset[Any], list[Op]] = {}
    for op in reads:
        groups.setdefault(frozenset(element_key(k) for _, k, _ in _txn(op)), []).append(op)
    for keys, ops in groups.items():
        if len(keys) != size:
            raise ModelError(
                f"every read should observe exactly {size} keys, but op {ops[0]['index']} "
                f"observed {len(keys)}: {dumps(_txn(ops[0]))}"
            )
    return list(groups.values())


def _forks(group: list[Op]) -> list[list[Op]]:
    return [
        [a, b]
        for position, a in enumerate(group)
        for b in group[position + 1 :]
        if _compare(a, b) is None
    ]


def _multiple_writes(history: list[Op]) -> dict[str, Any] | None:
    written: set[Any] = set()
    for op in history:
        if op["type"] == INVOKE and _is_write_txn(op):
            key = _txn(op)[0][1]
            if element_key(key) in written:
                return {"valid?": UNKNOWN, "error": [Keyword("multiple-writes"), key]}
            written.add(element_key(key))
    return None


def check(history: list[Op], settings: Settings) -> dict[str, Any]:
    size = settings.group_size
    assert size is not None  # validate() makes --group-size required
    reads = [op for op in history if op["type"] == OK and _is_read_txn(op)]
    counts = {
        "reads-count": len(reads),
        "early-read-count": sum(1 for op in reads if not any(_seen(mop) for mop in _txn(op))),
        "late-read-count": sum(1 for op in reads if all(_seen(mop) for mop in _txn(op))),
    }
    verdict = _multiple_writes(history)
    if verdict is None:
        forks = [fork for group in _groups(reads, size) for fork in _forks(group)]
        verdict = {"valid?": False, "forks": forks} if forks else {"valid?": True}
    return {**counts, **verdict}


def validate(settings: Settings) -> None:
    if settings.group_size is None or settings.group_size < 1:
        raise UsageError("long-fork needs --group-size N: how many keys every read reads")
