"""Consistency models -> prohibited anomalies, exactly as spec appendix A lists them."""

from __future__ import annotations

import pytest

from glome.bench.checkers.elle import models

READ_UNCOMMITTED = {"G0", "PL-1-cycle-exists", "cyclic-versions", "duplicate-elements"}
READ_COMMITTED = READ_UNCOMMITTED | {
    "G1",
    "G1a",
    "G1b",
    "G1c",
    "PL-2-cycle-exists",
    "dirty-update",
    "future-read",
    "incompatible-order",
}
REPEATABLE_READ = READ_COMMITTED | {
    "G-cursor",
    "G-single-item",
    "G-nonadjacent-item",
    "G2-item",
    "PL-2.99-cycle-exists",
    "lost-update",
}
SNAPSHOT_ISOLATION = READ_COMMITTED | {
    "internal",
    "lost-update",
    "G-cursor",
    "G-MSR",
    "G-monotonic",
    "G-SI",
    "G-SIb",
    "G-single",
    "G-single-item",
    "G-nonadjacent",
    "G-nonadjacent-item",
    "PL-SI-cycle-exists",
}
SERIALIZABLE = SNAPSHOT_ISOLATION | {
    "G2",
    "G2-item",
    "G-update",
    "predicate-read-miss",
    "write-skew",
    "PL-2.99-cycle-exists",
    "PL-3-cycle-exists",
}
_VARIANT_BASES = ["G0", "G1c", "G1", "G-single", "G-single-item", "G-nonadjacent"]
_VARIANT_BASES += ["G-nonadjacent-item", "G2", "G2-item"]
STRICT_SERIALIZABLE = (
    SERIALIZABLE
    | {f"{base}-{variant}" for base in _VARIANT_BASES for variant in ("process", "realtime")}
    | {"PL-SS-cycle-exists"}
    | {
        f"{model}-cycle-exists"
        for model in (
            "strong-PL-1",
            "strong-PL-2",
            "strong-snapshot-isolation",
            "strong-session-PL-1",
            "strong-session-PL-2",
            "strong-session-snapshot-isolation",
            "strong-session-serializable",
        )
    }
)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("read-uncommitted", READ_UNCOMMITTED),
        ("read-committed", READ_COMMITTED),
        ("repeatable-read", REPEATABLE_READ),
        ("snapshot-isolation", SNAPSHOT_ISOLATION),
        ("serializable", SERIALIZABLE),
        ("strict-serializable", STRICT_SERIALIZABLE),
    ],
)
def test_prohibited_sets_match_appendix_a(model: str, expected: set[str]) -> None:
    assert set(models.prohibited_anomaly_types([model])) == expected


def test_internal_is_not_prohibited_below_snapshot_isolation() -> None:
    assert "internal" not in models.prohibited_anomaly_types(["read-committed"])
    assert "internal" not in models.reportable_anomaly_types(["read-uncommitted"])


def test_unknown_models_are_refused() -> None:
    with pytest.raises(models.UnknownModelError):
        models.prohibited_anomaly_types(["strict-serializable,read-committed"])


def test_severity_order_puts_data_anomalies_before_session_and_realtime_ones() -> None:
    order = models.severity_order(
        ["G2-item-realtime", "G0-realtime", "G2", "G0-process", "G1c", "G0", "G-single-item"]
    )
    assert order == [
        "G-single-item",
        "G0",
        "G1c",
        "G2",
        "G0-process",
        "G0-realtime",
        "G2-item-realtime",
    ]


@pytest.mark.parametrize(
    ("anomalies", "weakest", "stronger"),
    [
        ([], [], []),
        (
            ["G-single"],
            ["consistent-view"],
            [
                "forward-consistent-view",
                "serializable",
                "snapshot-isolation",
                "strong-serializable",
                "strong-session-serializable",
                "strong-session-snapshot-isolation",
                "strong-snapshot-isolation",
                "update-serializable",
            ],
        ),
        (["G-single-realtime"], ["strong-snapshot-isolation"], ["strong-serializable"]),
        (
            ["internal"],
            ["read-atomic"],
            [
                "causal-cerone",
                "parallel-snapshot-isolation",
                "prefix",
                "serializable",
                "snapshot-isolation",
                "strong-serializable",
                "strong-session-serializable",
                "strong-session-snapshot-isolation",
                "strong-snapshot-isolation",
                "update-atomic",
            ],
        ),
    ],
)
def test_boundary_names_the_weakest_models_ruled_out(
    anomalies: list[str], weakest: list[str], stronger: list[str]
) -> None:
    assert models.boundary(anomalies) == {"not": weakest, "also-not": stronger}


def test_g1a_rules_out_read_committed_and_everything_above() -> None:
    result = models.boundary(["G1a"])
    assert result["not"] == ["read-committed"]
    assert "read-uncommitted" not in result["also-not"]
    assert {"serializable", "snapshot-isolation", "repeatable-read"} <= set(result["also-not"])


def test_lost_update_rules_out_cursor_stability_and_update_atomic() -> None:
    assert models.boundary(["lost-update"])["not"] == ["cursor-stability", "update-atomic"]
