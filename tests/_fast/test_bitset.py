"""What a gossip node relies on from a Bitset, checked on each backend."""

from __future__ import annotations

from types import ModuleType

import pytest

from .strategies import STORAGE_EDGE

HUGE = (1 << 63) - 1
SPREAD = [0, 1, 63, 64, 65, 1000, STORAGE_EDGE - 1, STORAGE_EDGE, STORAGE_EDGE + 1, HUGE]


def test_add_tells_whether_the_value_is_new(bits: ModuleType) -> None:
    held = bits.Bitset()
    assert held.add(5) is True
    assert held.add(5) is False
    assert held.add(HUGE) is True
    assert held.add(HUGE) is False
    assert len(held) == 2 and held
    assert 5 in held and HUGE in held and 4 not in held and 6 not in held
    assert not bits.Bitset()


def test_values_list_ascending_across_storage(bits: ModuleType) -> None:
    held = bits.Bitset(reversed(SPREAD))
    assert held.to_list() == SPREAD
    assert list(held) == SPREAD
    assert len(held) == len(SPREAD)
    assert all(value in held for value in SPREAD)
    assert all(value + 1 not in held for value in (1, 65, 1000, STORAGE_EDGE + 1))


def test_add_many_counts_new_values_and_ignores_repeats(bits: ModuleType) -> None:
    held = bits.Bitset([1, 2, 3])
    assert held.add_many([3, 4, 4, 5, STORAGE_EDGE, STORAGE_EDGE]) == 3
    assert held.to_list() == [1, 2, 3, 4, 5, STORAGE_EDGE]
    assert held.add_many(iter([])) == 0


def test_add_range_spans_words_and_storage(bits: ModuleType) -> None:
    held = bits.Bitset([10, 200])
    assert held.add_range(5, 300) == 293
    assert held.to_list() == list(range(5, 300))
    assert held.add_range(STORAGE_EDGE - 3, STORAGE_EDGE + 3) == 6
    assert held.add_range(7, 7) == 0
    assert held.add_range(9, 2) == 0
    assert len(held) == 301


@pytest.mark.parametrize("bad", [-1, HUGE + 1, 1 << 80])
def test_out_of_range_values_are_refused_without_partial_adds(bits: ModuleType, bad: int) -> None:
    held = bits.Bitset([1])
    with pytest.raises(ValueError):
        held.add(bad)
    with pytest.raises(ValueError):
        held.add_many([2, 3, bad, 4])
    with pytest.raises(ValueError):
        bits.Bitset([bad])
    assert held.to_list() == [1]
    assert held.changes == 1
    assert bad not in held
    assert held.discard(bad) is False


def test_add_range_refuses_out_of_range_ends(bits: ModuleType) -> None:
    held = bits.Bitset()
    with pytest.raises(ValueError):
        held.add_range(-1, 3)
    with pytest.raises(ValueError):
        held.add_range(HUGE - 1, HUGE + 2)
    assert len(held) == 0


@pytest.mark.parametrize("bad", [1.0, "1", None])
def test_non_integers_are_type_errors(bits: ModuleType, bad: object) -> None:
    held = bits.Bitset()
    with pytest.raises(TypeError):
        held.add(bad)
    with pytest.raises(TypeError):
        held.add_many([bad])
    with pytest.raises(TypeError):
        _ = bad in held
    with pytest.raises(TypeError):
        held.update({1, 2})
    with pytest.raises(TypeError):
        held.difference([1])


def test_update_merges_a_peers_set(bits: ModuleType) -> None:
    mine = bits.Bitset([1, 2, 3, HUGE])
    theirs = bits.Bitset([3, 4, 500, STORAGE_EDGE, HUGE])
    assert mine.update(theirs) == 3
    assert mine.to_list() == [1, 2, 3, 4, 500, STORAGE_EDGE, HUGE]
    assert theirs.to_list() == [3, 4, 500, STORAGE_EDGE, HUGE]
    assert mine.update(theirs) == 0


def test_update_new_returns_what_to_pass_on(bits: ModuleType) -> None:
    mine = bits.Bitset([1, 2, 3, STORAGE_EDGE + 5])
    assert mine.update_new(bits.Bitset([HUGE, 2, 70, STORAGE_EDGE + 5, STORAGE_EDGE])) == [
        70,
        STORAGE_EDGE,
        HUGE,
    ]
    assert mine.to_list() == [1, 2, 3, 70, STORAGE_EDGE, STORAGE_EDGE + 5, HUGE]


def test_difference_is_what_a_peer_lacks(bits: ModuleType) -> None:
    mine = bits.Bitset([*range(100), STORAGE_EDGE, HUGE])
    known = bits.Bitset([*range(0, 100, 2), 5000, HUGE])
    missing = mine.difference(known)
    assert missing.to_list() == [*range(1, 100, 2), STORAGE_EDGE]
    assert mine.difference_count(known) == 51
    assert known.difference(mine).to_list() == [5000]
    assert known.difference_count(mine) == 1
    assert mine.difference(mine) == bits.Bitset()
    assert len(mine) == 102


def test_difference_update_removes_acknowledged_values(bits: ModuleType) -> None:
    pending = bits.Bitset([1, 2, 3, 90_000, HUGE])
    assert pending.difference_update(bits.Bitset([2, 90_000, HUGE, 7])) == 3
    assert pending.to_list() == [1, 3]


def test_a_set_combined_with_itself(bits: ModuleType) -> None:
    held = bits.Bitset([1, 70, HUGE])
    assert held.update(held) == 0
    assert held.update_new(held) == []
    assert held.difference(held) == bits.Bitset()
    assert held.difference_count(held) == 0
    assert held.difference_update(held) == 3
    assert len(held) == 0


def test_discard_and_clear(bits: ModuleType) -> None:
    held = bits.Bitset([1, 64, HUGE])
    assert held.discard(64) is True
    assert held.discard(64) is False
    assert held.discard(1 << 20) is False
    assert held.discard(HUGE) is True
    assert held.to_list() == [1]
    held.clear()
    assert len(held) == 0 and held.to_list() == []
    assert held.add(64) is True


def test_changes_mark_lets_a_timer_stay_silent(bits: ModuleType) -> None:
    held = bits.Bitset([1, 2])
    mark = held.changes
    held.add(2)
    held.add_many([1, 2])
    held.update(bits.Bitset([1]))
    held.discard(9)
    assert held.changes == mark
    held.add(3)
    assert held.changes == mark + 1
    held.update(bits.Bitset([4, 5, 6]))
    held.discard(1)
    assert held.changes == mark + 5
    held.clear()
    assert held.changes == mark + 10


def test_copy_is_independent_and_keeps_changes(bits: ModuleType) -> None:
    held = bits.Bitset([1, HUGE])
    held.discard(1)
    twin = held.copy()
    assert twin == held and twin.changes == held.changes == 3
    twin.add(7)
    assert 7 not in held
    assert twin != held


def test_equality_ignores_history_and_capacity(bits: ModuleType) -> None:
    grown = bits.Bitset([1, 100_000])
    grown.discard(100_000)
    assert grown == bits.Bitset([1])
    assert bits.Bitset() == bits.Bitset()
    assert bits.Bitset([1]) != bits.Bitset([2])
    assert bits.Bitset([HUGE]) != bits.Bitset([HUGE - 1])
    assert bits.Bitset([1]) != [1]
    with pytest.raises(TypeError):
        hash(bits.Bitset())


def test_iteration_is_a_snapshot(bits: ModuleType) -> None:
    held = bits.Bitset([1, 2, 3])
    seen = []
    for value in held:
        held.add(value + 10)
        seen.append(value)
    assert seen == [1, 2, 3]
    assert len(held) == 6


def test_repr_shows_small_sets_and_summarises_large(bits: ModuleType) -> None:
    assert repr(bits.Bitset([3, 1])) == "Bitset([1, 3])"
    assert repr(bits.Bitset(range(20))) == "Bitset(<20 values from 0 to 19>)"


def test_sets_of_the_other_backend_are_refused(twins: tuple[ModuleType, ModuleType]) -> None:
    compiled, pure = twins
    with pytest.raises(TypeError):
        compiled.Bitset([1]).update(pure.Bitset([2]))
    with pytest.raises(TypeError):
        pure.Bitset([1]).difference(compiled.Bitset([2]))
