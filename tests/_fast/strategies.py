"""Hypothesis strategies for integer sets shaped like gossip state, and worse."""

from __future__ import annotations

from hypothesis import strategies as st

from glome._fast._pure_bitset import MAX_VALUE

#: where the compiled twin moves from its word array to its overflow set
STORAGE_EDGE = 1 << 23

values = st.one_of(
    st.integers(0, 300),
    st.integers(0, 70_000),
    st.integers(STORAGE_EDGE - 130, STORAGE_EDGE + 130),
    st.integers(MAX_VALUE - 130, MAX_VALUE),
    st.integers(0, MAX_VALUE),
)


@st.composite
def runs(draw: st.DrawFn) -> set[int]:
    """A few runs of consecutive values, as broadcast values arrive."""
    result: set[int] = set()
    for _ in range(draw(st.integers(0, 4))):
        length = draw(st.integers(1, 400))
        start = draw(st.one_of(values, st.integers(0, 2_000))) % (MAX_VALUE - length + 2)
        result.update(range(start, start + length))
    return result


@st.composite
def strided(draw: st.DrawFn) -> set[int]:
    """Every k-th value of a range: what one of k nodes receives from its own clients."""
    start = draw(st.integers(0, 100_000))
    step = draw(st.integers(1, 40))
    return set(range(start, start + step * draw(st.integers(0, 300)), step))


value_sets = st.one_of(
    st.sets(values, max_size=60),
    runs(),
    strided(),
    st.builds(set.union, runs(), st.sets(values, max_size=20)),
)
