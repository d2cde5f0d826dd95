"""The compiled set-full tracker and its pure twin agree: on random feeds of adds,
acknowledgements and reads, and as the set-full checker on whole histories,
valid and faulty (the expected results are always the pure backend's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from glome.bench.checkers import set_full
from glome.bench.checkers.set_full import element_key
from support.compiled import compiled_module

SMALL_EDGE = 1 << 20  # where the compiled tracker moves from its value array to a dict

element_values = st.one_of(
    st.integers(0, 40),
    st.integers(SMALL_EDGE - 3, SMALL_EDGE + 3),
    st.integers(-3, -1),
    st.sampled_from([1 << 30, 1 << 64, 1.0, 2.0, True, False, None, "a", "7", [1], [1, [2]]]),
    st.dictionaries(st.sampled_from(["k", "v"]), st.integers(0, 3), max_size=2),
)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), element_values),
        st.tuples(st.just("acknowledge"), element_values),
        st.tuples(
            st.just("read"),
            st.one_of(
                st.none(),
                st.lists(element_values, max_size=12),
                st.lists(element_values, max_size=6).map(tuple),
            ),
            st.integers(0, 5),
        ),
    ),
    max_size=60,
)


def sightings(module: ModuleType, script: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Feed ``script`` to a tracker, a step per history position; reads began up to
    a few positions back."""
    tracker = module.Tracker(element_key)
    for position, (name, value, *rest) in enumerate(script):
        if name == "read":
            tracker.read(value, max(0, position - rest[0]), position)
        else:
            getattr(tracker, name)(value, position)
    return tracker.sightings()


@pytest.fixture(scope="module")
def compiled() -> ModuleType:
    return compiled_module("setfull")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=steps)
def test_twins_find_the_same_sightings(compiled: ModuleType, script: list[tuple[Any, ...]]) -> None:
    assert sightings(compiled, script) == sightings(load_pure("setfull"), script)


def broadcast_history(**shape: Any) -> list[dict[str, Any]]:
    """The benchmark's history builder."""
    path = Path(__file__).parents[2] / "benchmarks" / "bench_checkers.py"
    spec = importlib.util.spec_from_file_location("bench_checkers", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.broadcast_history(**shape)  # type: ignore[no-any-return]


SHAPES = {
    "healthy": {},
    "lossy": {"lose": 0.1},
    "empty-reads": {"empty_reads": True},
    "noisy": {"noise": 0.15, "lose": 0.05},
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("add_f", ["broadcast", "add"])
def test_checker_results_agree_across_backends(
    compiled: ModuleType, monkeypatch: pytest.MonkeyPatch, shape: str, add_f: str
) -> None:
    history = broadcast_history(ops=3000, concurrency=6, seed=3, add_f=add_f, **SHAPES[shape])
    monkeypatch.setattr(set_full, "_setfull", load_pure("setfull"))
    expected = set_full.check(history, None, add_f)
    elements = set_full.element_results(history, add_f)
    monkeypatch.setattr(set_full, "_setfull", compiled)
    assert set_full.check(history, None, add_f) == expected
    assert set_full.element_results(history, add_f) == elements
