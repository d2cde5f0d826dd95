"""The set encoding: pinned examples, the documented layouts, round trips, malformed input."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings

from .strategies import value_sets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
HUGE = (1 << 63) - 1
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def varint(number: int) -> str:
    """A varint as the format describes it: 5 bits a digit, low first, 32 = more follows."""
    digits = ""
    while number >= 32:
        digits += ALPHABET[32 + number % 32]
        number //= 32
    return digits + ALPHABET[number]


def documented_layouts(values: set[int]) -> list[str | None]:
    """Each layout (r, d, b) of ``values``, written straight from the format's description.

    The bitmap is None when it would span so far that it cannot be the shortest.
    """
    ascending = sorted(values)
    runs, cursor = "r", 0
    for start in (value for value in ascending if value - 1 not in values):
        end = start
        while end in values:
            end += 1
        runs += varint(2 * (start - cursor) + (end - start > 1))
        runs += varint(end - start - 2) if end - start > 1 else ""
        cursor = end + 1
    deltas, cursor = "d", 0
    for value in ascending:
        deltas += varint(value - cursor)
        cursor = value + 1
    if not ascending or ascending[-1] - ascending[0] > 6 * len(runs):
        return [runs, deltas, None]
    first = ascending[0]
    cells = range((ascending[-1] - first) // 6 + 1)
    bitmap = "b" + varint(first)
    for cell in cells:
        bitmap += ALPHABET[sum(1 << bit for bit in range(6) if first + 6 * cell + bit in values)]
    return [runs, deltas, bitmap]


PINNED = [
    (set(), "r"),
    ({0}, "rA"),
    ({5}, "rK"),
    (set(range(100)), "rBiD"),
    (set(range(20_000)), "rB-wT"),
    ({3, 10, 50}, "rGKsC"),
    ({20, 40}, "dUT"),
    ({1, 3, 5, 7}, "bBVB"),
    ({HUGE}, "r-___________P"),
]


@pytest.mark.parametrize(("values", "text"), PINNED)
def test_pinned_encodings(bits: ModuleType, values: set[int], text: str) -> None:
    assert bits.encode_values(values) == text
    assert bits.Bitset(values).encode() == text
    assert bits.decode_values(text) == sorted(values)
    assert bits.Bitset.decode(text) == bits.Bitset(values)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(values=value_sets)
def test_encoding_is_the_shortest_documented_layout(bits: ModuleType, values: set[int]) -> None:
    layouts = [text for text in documented_layouts(values) if text is not None]
    shortest = min(layouts, key=len)
    assert bits.encode_values(values) == shortest
    assert bits.Bitset(values).encode() == shortest


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(values=value_sets)
def test_round_trips(bits: ModuleType, values: set[int]) -> None:
    text = bits.encode_values(list(values))
    assert bits.decode_values(text) == sorted(values)
    decoded = bits.Bitset.decode(text)
    assert decoded == bits.Bitset(values)
    assert decoded.changes == len(values)
    assert decoded.encode() == text
    assert bits.decode_values(text, max_count=len(values)) == sorted(values)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(values=value_sets)
def test_every_layout_decodes_to_the_same_set(bits: ModuleType, values: set[int]) -> None:
    for text in documented_layouts(values):
        if text is not None:
            assert bits.decode_values(text) == sorted(values)


def test_encodings_need_no_escaping_in_json(bits: ModuleType) -> None:
    import orjson

    for values in (set(range(0, 3000, 7)), {HUGE, 0}, set(range(5000))):
        text = bits.encode_values(values)
        assert orjson.dumps(text) == b'"' + text.encode("ascii") + b'"'


MALFORMED = [
    "",
    "x",
    "R",
    "rA!",
    "r A",
    "rÄ",
    "rg",  # a varint that says more digits follow, then ends
    "rB",  # a run of two or more with its length missing
    "r" + "g" * 13 + "A",  # fourteen digits
    "r" + "_" * 12 + "Q",  # thirteen digits above 2**64
    "d" + varint(HUGE + 1),
    "r" + varint(2 * (HUGE - 1) + 1) + varint(5),
    "r" + varint(2 * (HUGE - 1) + 1) + "A" + "A",  # a run ends at MAX_VALUE, then one more
    "d" + varint(HUGE) + "A",
    "b",
    "b" + varint(HUGE) + "D",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_encodings_are_value_errors(bits: ModuleType, text: str) -> None:
    with pytest.raises(ValueError):
        bits.decode_values(text)
    with pytest.raises(ValueError):
        bits.Bitset.decode(text)


def test_non_strings_are_type_errors(bits: ModuleType) -> None:
    with pytest.raises(TypeError):
        bits.decode_values(b"rA")
    with pytest.raises(TypeError):
        bits.Bitset.decode(None)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("start", [0, 1 << 23, 1 << 40])
def test_a_short_string_cannot_demand_a_huge_set(bits: ModuleType, start: int) -> None:
    hostile = "r" + varint(2 * start + 1) + varint(10**15)
    with pytest.raises(ValueError, match="more than"):
        bits.decode_values(hostile)
    with pytest.raises(ValueError, match="more than"):
        bits.Bitset.decode(hostile)


@pytest.mark.timeout(10)
def test_a_bitmap_over_the_bound_fails_before_expanding(bits: ModuleType) -> None:
    full = "bA" + "_" * (bits.DEFAULT_MAX_COUNT // 6 + 1)
    with pytest.raises(ValueError, match="more than"):
        bits.decode_values(full)
    with pytest.raises(ValueError, match="more than"):
        bits.Bitset.decode(full)


def test_max_count_bounds_each_layout(bits: ModuleType) -> None:
    for text in documented_layouts(set(range(10, 40, 2))):
        assert text is not None
        assert len(bits.decode_values(text, max_count=15)) == 15
        with pytest.raises(ValueError):
            bits.decode_values(text, max_count=14)
        with pytest.raises(ValueError):
            bits.Bitset.decode(text, max_count=-1)
    assert bits.decode_values("r", max_count=0) == []


def test_noncanonical_strings_still_decode(bits: ModuleType) -> None:
    assert bits.decode_values("rgA") == [0]  # a varint with a redundant zero digit
    assert bits.decode_values("bAAAAB") == [18]  # a bitmap with empty leading cells
    assert bits.decode_values("dAAA") == [0, 1, 2]
    assert bits.decode_values("b" + varint(HUGE) + "AA") == []
