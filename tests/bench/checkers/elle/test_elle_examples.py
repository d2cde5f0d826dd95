"""Histories whose analysis Elle's own test suite pins down; glome must agree
on the anomaly types, the models ruled out, and the cycles with their steps."""

from __future__ import annotations

from typing import Any

from glome.bench.checkers.elle import list_append, rw_register


def op(index: int, process: int, kind: str, value: list[list[Any]]) -> dict[str, Any]:
    return {"index": index, "time": 0, "type": kind, "process": process, "f": "txn", "value": value}


def cycle_of(result: dict[str, Any], anomaly: str) -> tuple[list[int], list[dict[str, Any]]]:
    [case] = result["anomalies"][anomaly]
    return [o["index"] for o in case["cycle"]], case["steps"]


def test_nil_precedes_every_value() -> None:
    # T1 reads x = nil and y = 1 while T2 writes y = 1 and x = 2.
    history = [
        op(0, 0, "invoke", [["r", "x", None], ["r", "y", None]]),
        op(1, 1, "invoke", [["w", "y", 1], ["w", "x", 2]]),
        op(2, 1, "ok", [["w", "y", 1], ["w", "x", 2]]),
        op(3, 0, "ok", [["r", "x", None], ["r", "y", 1]]),
    ]
    result = rw_register.check(history, consistency_models=["serializable"])
    assert result["anomaly-types"] == ["G-single-item"]
    assert result["not"] == ["consistent-view", "repeatable-read"]
    cycle, steps = cycle_of(result, "G-single-item")
    assert cycle == [3, 2, 3]
    assert steps == [
        {"type": "rw", "key": "x", "value": None, "value'": 2, "a-mop-index": 0, "b-mop-index": 1},
        {"type": "wr", "key": "y", "value": 1, "a-mop-index": 0, "b-mop-index": 1},
    ]


def test_writes_follow_reads_orders_versions() -> None:
    # T1 reads y = 1 then writes y = 2, so 1 < 2; T2 reads T1's x but the old y.
    history = [
        op(0, 0, "invoke", [["r", "y", None], ["w", "x", 1], ["w", "y", 2]]),
        op(1, 1, "invoke", [["r", "x", None], ["r", "y", None]]),
        op(2, 0, "ok", [["r", "y", 1], ["w", "x", 1], ["w", "y", 2]]),
        op(3, 1, "ok", [["r", "x", 1], ["r", "y", 1]]),
    ]
    result = rw_register.check(history, consistency_models=["serializable"])
    cycle, steps = cycle_of(result, "G-single-item")
    assert cycle == [3, 2, 3]
    assert steps == [
        {"type": "rw", "key": "y", "value": 1, "value'": 2, "a-mop-index": 1, "b-mop-index": 2},
        {"type": "wr", "key": "x", "value": 1, "a-mop-index": 1, "b-mop-index": 0},
    ]


def _late_reader(reader_process: int) -> list[dict[str, Any]]:
    """x gets 1 then 2; a reader invoked after the append of 2 sees only [1]."""
    return [
        op(0, 0, "invoke", [["append", "x", 1]]),
        op(1, 0, "ok", [["append", "x", 1]]),
        op(2, 1, "invoke", [["append", "x", 2]]),
        op(3, 1, "ok", [["append", "x", 2]]),
        op(4, reader_process, "invoke", [["r", "x", None]]),
        op(5, reader_process, "ok", [["r", "x", [1]]]),
        op(6, 3, "invoke", [["r", "x", None]]),
        op(7, 3, "ok", [["r", "x", [1, 2]]]),
    ]


def test_strong_snapshot_isolation_violation() -> None:
    history = _late_reader(2)
    assert list_append.check(history, consistency_models=["serializable"]) == {"valid?": True}
    result = list_append.check(history, consistency_models=["strict-serializable"])
    assert result["anomaly-types"] == ["G-single-item-realtime"]
    assert result["not"] == ["strong-snapshot-isolation"]
    cycle, steps = cycle_of(result, "G-single-item-realtime")
    assert cycle == [5, 3, 5]
    assert steps[0] == {
        "type": "rw",
        "key": "x",
        "value": 1,
        "value'": 2,
        "a-mop-index": 0,
        "b-mop-index": 0,
    }
    assert steps[1] == {"type": "realtime", "a'": history[3], "b": history[4]}


def test_strong_session_snapshot_isolation_violation() -> None:
    result = list_append.check(
        _late_reader(1), consistency_models=["strong-session-snapshot-isolation"]
    )
    assert result["anomaly-types"] == ["G-single-item-process"]
    assert result["not"] == ["strong-session-snapshot-isolation"]
    cycle, steps = cycle_of(result, "G-single-item-process")
    assert cycle == [5, 3, 5]
    assert steps[1] == {"type": "process", "process": 1}


def test_nonadjacent_antidependencies_through_process_order() -> None:
    history = [
        op(0, 0, "invoke", [["r", "x", None], ["r", "z", None]]),
        op(1, 0, "ok", [["r", "x", None], ["r", "z", [1]]]),
        op(2, 1, "invoke", [["append", "x", 1]]),
        op(3, 1, "ok", [["append", "x", 1]]),
        op(4, 1, "invoke", [["r", "z", None]]),
        op(5, 1, "ok", [["r", "z", None]]),
        op(6, 2, "invoke", [["append", "z", 1]]),
        op(7, 2, "ok", [["append", "z", 1]]),
    ]
    assert list_append.check(history, consistency_models=["serializable"]) == {"valid?": True}
    result = list_append.check(history, consistency_models=["strong-session-snapshot-isolation"])
    assert result["anomaly-types"] == ["G-nonadjacent-item-process"]
    cycle, steps = cycle_of(result, "G-nonadjacent-item-process")
    # The same cycle Elle reports (it starts it at index 5).
    assert cycle == [1, 3, 5, 7, 1]
    assert [s["type"] for s in steps] == ["rw", "process", "rw", "wr"]


def test_contradictory_read_orders() -> None:
    history = [
        op(0, 0, "ok", [["append", "x", 1], ["r", "y", [1]]]),
        op(1, 0, "ok", [["append", "x", 2]]),
        op(2, 0, "ok", [["append", "x", 3], ["append", "y", 1]]),
        op(3, 0, "ok", [["r", "x", [1, 3]]]),
        op(4, 0, "ok", [["r", "x", [1, 2, 3]]]),
    ]
    result = list_append.check(history, consistency_models=["read-committed"])
    assert result["anomaly-types"] == ["G1c", "incompatible-order"]
    assert result["not"] == ["read-committed"]
    incompatible = result["anomalies"]["incompatible-order"]
    assert [{k: v for k, v in c.items() if k != "explanation"} for c in incompatible] == [
        {"key": "x", "values": [[1, 3], [1, 2, 3]]}
    ]
    cycle, steps = cycle_of(result, "G1c")
    assert cycle == [2, 0, 1, 2]
    assert [(s["type"], s["key"], s["value"]) for s in steps] == [
        ("wr", "y", 1),
        ("ww", "x", 1),
        ("ww", "x", 2),
    ]


def test_duplicated_elements() -> None:
    history = [
        op(0, 0, "ok", [["append", "x", 1], ["r", "y", [1]]]),
        op(1, 0, "ok", [["append", "x", 2], ["append", "y", 1]]),
        op(2, 0, "ok", [["r", "x", [1, 2, 1]]]),
    ]
    result = list_append.check(history, consistency_models=["read-committed"])
    assert result["anomaly-types"] == ["G1c", "duplicate-elements"]
    assert result["not"] == ["read-uncommitted"]
    [dup] = result["anomalies"]["duplicate-elements"]
    assert dup["duplicates"] == {1: 2}
    assert cycle_of(result, "G1c")[0] == [1, 0, 1]


def test_indirect_dirty_update() -> None:
    history = [
        op(0, 0, "fail", [["append", "x", 1]]),
        op(1, 1, "info", [["append", "x", 2]]),
        op(2, 2, "ok", [["append", "x", 3]]),
        op(3, 3, "ok", [["r", "x", [1, 2, 3]]]),
    ]
    result = list_append.check(history, consistency_models=["read-committed"])
    [case] = result["anomalies"]["dirty-update"]
    assert case["values"] == [1, 2, 3]
    assert case["txns"] == [history[0], "...", history[2]]


def test_internal_read_with_unknown_prefix() -> None:
    history = [
        op(0, 0, "ok", [["append", "x", 1], ["append", "x", 2], ["append", "x", 4]]),
        op(1, 0, "ok", [["append", "x", 3], ["r", "x", [1, 2, 3, 4]]]),
    ]
    result = list_append.check(history, consistency_models=["serializable"])
    [case] = result["anomalies"]["internal"]
    assert case["expected"] == ["...", 3]
    assert "G0" in result["anomaly-types"]
