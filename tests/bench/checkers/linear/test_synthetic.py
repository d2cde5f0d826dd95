"""The synthetic histories the benchmark relies on follow the lin-kv generator's pattern."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from glome.bench.history import pairs
from support.synthetic.linear import (
    MAX_PROCESSES_PER_KEY,
    Shape,
    history,
    indeterminate_then_impossible,
)


def test_generator_pattern() -> None:
    shape = Shape(ops=5000, node_count=3, groups=2, timeout_chance=0.05)
    ops = history(shape, seed=3)
    assert sum(op["type"] == "invoke" for op in ops) == shape.ops
    assert [op["index"] for op in ops] == list(range(len(ops)))
    assert all(a["time"] <= b["time"] for a, b in pairwise(ops))
    processes_by_key = defaultdict(set)
    outcomes = defaultdict(int)
    for invocation, completion in pairs(ops):
        assert completion is not None
        key, value = invocation["value"]
        processes_by_key[key].add(invocation["process"])
        outcomes[invocation["f"], completion["type"]] += 1
        thread = invocation["process"] % (shape.groups * 2 * shape.node_count)
        assert (invocation["f"] == "read") == (thread < shape.node_count)
        if invocation["f"] == "write":
            assert value in range(5)
        elif invocation["f"] == "cas":
            assert all(v in range(5) for v in value)
    assert len(processes_by_key) > shape.groups
    assert max(len(p) for p in processes_by_key.values()) <= MAX_PROCESSES_PER_KEY + 1
    assert outcomes["read", "info"] == 0
    for f, kind in [("read", "ok"), ("read", "fail"), ("write", "info"), ("cas", "fail")]:
        assert outcomes[f, kind] > 0


def test_hard_key_shape() -> None:
    ops = indeterminate_then_impossible(infos=5, tail=10, seed=0)
    assert [op["type"] for op in ops[:10]] == ["invoke", "info"] * 5
    assert ops[-1]["value"] == ["k", 9]
    assert len(ops) == 2 * (5 + 1 + 10 + 1)
