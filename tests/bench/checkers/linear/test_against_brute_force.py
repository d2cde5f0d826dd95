"""The checker agrees with trying every linearization, on many small random histories."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome.bench.checkers.linear import check
from glome.bench.history import CheckContext, Op
from support.synthetic.linear import Shape, history

from . import brute_force

VALUES = st.sampled_from([None, 0, 1, 2])


def verdicts(ops: list[Op]) -> tuple[dict[Any, Any], dict[Any, bool]]:
    """Per key: what the checker says, and what brute force says."""
    result = check(ops, CheckContext(options=None))
    ours = {key: outcome["valid?"] for key, outcome in result["results"].items()}
    expected = {key: brute_force.linearizable(ops, key) for key in brute_force.keys(ops)}
    return ours, expected


@st.composite
def arbitrary_histories(draw: st.DrawFn) -> list[Op]:
    """Up to 7 ops on one or two keys with arbitrary overlaps, values and outcomes."""
    events: list[tuple[int, int, int, Op]] = []
    for process in range(draw(st.integers(1, 7))):
        key = draw(st.sampled_from([0, 0, 1]))
        f = draw(st.sampled_from(["read", "write", "cas"]))
        outcome = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        start = draw(st.integers(0, 20))
        end = start + draw(st.integers(1, 10))
        argument = None
        if f == "write":
            argument = draw(VALUES.filter(lambda v: v is not None))
        elif f == "cas":
            argument = [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
        invocation = {"process": process, "f": f, "value": [key, argument], "type": "invoke"}
        result = draw(VALUES) if f == "read" and outcome == "ok" else argument
        completion = {**invocation, "type": outcome, "value": [key, result]}
        events.append((start, 0, process, invocation))
        if not (outcome == "info" and draw(st.booleans())):
            events.append((end, 1, process, completion))
    ordered = [op for *_, op in sorted(events, key=lambda event: event[:3])]
    return [{**op, "index": i, "time": i} for i, op in enumerate(ordered)]


def simulated_shapes() -> st.SearchStrategy[Shape]:
    return st.builds(
        Shape,
        ops=st.integers(1, 7),
        node_count=st.integers(1, 2),
        latency=st.sampled_from([0.001, 0.01, 0.05]),
        timeout=st.just(0.02),
        timeout_chance=st.sampled_from([0.0, 0.2, 0.5]),
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_histories())
def test_agrees_with_brute_force_on_arbitrary_histories(ops: list[Op]) -> None:
    ours, expected = verdicts(ops)
    assert ours == expected


@settings(max_examples=300, deadline=None)
@given(simulated_shapes(), st.integers(0, 2**32))
def test_simulated_register_histories_are_linearizable(shape: Shape, seed: int) -> None:
    ops = history(shape, seed)
    ours, expected = verdicts(ops)
    assert set(ours.values()) <= {True}
    assert ours == expected


@settings(max_examples=400, deadline=None)
@given(simulated_shapes(), st.integers(0, 2**32), st.data())
def test_agrees_with_brute_force_on_mutated_histories(
    shape: Shape, seed: int, data: st.DataObject
) -> None:
    ops = history(shape, seed)
    completions = [op for op in ops if op["type"] != "invoke" and op["f"] != "read"] + [
        op for op in ops if op["type"] == "ok" and op["f"] == "read"
    ]
    if completions:
        victim = data.draw(st.sampled_from(completions))
        mutation = data.draw(st.sampled_from(["value", "type"]))
        if mutation == "type":
            victim["type"] = data.draw(st.sampled_from(["ok", "fail", "info"]))
        elif victim["f"] == "cas":
            victim["value"] = [victim["value"][0], [data.draw(st.integers(0, 4)), 1]]
        else:
            victim["value"] = [victim["value"][0], data.draw(st.integers(0, 4))]
    ours, expected = verdicts(ops)
    assert ours == expected
