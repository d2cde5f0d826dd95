"""Speed of the shared checkers on broadcast histories of 20,000 ops (and set-full's
on 100,000 too).

Run: python -m pytest benchmarks/bench_checkers.py --benchmark-enable -q
(``benchmarks/history_speed.py`` prints set-full and the history writers side by side
on both backends.)
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
    ops: int = OPS,
    concurrency: int = CONCURRENCY,
    spread_ms: int = 500,
    lose: float = 0.0,
    empty_reads: bool = False,
    noise: float = 0.0,
    seed: int = 7,
    add_f: str = "broadcast",
) -> list[dict[str, Any]]:
    """Half adds, half reads: a value shows up in reads a random 0..spread_ms
    after its add began, or never (with probability ``lose``). Ends like
    Maelstrom's final phase: after a quiet spell, reads on every worker.

    ``noise`` makes it messier for correctness tests: reads drop values and
    hold strays, values are re-added, and ops fail or end indeterminate."""
    rng = random.Random(seed)
    history: list[dict[str, Any]] = []
    visible_at: dict[int, int] = {}  # value -> time it shows up in reads
    open_ops: dict[int, dict[str, Any]] = {}
    time = value = 0
    while len(history) < ops:
        time += rng.randrange(0, 2 * MS)
        final = len(history) >= ops - 3 * concurrency
        if final:
            time += spread_ms * MS // concurrency
        process = len(history) % concurrency if final else rng.randrange(concurrency)
        if process in open_ops:
            invocation = open_ops.pop(process)
            result = invocation["value"]
            if invocation["f"] == "read" and not empty_reads:
                kept = 1 - noise * rng.random()
                result = [v for v, at in visible_at.items() if at <= time and rng.random() < kept]
                result += [-1] * (rng.random() < noise)
            elif invocation["f"] == "read":
                result = []
            kind = "ok" if rng.random() >= noise else rng.choice(["fail", "info"])
            op = {**invocation, "type": kind, "value": result}
        elif rng.random() < 0.5 and not final:
            element = rng.randrange(value) if value and rng.random() < noise / 5 else value
            value += element == value
            if rng.random() >= lose:
                visible_at[element] = time + rng.randrange(spread_ms) * MS
            op = {"process": process, "type": "invoke", "f": add_f, "value": element}
        else:
            op = {"process": process, "type": "invoke", "f": "read", "value": None}
        op = {**op, "index": len(history), "time": time}
        if op["type"] == "invoke":
            open_ops[process] = op
        history.append(op)
    return history


@pytest.mark.parametrize("shape", ["healthy", "lossy", "empty-reads"])
@pytest.mark.parametrize("ops", [OPS, 100_000])
def test_set_full(benchmark, ops, shape):
    history = broadcast_history(
        ops, lose=0.1 if shape == "lossy" else 0, empty_reads=shape == "empty-reads"
    )
    result = benchmark(set_full.check, history, None, "broadcast")
    expected = {"healthy": True, "lossy": False, "empty-reads": False}[shape]
    assert result["valid?"] == expected


@pytest.mark.parametrize("checker", [stats.check, availability.check, exceptions.check])
def test_counting_checkers_20k_ops(benchmark, checker):
    history = broadcast_history()
    result = benchmark(checker, history, CheckContext(options=None))
    assert result["valid?"] is True
