"""The compiled search and its pure twin return the same thing, field for field."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_compiled, load_pure
from glome.bench.checkers.linear.prepare import KeyProblem, split_by_key
from glome.bench.history import Op
from support.compiled import require_compiled
from support.synthetic.linear import Shape, history, indeterminate_then_impossible

from .histories import build, read
from .test_against_brute_force import arbitrary_histories

BOTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def outcomes(problem: KeyProblem, config_limit: int = 10**9) -> list[tuple]:
    arguments = (
        *problem.search_arguments(),
        math.inf,
        config_limit,
    )
    return [load_pure("linear").search(*arguments), load_compiled("linear").search(*arguments)]


def assert_same(ops: list[Op], config_limit: int = 10**9) -> None:
    for problem in split_by_key(ops):
        pure, compiled = outcomes(problem, config_limit)
        assert compiled == pure


@pytest.fixture
def search_backend() -> None:
    """These tests call both backends side by side: the directory's per-backend
    parametrization (conftest.py) would only run each of them twice."""


@pytest.fixture
def compiled() -> None:
    require_compiled()


@settings(max_examples=300, deadline=None, suppress_health_check=BOTH)
@given(arbitrary_histories())
def test_same_on_arbitrary_histories(compiled: None, ops: list[Op]) -> None:
    assert_same(ops)


@settings(max_examples=60, deadline=None, suppress_health_check=BOTH)
@given(
    st.builds(
        Shape,
        ops=st.integers(1, 3000),
        node_count=st.integers(1, 5),
        latency=st.sampled_from([0.001, 0.05]),
        timeout=st.just(0.1),
        timeout_chance=st.sampled_from([0.0, 0.1, 0.4]),
    ),
    st.integers(0, 2**32),
    st.integers(0, 3),
    st.sampled_from([10, 200, 10**9]),
)
def test_same_on_simulated_histories(
    compiled: None, shape: Shape, seed: int, corrupt: int, config_limit: int
) -> None:
    ops = history(shape, seed)
    reads = [op for op in ops if op["type"] == "ok" and op["f"] == "read"]
    for op in reads[-corrupt:] if corrupt else []:
        op["value"] = [op["value"][0], (op["value"][1] + 1) % 5]
    assert_same(ops, config_limit)


@pytest.mark.parametrize("infos, tail", [(10, 3000), (30, 1500)])
def test_same_on_long_exhaustive_searches(compiled: None, infos: int, tail: int) -> None:
    (problem,) = split_by_key(indeterminate_then_impossible(infos, tail, seed=1))
    pure, compiled_outcome = outcomes(problem)
    assert pure[0] == "invalid"
    assert pure[1] == len(problem.steps) - 1
    assert pure[4] > 10_000
    assert compiled_outcome == pure


def test_same_beyond_the_compiled_mask_width(compiled: None) -> None:
    events = []
    for process in range(70):
        events += [
            (process, "invoke", "write", ["k", process % 7]),
            (process, "info", "write", ["k", process % 7]),
        ]
    ops = build(*events, *read(99, "k", 6), *read(99, "k", 5), *read(99, "k", 9))
    (problem,) = split_by_key(ops)
    pure, compiled_outcome = outcomes(problem)
    assert pure[0] == "invalid"
    assert compiled_outcome == pure
