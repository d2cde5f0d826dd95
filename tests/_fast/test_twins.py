"""The compiled bitset and its pure twin agree: same results, states and bytes on the wire;
and every compiled module takes its constants from its pure twin."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure, module_names
from support.compiled import compiled_module

from .strategies import value_sets, values

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
HUGE = (1 << 63) - 1

maybe_bad = st.one_of(values, st.sampled_from([-1, -(1 << 70), HUGE + 1, 1 << 64, 2.0, "7"]))
SET_ARGUMENT = ("update", "update_new", "difference", "difference_update", "equals")

operations = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["add", "discard", "contains"]), maybe_bad),
        st.tuples(st.just("add_many"), st.lists(maybe_bad, max_size=12)),
        st.tuples(st.just("add_range"), maybe_bad, st.integers(-2, 300)),
        st.tuples(st.sampled_from(SET_ARGUMENT), value_sets),
        st.tuples(st.sampled_from(["clear", "copy", "iterate"])),
    ),
    max_size=25,
)


def outcome(module: ModuleType, held: Any, name: str, args: tuple) -> Any:
    """What one operation returns, in a form both backends can be compared by."""
    if name in SET_ARGUMENT:
        peer = module.Bitset(args[0])
        if name == "difference":
            missing = held.difference(peer)
            return missing.to_list(), missing.encode(), held.difference_count(peer)
        if name == "equals":
            return held == peer, held != peer
        return getattr(held, name)(peer)
    if name == "add_range":
        start, length = args
        return held.add_range(start, start + length if isinstance(start, int) else length)
    if name == "contains":
        return args[0] in held
    if name == "iterate":
        return list(held)
    return getattr(held, name)(*args)


def observe(module: ModuleType, steps: list[tuple]) -> list[tuple]:
    """Every step's outcome (or exception type) and the state after it."""
    held = module.Bitset()
    seen = []
    for name, *args in steps:
        try:
            if name == "copy":
                held, result = held.copy(), None
            else:
                result = outcome(module, held, name, tuple(args))
        except (TypeError, ValueError) as exc:
            result = type(exc).__name__
        seen.append((name, result, held.to_list(), len(held), held.changes, held.encode()))
    return seen


@settings(max_examples=400, deadline=None, suppress_health_check=FIXTURES)
@given(steps=operations)
def test_operation_sequences_agree(twins: tuple[ModuleType, ModuleType], steps: list) -> None:
    compiled, pure = twins
    assert observe(compiled, steps) == observe(pure, steps)


@settings(max_examples=400, deadline=None, suppress_health_check=FIXTURES)
@given(values=value_sets)
def test_encodings_are_byte_identical(twins: tuple[ModuleType, ModuleType], values: set) -> None:
    compiled, pure = twins
    text = pure.encode_values(values)
    assert compiled.encode_values(values) == text
    assert compiled.encode_values(sorted(values, reverse=True)) == text
    assert compiled.Bitset(values).encode() == text


def decoded(module: ModuleType, text: str, max_count: int) -> tuple[str, Any]:
    try:
        return "ok", module.decode_values(text, max_count=max_count)
    except ValueError:
        return "ValueError", None


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
encodings = st.builds(
    str.__add__,
    st.sampled_from(["r", "d", "b", "x", ""]),
    st.one_of(
        st.text(ALPHABET, max_size=40),
        st.text(ALPHABET[:4] + "g_-", max_size=40),
        st.text(ALPHABET + "=!é ", max_size=10),
    ),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=FIXTURES)
@given(text=encodings, max_count=st.sampled_from([0, 3, 200, 100_000]))
def test_decoding_arbitrary_strings_agrees(
    twins: tuple[ModuleType, ModuleType], text: str, max_count: int
) -> None:
    compiled, pure = twins
    verdict = decoded(pure, text, max_count)
    assert decoded(compiled, text, max_count) == verdict
    if verdict[0] == "ok":
        assert compiled.Bitset.decode(text, max_count).to_list() == verdict[1]
        assert pure.Bitset.decode(text, max_count).to_list() == verdict[1]


@pytest.mark.parametrize("name", module_names())
def test_compiled_modules_take_their_constants_from_the_pure_twin(name: str) -> None:
    """Each constant is defined once, in the pure twin: the compiled module exposes
    the very same object (imported, not a copy that could drift)."""
    compiled, pure = compiled_module(name), load_pure(name)
    public = [
        key
        for key, value in vars(pure).items()
        if key.isupper() and not key.startswith("_") and type(value) in (int, str)
    ]
    assert public, f"_pure_{name} has no constants to share"
    for key in public:
        assert getattr(compiled, key) is getattr(pure, key), f"{name}.{key}"
