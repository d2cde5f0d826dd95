"""The kafka checker gives the very same result on the compiled core and on its pure twin,
for simulated runs against correct and broken services and for random small histories."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from glome.bench.checkers.kafka import backend, check
from support.compiled import compiled_module
from support.kafka_builder import HistoryBuilder
from support.synthetic.kafka import FAULTS, RunShape, simulate

KEYS = ["k", "j"]
MESSAGES = st.one_of(st.integers(0, 5), st.sampled_from(["a", [1, {"x": 2}], 1.0, True]))


def checked(core: ModuleType, history: list, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(backend, "orders", core)
        return check(history, None)


def assert_same(history: list, monkeypatch: pytest.MonkeyPatch) -> dict:
    compiled = compiled_module("kafka_orders")
    expected = checked(load_pure("kafka_orders"), history, monkeypatch)
    assert checked(compiled, history, monkeypatch) == expected
    return expected


@pytest.mark.parametrize("poll_limit", [None, 2])
@pytest.mark.parametrize("fault", [None, *FAULTS])
def test_simulated_runs(
    fault: str | None, poll_limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shape = RunShape(
        operations=2000,
        concurrency=3,
        fault=fault,
        fault_rate=0.05,
        poll_limit=poll_limit,
        crash_interval=1.0,
        timeout_probability=0.02,
    )
    result = assert_same(simulate(shape, seed=5), monkeypatch)
    if fault is None:
        assert result["valid?"] is True
    elif poll_limit is None:  # a poll of at most 2 messages per key never skips one
        assert result["valid?"] is False


@st.composite
def histories(draw: st.DrawFn) -> list:
    """Sends, polls, assigns and crashes by a few processes; polls mostly return
    messages that were sent, at offsets that may disagree with the sends'."""
    builder = HistoryBuilder()
    sent: dict[str, list[Any]] = {key: [] for key in KEYS}
    for _ in range(draw(st.integers(1, 25))):
        process = draw(st.integers(0, 3))
        action = draw(st.sampled_from(["send", "send", "poll", "poll", "assign", "crash"]))
        if action == "send":
            key, message = draw(st.sampled_from(KEYS)), draw(MESSAGES)
            kind = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
            offset = draw(st.integers(0, 8)) if kind == "ok" else None
            builder.send(process, key, message, offset, kind)
            sent[key].append(message)
        elif action == "poll":
            returned = {}
            for key in draw(st.lists(st.sampled_from(KEYS), unique=True)):
                known = sent[key] or [0]
                messages = draw(st.lists(st.sampled_from(known), max_size=4))
                offsets = sorted(draw(st.lists(st.integers(0, 8), min_size=len(messages))))
                returned[key] = [list(pair) for pair in zip(offsets, messages, strict=False)]
            builder.poll(process, returned, draw(st.sampled_from(["ok", "ok", "info"])))
        elif action == "assign":
            keys = draw(st.lists(st.sampled_from(KEYS), unique=True))
            builder.assign(
                process, keys, draw(st.booleans()), draw(st.sampled_from(["ok", "info"]))
            )
        else:
            builder.crash(process)
    return builder.history


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories())
def test_random_histories(history: list, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(history, monkeypatch)
