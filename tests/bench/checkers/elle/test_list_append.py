"""txn-list-append checker: each anomaly flagged in a hand-built history and
not flagged in a near-identical correct one; Elle's verdict kept as is."""

from __future__ import annotations

from typing import Any

import pytest

from glome.bench.checkers.elle import list_append
from glome.bench.history import CheckContext

from .histories import MODEL_MATRIX, assert_model_matrix, concurrent, sequential


def a(k: int, v: int) -> list[Any]:
    return ["append", k, v]


def r(k: int, v: list[int] | None) -> list[Any]:
    return ["r", k, v]


CASES: dict[str, tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]] = {
    # Key 1 has T1's append before T2's, key 2 the other way round.
    "G0": (
        ["read-uncommitted"],
        concurrent(
            (0, "ok", [a(1, 1), a(2, 2)]),
            (1, "ok", [a(1, 2), a(2, 1)]),
            (2, "ok", [r(1, [1, 2]), r(2, [1, 2])]),
        ),
        concurrent(
            (0, "ok", [a(1, 1), a(2, 2)]),
            (1, "ok", [a(1, 2), a(2, 1)]),
            (2, "ok", [r(1, [1, 2]), r(2, [2, 1])]),
        ),
    ),
    "G1c": (
        ["read-committed"],
        concurrent((0, "ok", [a(1, 1), r(2, [1])]), (1, "ok", [a(2, 1), r(1, [1])])),
        concurrent((0, "ok", [a(1, 1), r(2, [1])]), (1, "ok", [a(2, 1), r(1, [])])),
    ),
    "G-single-item": (
        ["snapshot-isolation"],
        concurrent((0, "ok", [a(1, 1), a(2, 1)]), (1, "ok", [r(1, [1]), r(2, [])])),
        concurrent((0, "ok", [a(1, 1), a(2, 1)]), (1, "ok", [r(1, [1]), r(2, [1])])),
    ),
    "G2-item": (
        ["serializable"],
        concurrent((0, "ok", [r(1, []), a(2, 1)]), (1, "ok", [r(2, []), a(1, 1)])),
        concurrent((0, "ok", [r(1, []), a(2, 1)]), (1, "ok", [r(2, [1]), a(1, 1)])),
    ),
    "G-nonadjacent-item": (
        ["snapshot-isolation"],
        concurrent(
            (0, "ok", [r(10, [1]), r(1, [])]),
            (1, "ok", [a(1, 1), a(11, 1)]),
            (2, "ok", [r(11, [1]), r(2, [])]),
            (3, "ok", [a(2, 1), a(10, 1)]),
        ),
        concurrent(
            (0, "ok", [r(10, [1]), r(1, [])]),
            (1, "ok", [a(1, 1), a(11, 1)]),
            (2, "ok", [r(11, [1]), r(2, [1])]),
            (3, "ok", [a(2, 1), a(10, 1)]),
        ),
    ),
    "G-single-item-realtime": (
        ["strict-serializable"],
        sequential((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [])])),
        sequential((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [1])])),
    ),
    # T2 finished before T1 began, yet T1's append comes first in key 1's order.
    "G0-realtime": (
        ["strict-serializable"],
        sequential((1, "ok", [a(1, 2)]), (0, "ok", [a(1, 1)]), (2, "ok", [r(1, [1, 2])])),
        sequential((1, "ok", [a(1, 2)]), (0, "ok", [a(1, 1)]), (2, "ok", [r(1, [2, 1])])),
    ),
    # T1 finished before T2 began, yet T1 read T2's append.
    "G1c-realtime": (
        ["strict-serializable"],
        sequential((0, "ok", [r(1, [2])]), (1, "ok", [a(1, 2)])),
        sequential((0, "ok", [r(1, [])]), (1, "ok", [a(1, 2)])),
    ),
    "G-single-item-process": (
        ["strong-session-serializable"],
        sequential((0, "ok", [a(1, 1)]), (0, "ok", [r(1, [])])),
        sequential((0, "ok", [a(1, 1)]), (0, "ok", [r(1, [1])])),
    ),
    "duplicate-elements": (
        ["read-uncommitted"],
        concurrent((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [1, 1])])),
        concurrent((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [1])])),
    ),
    "incompatible-order": (
        ["read-committed"],
        concurrent(
            (0, "ok", [a(1, 1)]),
            (1, "ok", [a(1, 2)]),
            (2, "ok", [r(1, [1, 2])]),
            (3, "ok", [r(1, [2])]),
        ),
        concurrent(
            (0, "ok", [a(1, 1)]),
            (1, "ok", [a(1, 2)]),
            (2, "ok", [r(1, [1, 2])]),
            (3, "ok", [r(1, [1])]),
        ),
    ),
    # An aborted append of 1, then a committed append of 2 on top of it.
    "dirty-update": (
        ["read-committed"],
        concurrent((0, "fail", [a(1, 1)]), (1, "ok", [a(1, 2)]), (2, "ok", [r(1, [1, 2])])),
        concurrent((0, "ok", [a(1, 1)]), (1, "ok", [a(1, 2)]), (2, "ok", [r(1, [1, 2])])),
    ),
    # T3 reading T2 keeps the dependency graph from being empty.
    "G1a": (
        ["read-committed"],
        concurrent((0, "fail", [a(1, 1)]), (1, "ok", [r(1, [1]), a(2, 1)]), (2, "ok", [r(2, [1])])),
        concurrent((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [1]), a(2, 1)]), (2, "ok", [r(2, [1])])),
    ),
    "G1b": (
        ["read-committed"],
        concurrent((0, "ok", [a(1, 1), a(1, 2)]), (1, "ok", [r(1, [1])])),
        concurrent((0, "ok", [a(1, 1), a(1, 2)]), (1, "ok", [r(1, [1, 2])])),
    ),
    "internal": (
        ["serializable"],
        concurrent((0, "ok", [a(1, 1), r(1, [2])]), (1, "ok", [r(1, [1])])),
        concurrent((0, "ok", [a(1, 1), r(1, [1])]), (1, "ok", [r(1, [1])])),
    ),
    "future-read": (
        ["read-committed"],
        concurrent((0, "ok", [r(1, [1]), a(1, 1)]), (1, "ok", [r(1, [1])])),
        concurrent((0, "ok", [r(1, []), a(1, 1)]), (1, "ok", [r(1, [1])])),
    ),
    "lost-update": (
        ["repeatable-read"],
        concurrent(
            (0, "ok", [r(1, []), a(1, 1)]),
            (1, "ok", [r(1, []), a(1, 2)]),
            (2, "ok", [r(1, [1, 2])]),
        ),
        concurrent(
            (0, "ok", [r(1, []), a(1, 1)]),
            (1, "ok", [r(1, [1]), a(1, 2)]),
            (2, "ok", [r(1, [1, 2])]),
        ),
    ),
}


@pytest.mark.parametrize("anomaly", list(CASES))
def test_anomaly_is_flagged_and_its_correct_twin_is_not(anomaly: str) -> None:
    chosen, bad, good = CASES[anomaly]
    flagged = list_append.check(bad, consistency_models=chosen)
    assert flagged["valid?"] is False
    assert anomaly in flagged["anomaly-types"]
    for case in flagged["anomalies"][anomaly]:
        assert case["explanation"]
    assert list_append.check(good, consistency_models=chosen) == {"valid?": True}


def test_g0_explanation_walks_both_keys() -> None:
    _, bad, _ = CASES["G0"]
    [case] = list_append.check(bad, consistency_models=["read-uncommitted"])["anomalies"]["G0"]
    assert [step["type"] for step in case["steps"]] == ["ww", "ww"]
    text = case["explanation"]
    assert "T1 = index 3" in text and "T2 = index 4" in text
    assert "T1 < T2: T2 appended 2 to key 1 right after T1's 1" in text
    assert "T2 < T1: T1 appended 2 to key 2 right after T2's 1" in text


def test_antidependency_on_the_initial_state_is_explained() -> None:
    _, bad, _ = CASES["G2-item"]
    [case] = list_append.check(bad, consistency_models=["serializable"])["anomalies"]["G2-item"]
    assert case["steps"][0]["value"] is None
    assert "read key 1 empty, and T2 appended its first element 1" in case["explanation"]


@pytest.mark.parametrize(
    ("model", "prohibited", "allowed"), [("read-uncommitted", "G0", "G1a"), *MODEL_MATRIX]
)
def test_each_model_reports_what_it_prohibits_and_not_what_it_allows(
    model: str, prohibited: str, allowed: str | None
) -> None:
    assert_model_matrix(list_append.check, CASES, model, prohibited, allowed)


def test_an_empty_transaction_graph_is_unknown_for_list_append() -> None:
    result = list_append.check(
        concurrent((0, "ok", [a(1, 1)])), consistency_models=["serializable"]
    )
    assert result["valid?"] == "unknown"
    assert result["anomaly-types"] == ["empty-transaction-graph"]


def test_indeterminate_appends_take_part_in_the_graph() -> None:
    # T1 timed out, yet T2 saw its append to key 1 (T1 -wr-> T2) and missed
    # its append to key 2 (T2 -rw-> T1).
    history = concurrent((0, "info", [a(1, 1), a(2, 1)]), (1, "ok", [r(1, [1]), r(2, [])]))
    result = list_append.check(history, consistency_models=["snapshot-isolation"])
    assert result["anomaly-types"] == ["G-single-item"]


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (concurrent((0, "ok", [["w", 1, 1]])), "other than appends or reads"),
        (concurrent((0, "ok", [a(1, 1)]), (1, "ok", [a(1, 1)])), "multiple times"),
        (concurrent((0, "ok", [a(1, 1)]), (1, "ok", [r(1, [1, 7])])), "No transaction wrote"),
    ],
)
def test_uninterpretable_histories_are_unknown(history: list[dict[str, Any]], reason: str) -> None:
    result = list_append.check(history, consistency_models=["serializable"])
    assert result["valid?"] == "unknown"
    assert reason in result["error"]


def test_cycle_search_timeouts_make_elle_unknown_only_without_other_anomalies() -> None:
    _, bad, _ = CASES["G2-item"]
    result = list_append.check(bad, consistency_models=["serializable"], cycle_search_timeout_ms=0)
    assert "cycle-search-timeout" in result["anomaly-types"]
    assert result["valid?"] is False  # the fallback cycle is a G2-item


def test_drawings_use_svg_when_graphviz_is_installed(tmp_path: Any, monkeypatch: Any) -> None:
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n/bin/cat > /dev/null\necho '<svg></svg>'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    _, bad, _ = CASES["G-single-item"]
    store = tmp_path / "store"
    list_append.check(bad, CheckContext(options=None, store=store))
    drawing = store / "elle" / "G-single-item"
    assert (drawing / "0.dot").exists()
    assert (drawing / "0.svg").read_text().strip() == "<svg></svg>"
