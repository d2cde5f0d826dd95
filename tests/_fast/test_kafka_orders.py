"""The compiled kafka indexes and their pure twin agree, on well-formed and odd input alike."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from glome.bench.checkers.kafka.values import freeze, sorted_values
from support.compiled import compiled_module

HUGE = 1 << 70
#: the fixture only hands out the two modules, so sharing it between examples is safe
AGREEMENT = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

keys = st.sampled_from(["a", "b", "c", 7])
offsets = st.one_of(st.integers(-2, 12), st.sampled_from([HUGE, HUGE + 1, None, "3", True]))
#: mostly ints and strs (kept as they are), sometimes JSON that must be frozen
messages = st.one_of(
    st.integers(0, 6),
    st.sampled_from(["x", "y", 1.0, True, None, [1], {"m": 1}]),
)
pairs = st.lists(st.lists(st.one_of(offsets, messages), min_size=2, max_size=2), max_size=6)
odd_pairs = st.one_of(
    pairs,
    st.lists(st.tuples(offsets, messages), max_size=4),
    st.lists(st.lists(offsets, min_size=1, max_size=3), max_size=3),
    st.none(),
)
poll_values = st.dictionaries(
    st.one_of(keys, st.sampled_from([(1,), 2.5, None])), odd_pairs, max_size=4
)

frozen_keys = st.sampled_from(["a", "b", "c"])
frozen_messages = st.one_of(st.integers(0, 6), st.sampled_from(["x", freeze([1]), freeze(1.0)]))
frozen_offsets = st.one_of(st.integers(-1, 10), st.sampled_from([HUGE, None, "2"]))
writes = st.lists(
    st.lists(st.tuples(frozen_keys, frozen_offsets, frozen_messages), max_size=3), max_size=8
)
reads = st.lists(
    st.dictionaries(
        frozen_keys,
        st.lists(st.tuples(frozen_offsets, frozen_messages), min_size=1, max_size=5),
        max_size=3,
    ),
    max_size=8,
)

writers = st.dictionaries(
    frozen_keys,
    st.dictionaries(frozen_messages, st.builds(SimpleNamespace, inv_pos=st.integers(0, 9))),
)

times = st.integers(0, 100)
highest = st.dictionaries(frozen_keys, st.one_of(st.integers(-1, 12), st.just(HUGE)), max_size=3)
timed_highest = st.lists(st.tuples(times, highest), max_size=12)
lag_steps = st.lists(
    st.one_of(
        st.tuples(st.integers(0, 2), times, highest, st.just(False)),
        st.tuples(st.integers(0, 2), st.just(0), st.lists(frozen_keys, max_size=3), st.just(True)),
    ),
    max_size=16,
)


@pytest.fixture
def kafka_twins() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure); skips when the compiled module is not wanted or not built."""
    return compiled_module("kafka_orders"), load_pure("kafka_orders")


def outcome(call: Any, *args: Any) -> Any:
    """What a call returns, or the type of exception it raised."""
    try:
        return call(*args)
    except (TypeError, ValueError) as error:
        return type(error).__name__


def polled(module: ModuleType, values: list[dict[Any, Any]]) -> tuple[Any, ...]:
    """What folding ``values`` in, one micro-op each, returns and builds."""
    reads: dict[Any, Any] = {}
    top: dict[Any, Any] = {}
    returned: dict[Any, Any] = {}
    results = [outcome(module.read_poll, value, reads, top, returned, freeze) for value in values]
    return results, reads, top, list(returned.items())


@AGREEMENT
@given(values=st.lists(poll_values, max_size=3))
def test_reading_polls_agrees(kafka_twins: tuple[ModuleType, ModuleType], values: list) -> None:
    compiled, pure = kafka_twins
    assert polled(compiled, values) == polled(pure, values)


def test_a_plain_list_is_kept_and_never_modified(
    kafka_twins: tuple[ModuleType, ModuleType],
) -> None:
    for module in kafka_twins:
        first = [[0, "a"], [1, "b"]]
        reads: dict[Any, Any] = {}
        returned: dict[Any, Any] = {}
        module.read_poll({"e": [], "k": first}, reads, {}, returned, freeze)
        assert reads == {"k": first} and reads["k"] is first
        module.read_poll({"k": [[2, "c"]]}, reads, {}, returned, freeze)
        assert first == [[0, "a"], [1, "b"]]
        assert reads["k"] == [[0, "a"], [1, "b"], [2, "c"]]
        assert list(returned.items()) == [("e", set()), ("k", {"a", "b", "c"})]


@AGREEMENT
@given(sent=writes, returned=reads)
def test_version_orders_agree(
    kafka_twins: tuple[ModuleType, ModuleType], sent: list, returned: list
) -> None:
    compiled, pure = kafka_twins
    expected = outcome(pure.version_orders, sent, returned, sorted_values)
    assert outcome(compiled.version_orders, sent, returned, sorted_values) == expected


@AGREEMENT
@given(sent=writes, returned=reads)
def test_irregular_steps_agree(
    kafka_twins: tuple[ModuleType, ModuleType], sent: list, returned: list
) -> None:
    compiled, pure = kafka_twins
    orders = outcome(pure.version_orders, sent, returned, sorted_values)
    if isinstance(orders, str):  # an offset Python cannot sort among ints
        return
    index_of = {key: order[2] for key, order in orders[0].items()}
    assert compiled.irregular_steps(returned, index_of) == pure.irregular_steps(returned, index_of)


@AGREEMENT
@given(returned=reads, written=writers, data=st.data())
def test_matching_reads_agrees(
    kafka_twins: tuple[ModuleType, ModuleType], returned: list, written: dict, data: st.DataObject
) -> None:
    compiled, pure = kafka_twins
    completed = data.draw(st.lists(st.integers(0, 9), min_size=len(returned)))
    expected = pure.match_reads(returned, completed, written)
    assert compiled.match_reads(returned, completed, written) == expected


@AGREEMENT
@given(steps=timed_highest, polls=lag_steps)
def test_known_offsets_and_worst_lag_agree(
    kafka_twins: tuple[ModuleType, ModuleType], steps: list, polls: list
) -> None:
    compiled, pure = kafka_twins
    known = pure.known_offsets(steps)
    assert compiled.known_offsets(steps) == known
    assert compiled.worst_lag(polls, known) == pure.worst_lag(polls, known)
