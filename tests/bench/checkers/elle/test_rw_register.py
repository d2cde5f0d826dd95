"""txn-rw-register checker: each anomaly flagged in a hand-built history and
not flagged in a near-identical correct one; Maelstrom's verdict override."""

from __future__ import annotations

from typing import Any

import pytest

from glome.bench.checkers.elle import rw_register
from glome.bench.history import CheckContext

from .histories import MODEL_MATRIX, assert_model_matrix, concurrent, sequential

# Each case: models, the anomalous history, the near-identical correct one, the type.
CASES: dict[str, tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]] = {
    # T1 and T2 each read the other's write.
    "G1c": (
        ["read-committed"],
        concurrent((0, "ok", [["w", 1, 1], ["r", 2, 1]]), (1, "ok", [["w", 2, 1], ["r", 1, 1]])),
        concurrent((0, "ok", [["w", 1, 1], ["r", 2, 1]]), (1, "ok", [["w", 2, 1], ["r", 1, None]])),
    ),
    # Read skew: T2 sees T1's write of key 1 but not of key 2.
    "G-single-item": (
        ["snapshot-isolation"],
        concurrent((0, "ok", [["w", 1, 1], ["w", 2, 1]]), (1, "ok", [["r", 1, 1], ["r", 2, None]])),
        concurrent((0, "ok", [["w", 1, 1], ["w", 2, 1]]), (1, "ok", [["r", 1, 1], ["r", 2, 1]])),
    ),
    # Write skew: each reads what the other overwrites.
    "G2-item": (
        ["serializable"],
        concurrent(
            (0, "ok", [["r", 1, None], ["w", 2, 1]]), (1, "ok", [["r", 2, None], ["w", 1, 1]])
        ),
        concurrent((0, "ok", [["r", 1, None], ["w", 2, 1]]), (1, "ok", [["r", 2, 1], ["w", 1, 1]])),
    ),
    # T1 -rw-> T2 -wr-> T3 -rw-> T4 -wr-> T1: two anti-dependencies, never adjacent.
    "G-nonadjacent-item": (
        ["snapshot-isolation"],
        concurrent(
            (0, "ok", [["r", 10, 1], ["r", 1, None]]),
            (1, "ok", [["w", 1, 1], ["w", 11, 1]]),
            (2, "ok", [["r", 11, 1], ["r", 2, None]]),
            (3, "ok", [["w", 2, 1], ["w", 10, 1]]),
        ),
        concurrent(
            (0, "ok", [["r", 10, 1], ["r", 1, None]]),
            (1, "ok", [["w", 1, 1], ["w", 11, 1]]),
            (2, "ok", [["r", 11, 1], ["r", 2, 1]]),
            (3, "ok", [["w", 2, 1], ["w", 10, 1]]),
        ),
    ),
    # A stale read: T2 starts after T1 committed yet misses its write.
    "G-single-item-realtime": (
        ["strict-serializable"],
        sequential((0, "ok", [["w", 1, 1]]), (1, "ok", [["r", 1, None]])),
        sequential((0, "ok", [["w", 1, 1]]), (1, "ok", [["r", 1, 1]])),
    ),
    # The same process fails to read its own earlier write.
    "G-single-item-process": (
        ["strong-session-serializable"],
        sequential((0, "ok", [["w", 1, 1]]), (0, "ok", [["r", 1, None]])),
        sequential((0, "ok", [["w", 1, 1]]), (0, "ok", [["r", 1, 1]])),
    ),
    "internal": (
        ["serializable"],
        concurrent((0, "ok", [["w", 1, 1], ["r", 1, 2]]), (1, "ok", [["r", 1, 1]])),
        concurrent((0, "ok", [["w", 1, 1], ["r", 1, 1]]), (1, "ok", [["r", 1, 1]])),
    ),
    # A committed read of a value only a failed transaction wrote (T3 reading
    # T2 keeps the dependency graph from being empty).
    "G1a": (
        ["read-committed"],
        concurrent(
            (0, "fail", [["w", 1, 1]]),
            (1, "ok", [["r", 1, 1], ["w", 2, 1]]),
            (2, "ok", [["r", 2, 1]]),
        ),
        concurrent(
            (0, "ok", [["w", 1, 1]]),
            (1, "ok", [["r", 1, 1], ["w", 2, 1]]),
            (2, "ok", [["r", 2, 1]]),
        ),
    ),
    # A read of a value its writer overwrote before committing.
    "G1b": (
        ["read-committed"],
        concurrent((0, "ok", [["w", 1, 1], ["w", 1, 2]]), (1, "ok", [["r", 1, 1]])),
        concurrent((0, "ok", [["w", 1, 1], ["w", 1, 2]]), (1, "ok", [["r", 1, 2]])),
    ),
    # Both read the initial state of key 1 and both wrote it.
    "lost-update": (
        ["repeatable-read"],
        concurrent(
            (0, "ok", [["r", 1, None], ["w", 1, 1]]), (1, "ok", [["r", 1, None], ["w", 1, 2]])
        ),
        concurrent((0, "ok", [["r", 1, None], ["w", 1, 1]]), (1, "ok", [["r", 1, 1], ["w", 1, 2]])),
    ),
    # Writes-follow-reads orders 1 before 2 (T1) and 2 before 1 (T2).
    "cyclic-versions": (
        ["read-uncommitted"],
        concurrent((0, "ok", [["r", 1, 1], ["w", 1, 2]]), (1, "ok", [["r", 1, 2], ["w", 1, 1]])),
        concurrent((0, "ok", [["r", 1, 1], ["w", 1, 2]]), (1, "ok", [["r", 1, None], ["w", 1, 1]])),
    ),
}


@pytest.mark.parametrize("anomaly", list(CASES))
def test_anomaly_is_flagged_and_its_correct_twin_is_not(anomaly: str) -> None:
    chosen, bad, good = CASES[anomaly]
    flagged = rw_register.check(bad, consistency_models=chosen)
    assert flagged["valid?"] is False
    assert anomaly in flagged["anomaly-types"]
    for case in flagged["anomalies"][anomaly]:
        assert case["explanation"]
    clean = rw_register.check(good, consistency_models=chosen)
    assert clean == {"valid?": True, "anomaly-types": [], "anomalies": None}


def test_cycle_explanation_names_the_transactions_and_each_step() -> None:
    _, bad, _ = CASES["G-single-item"]
    result = rw_register.check(bad, consistency_models=["snapshot-isolation"])
    [case] = result["anomalies"]["G-single-item"]
    # The search starts from the anti-dependency: the reader T1, then the writer T2.
    assert [op["index"] for op in case["cycle"]] == [3, 2, 3]
    assert [step["type"] for step in case["steps"]] == ["rw", "wr"]
    assert case["steps"][0] == {
        "type": "rw",
        "key": 2,
        "value": None,
        "value'": 1,
        "a-mop-index": 1,
        "b-mop-index": 1,
    }
    text = case["explanation"]
    assert "T1 = index 3" in text and "T2 = index 2" in text
    assert "T1 < T2: T1 read key 2 = nil, and T2 wrote 1" in text
    assert "T2 < T1: T2 wrote key 1 = 1, and T1 read that value" in text


def test_realtime_edges_exist_only_when_a_model_needs_them() -> None:
    _, bad, _ = CASES["G-single-item-realtime"]
    result = rw_register.check(bad, consistency_models=["snapshot-isolation"])
    assert result["valid?"] is True


@pytest.mark.parametrize(
    ("model", "prohibited", "allowed"),
    [("read-uncommitted", "cyclic-versions", "G1a"), *MODEL_MATRIX],
)
def test_each_model_reports_what_it_prohibits_and_not_what_it_allows(
    model: str, prohibited: str, allowed: str | None
) -> None:
    assert_model_matrix(rw_register.check, CASES, model, prohibited, allowed)


def test_g0_is_undetectable_because_inferred_ww_edges_always_come_with_wr_edges() -> None:
    # Each reads the other's value and overwrites it: a ww cycle, but each ww
    # edge is also a wr edge (writes follow reads), so it is reported as G1c.
    history = concurrent(
        (0, "ok", [["r", 2, 1], ["w", 1, 1], ["w", 2, 2]]),
        (1, "ok", [["r", 1, 1], ["w", 2, 1], ["w", 1, 2]]),
    )
    result = rw_register.check(history, consistency_models=["read-committed"])
    assert "G0" not in result["anomaly-types"]
    assert "G1c" in result["anomaly-types"]
    # Read uncommitted allows G1c, but the ww edges alone still form a cycle.
    result = rw_register.check(history, consistency_models=["read-uncommitted"])
    assert result["valid?"] is False
    assert result["anomaly-types"] == ["PL-1-cycle-exists"]
    [case] = result["anomalies"]["PL-1-cycle-exists"]
    assert case["scc"] == [2, 3] and case["not"] == "read-uncommitted"


def test_an_empty_transaction_graph_is_invalid_under_maelstrom() -> None:
    only_writes = concurrent((0, "ok", [["w", 1, 1]]), (1, "ok", [["w", 2, 1]]))
    raw = rw_register.analyse(only_writes, ["read-committed"])
    assert raw["valid?"] == "unknown"
    assert raw["anomaly-types"] == ["empty-transaction-graph"]
    result = rw_register.check(only_writes, consistency_models=["read-committed"])
    assert result["valid?"] is False
    assert result["anomaly-types"] == ["empty-transaction-graph"]
    with_a_read = concurrent((0, "ok", [["w", 1, 1]]), (1, "ok", [["r", 1, 1]]))
    assert rw_register.check(with_a_read, consistency_models=["read-committed"])["valid?"] is True


def test_a_txn_reading_then_writing_a_key_keeps_the_graph_non_empty() -> None:
    # nil < 1 gives it an rw edge to itself: Elle drops the edge, keeps the vertex.
    alone = concurrent((0, "ok", [["r", 1, None], ["w", 1, 1]]))
    assert rw_register.check(alone, consistency_models=["read-committed"])["valid?"] is True


def test_cycle_search_timeouts_are_dropped_from_the_verdict() -> None:
    _, bad, _ = CASES["G2-item"]
    raw = rw_register.analyse(bad, ["serializable"], cycle_search_timeout_ms=0)
    assert "cycle-search-timeout" in raw["anomaly-types"]
    result = rw_register.check(bad, consistency_models=["serializable"], cycle_search_timeout_ms=0)
    assert "cycle-search-timeout" not in result["anomaly-types"]
    assert "cycle-search-timeout" not in result["anomalies"]
    assert result["valid?"] is False  # the fallback cycle is still a G2-item


@pytest.mark.parametrize(
    ("history", "models", "reason"),
    [
        (concurrent((0, "ok", [["r", 1, None]])), ["serializable , bogus"], "Unknown consistency"),
        (concurrent((0, "ok", [["w", 1, 1], ["w", "1", 1]])), ["serializable"], "mix"),
        (
            concurrent(
                (0, "ok", [["w", 1, 5]]), (1, "ok", [["w", 1, 5]]), (2, "ok", [["r", 1, 5]])
            ),
            ["serializable"],
            "more than one op",
        ),
    ],
)
def test_uninterpretable_input_makes_the_verdict_unknown(
    history: list[dict[str, Any]], models: list[str], reason: str
) -> None:
    result = rw_register.check(history, consistency_models=models)
    assert result["valid?"] == "unknown"
    assert reason in result["error"]


class _Options:
    consistency_models = ("serializable",)


def test_models_come_from_the_test_options() -> None:
    _, bad, _ = CASES["G2-item"]
    result = rw_register.check(bad, CheckContext(options=_Options()))
    assert result["anomaly-types"] == ["G2-item"]
    assert result["not"] == ["repeatable-read"]
    assert "serializable" in result["also-not"]


def test_explanations_and_drawings_are_written_to_the_store(tmp_path: Any) -> None:
    _, bad, _ = CASES["G2-item"]
    rw_register.check(bad, CheckContext(options=_Options(), store=tmp_path))
    elle = tmp_path / "elle"
    assert "G2-item #0" in (elle / "G2-item.txt").read_text()
    dot = (elle / "G2-item" / "0.dot").read_text()
    assert dot.startswith("digraph") and 'label="rw"' in dot
    assert (elle / "sccs" / "0.dot").exists()
