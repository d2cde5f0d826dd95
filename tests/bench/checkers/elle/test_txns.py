"""Txns sorts a history's txn ops by type as it reads them: ``of_type`` hands out
those lists (and merges of them) in history order, whatever the history holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from glome.bench.checkers.elle import analysis as an
from glome.bench.history import FAIL, INFO, INVOKE, OK, Op

mops = st.one_of(
    st.tuples(st.just("r"), st.integers(0, 2), st.none() | st.lists(st.integers(1, 4))),
    st.tuples(st.just("append"), st.integers(0, 2), st.integers(1, 4)),
).map(list)


@st.composite
def histories(draw: st.DrawFn) -> list[Op]:
    kinds = st.sampled_from([INVOKE, OK, INFO, FAIL])
    ops = draw(st.lists(st.tuples(kinds, st.lists(mops, min_size=1, max_size=4)), max_size=12))
    return [
        {"index": i, "type": kind, "process": i % 3, "f": "txn", "value": value}
        for i, (kind, value) in enumerate(ops)
    ]


@given(histories())
def test_ops_of_one_or_more_types_keep_history_order(history: list[Op]) -> None:
    txns = an.Txns.of(history)
    for types in [(INVOKE,), (OK,), (FAIL,), (INFO,), (OK, INFO), (INFO, OK)]:
        assert txns.of_type(*types) == [op for op in history if op["type"] in types]
