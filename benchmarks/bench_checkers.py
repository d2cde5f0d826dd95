"""Speed of the shared checkers on 20,000-op broadcast histories.

Run: python -m pytest benchmarks/bench_checkers.py --benchmark-enable -q
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from glome.bench.checkers import availability, exceptions, set_full, stats
from glome.bench.history import CheckContext

MS = 1_000_000
OPS = 20_000
CONCURRENCY = 25


def broadcast_history(
    ops: int = OPS, spread_ms: int = 500, lose_every: int = 0, empty_reads: bool = False
) -> list[dict[str, Any]]:
    """Half broadcasts, half reads over 25 workers; a value shows up in reads a
    random 0..spread_ms after its broadcast was invoked, or never when lost.
    Ends like Maelstrom's final phase: after a quiet spell, one read per worker."""
    rng = random.Random(7)
    history: list[dict[str, Any]] = []
    visible_at: list[tuple[int, int]] = []  # (time the value becomes visible, value)
    open_ops: dict[int, dict[str, Any]] = {}
    time = 0
    value = 0
    while len(history) < ops:
        time += rng.randrange(0, 2 * MS)  # about 1000 ops/s
        final = len(history) >= ops - 3 * CONCURRENCY
        if final:
            time += spread_ms * MS // CONCURRENCY
        process = len(history) % CONCURRENCY if final else rng.randrange(CONCURRENCY)
        if process in open_ops:
            invocation = open_ops.pop(process)
            result = invocation["value"]
            if invocation["f"] == "read":
                result = [] if empty_reads else [v for at, v in visible_at if at <= time]
            op = {**invocation, "type": "ok", "value": result}
        elif rng.random() < 0.5 and not final:
            op = {"process": process, "type": "invoke", "f": "broadcast", "value": value}
            if not (lose_every and value % lose_every == 0):
                visible_at.append((time + rng.randrange(spread_ms) * MS, value))
            value += 1
        else:
            op = {"process": process, "type": "invoke", "f": "read", "value": None}
        op = {**op, "index": len(history), "time": time}
        if op["type"] == "invoke":
            open_ops[process] = op
        history.append(op)
    return history


@pytest.mark.parametrize(
    "shape",
    ["healthy", "lossy", "empty-reads"],
)
def test_set_full_20k_ops(benchmark, shape):
    history = broadcast_history(
        lose_every=10 if shape == "lossy" else 0, empty_reads=shape == "empty-reads"
    )
    result = benchmark(set_full.check, history, None, "broadcast")
    expected = {"healthy": True, "lossy": False, "empty-reads": False}[shape]
    assert result["valid?"] == expected


@pytest.mark.parametrize("checker", [stats.check, availability.check, exceptions.check])
def test_counting_checkers_20k_ops(benchmark, checker):
    history = broadcast_history()
    result = benchmark(checker, history, CheckContext(options=None))
    assert result["valid?"] is True
