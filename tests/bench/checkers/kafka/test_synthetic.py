"""Simulated runs: a correct log service passes, each broken one is caught."""

from __future__ import annotations

import pytest

from glome.bench.checkers.kafka import check
from support.synthetic.kafka import FAULTS, RunShape, simulate

SMALL = {"operations": 3000, "concurrency": 4}

#: the error types each deliberate fault must produce
EXPECTED = {
    "duplicate-offsets": {"inconsistent-offsets"},
    "skipped-offsets": {"int-poll-skip"},
    "lost-writes": {"lost-write", "unseen"},
    "duplicate-messages": {"duplicate"},
}


@pytest.mark.parametrize("poll_limit", [None, 2])
@pytest.mark.parametrize("seed", range(3))
def test_correct_service_is_valid(seed: int, poll_limit: int | None) -> None:
    history = simulate(RunShape(**SMALL, crash_interval=0.5, poll_limit=poll_limit), seed)
    result = check(history, None)
    assert result["error-types"] == []
    assert result["valid?"] is True
    assert result["worst-realtime-lag"]["process"] is not None


def test_run_has_the_maelstrom_shape() -> None:
    history = simulate(RunShape(**SMALL, crash_interval=0.5), 7)
    fs = {op["f"] for op in history}
    assert fs == {"send", "poll", "assign", "crash"}
    assert [op["index"] for op in history] == list(range(len(history)))
    times = [op["time"] for op in history]
    assert times == sorted(times)
    assert sum(op["type"] == "invoke" for op in history) == len(history) // 2
    final_assigns = [op for op in history if op.get("seek-to-beginning?") and op["type"] == "ok"]
    assert len(final_assigns) == SMALL["concurrency"]


def test_runs_are_reproducible() -> None:
    assert simulate(RunShape(**SMALL), 3) == simulate(RunShape(**SMALL), 3)


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_caught(fault: str) -> None:
    history = simulate(RunShape(**SMALL, fault=fault, fault_rate=0.05), 1)
    result = check(history, None)
    assert result["valid?"] is False
    assert EXPECTED[fault] <= set(result["bad-error-types"])
