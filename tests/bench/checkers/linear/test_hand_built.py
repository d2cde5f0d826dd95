"""Hand-built lin-kv histories: linearizable ones pass, the near-identical broken ones fail."""

from __future__ import annotations

from typing import Any

import pytest

from glome.bench.checkers.linear import check
from glome.bench.history import CheckContext, Op

from .histories import build, cas, read, sequential, write


def verdict(history: list[Op]) -> Any:
    return check(history, CheckContext(options=None))["valid?"]


LINEARIZABLE = {
    "write then read": sequential(write(0, "k", 1), read(1, "k", 1)),
    "read of null before any write": sequential(read(0, "k", None), write(1, "k", 2)),
    "read of null is always legal": sequential(write(0, "k", 1), read(1, "k", None)),
    "cas from the current value": sequential(write(0, "k", 1), cas(0, "k", 1, 2), read(1, "k", 2)),
    "failed write did not happen": sequential(
        write(0, "k", 1), write(0, "k", 2, "fail"), read(1, "k", 1)
    ),
    "failed cas did not happen": sequential(
        write(0, "k", 1), cas(0, "k", 1, 3, "fail"), read(1, "k", 1)
    ),
    "concurrent read may see the old value": build(
        *write(0, "k", 1),
        (0, "invoke", "write", ["k", 2]),
        *read(1, "k", 1),
        (0, "ok", "write", ["k", 2]),
    ),
    "concurrent read may see the new value": build(
        *write(0, "k", 1),
        (0, "invoke", "write", ["k", 2]),
        *read(1, "k", 2),
        (0, "ok", "write", ["k", 2]),
    ),
    "info write takes effect late": build(
        (0, "invoke", "write", ["k", 3]),
        (0, "info", "write", ["k", 3]),
        *write(1, "k", 1),
        *read(2, "k", 1),
        *read(2, "k", 3),
    ),
    "info write never takes effect": build(
        *write(1, "k", 1),
        (0, "invoke", "write", ["k", 3]),
        (0, "info", "write", ["k", 3]),
        *read(2, "k", 1),
        *read(2, "k", 1),
    ),
    "info cas takes effect late": build(
        *write(1, "k", 0),
        (0, "invoke", "cas", ["k", [1, 2]]),
        (0, "info", "cas", ["k", [1, 2]]),
        *write(1, "k", 1),
        *read(2, "k", 2),
    ),
    "invocation without completion may take effect": build(
        *write(1, "k", 1),
        (0, "invoke", "write", ["k", 4]),
        *read(2, "k", 4),
    ),
    "two info writes, each used once": build(
        (0, "invoke", "write", ["k", 1]),
        (0, "info", "write", ["k", 1]),
        (3, "invoke", "write", ["k", 2]),
        (3, "info", "write", ["k", 2]),
        *read(2, "k", 2),
        *read(2, "k", 1),
    ),
    "keys are independent": sequential(write(0, 1, 1), write(0, 2, 2), read(1, 1, 1)),
}

#: Each anomaly: a history that must be flagged, and a near-identical one that must not.
ANOMALIES = {
    "stale read": (
        sequential(write(0, "k", 1), write(0, "k", 2), read(1, "k", 1)),
        build(
            *write(0, "k", 1),
            (0, "invoke", "write", ["k", 2]),
            *read(1, "k", 1),
            (0, "ok", "write", ["k", 2]),
        ),
    ),
    "lost write": (
        sequential(write(0, "k", 1), cas(0, "k", 1, 2), read(1, "k", 1)),
        build(
            *write(0, "k", 1),
            (0, "invoke", "cas", ["k", [1, 2]]),
            *read(1, "k", 1),
            (0, "ok", "cas", ["k", [1, 2]]),
        ),
    ),
    "cas from a value that cannot be current": (
        sequential(write(0, "k", 1), cas(0, "k", 1, 2), cas(1, "k", 1, 3)),
        sequential(write(0, "k", 1), cas(0, "k", 1, 2), cas(1, "k", 2, 3)),
    ),
    "read of a value never written": (
        sequential(write(0, "k", 1), read(1, "k", 4)),
        sequential(write(0, "k", 1), write(2, "k", 4, "info"), read(1, "k", 4)),
    ),
    "read of a failed write": (
        sequential(write(0, "k", 1), write(0, "k", 2, "fail"), read(1, "k", 2)),
        sequential(write(0, "k", 1), write(0, "k", 2, "info"), read(1, "k", 2)),
    ),
    "indeterminate write used twice": (
        build(
            *write(0, "k", 1, "info"),
            *write(3, "k", 2, "info"),
            *read(2, "k", 1),
            *read(2, "k", 2),
            *read(2, "k", 1),
        ),
        build(
            *write(0, "k", 1, "info"),
            *write(3, "k", 2, "info"),
            *read(2, "k", 1),
            *read(2, "k", 2),
            *read(2, "k", 2),
        ),
    ),
    "read from an indeterminate write invoked later": (
        sequential(write(1, "k", 1), read(2, "k", 3), write(0, "k", 3, "info")),
        sequential(write(1, "k", 1), write(0, "k", 3, "info"), read(2, "k", 3)),
    ),
    "values compared exactly (1.0 is not 1)": (
        sequential(write(0, "k", 1), read(1, "k", 1.0)),
        sequential(write(0, "k", 1), read(1, "k", 1)),
    ),
    "one bad key spoils the whole": (
        sequential(write(0, 1, 1), read(1, 1, 1), write(0, 2, 2), read(1, 2, 3)),
        sequential(write(0, 1, 1), read(1, 1, 1), write(0, 2, 2), read(1, 2, 2)),
    ),
}


@pytest.mark.parametrize("name", LINEARIZABLE)
def test_linearizable_history_passes(name: str) -> None:
    assert verdict(LINEARIZABLE[name]) is True


@pytest.mark.parametrize("name", ANOMALIES)
def test_anomaly_is_flagged(name: str) -> None:
    assert verdict(ANOMALIES[name][0]) is False


@pytest.mark.parametrize("name", ANOMALIES)
def test_near_identical_history_passes(name: str) -> None:
    assert verdict(ANOMALIES[name][1]) is True


def test_failures_name_only_the_bad_keys() -> None:
    result = check(ANOMALIES["one bad key spoils the whole"][0], CheckContext(options=None))
    assert result["failures"] == [2]
    assert list(result["results"]) == [1, 2]
    assert result["results"][1]["valid?"] is True
    assert result["results"][2]["timeline"] == {"valid?": True}


def test_empty_history_is_valid() -> None:
    assert check([], CheckContext(options=None)) == {"valid?": True, "results": {}, "failures": []}
