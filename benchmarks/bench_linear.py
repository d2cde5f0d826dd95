"""lin-kv checker speed on 20,000-op histories shaped like the lin-kv generator's.

Run with pytest-benchmark:
    python -m pytest benchmarks/bench_linear.py --benchmark-enable
or as a script that prints one line of figures per shape:
    python benchmarks/bench_linear.py
or, for recorded lin-kv runs, with their store directories:
    python benchmarks/bench_linear.py store/lin-kv/latest ...

Target: a 20 s run at --rate 1000 (about 20,000 ops) is checked in
under 10 s, or the keys that cannot be decided come back unknown. Besides
histories shaped like the generator's (valid, and with a few reads corrupted),
it times single hard keys: many indeterminate ops, a long tail and a final
impossible read, which the search must refute exhaustively or give up on
(unknown) within the default budget.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from glome.bench.checkers.linear import check
from glome.bench.history import CheckContext, Op
from glome.bench.results import load_history, resolve_test

# the synthetic histories are test-only builders, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.synthetic.linear import Shape, history, indeterminate_then_impossible

SHAPES = {
    "n5-fast": Shape(),
    "n3-fast": Shape(node_count=3),
    "n5-slow-nodes": Shape(latency=0.05, timeout=0.3),
    "n5-many-timeouts": Shape(latency=0.05, timeout=0.3, timeout_chance=0.2),
    "n5-4-groups": Shape(latency=0.02, groups=4),
    "n1-3-groups-timeouts": Shape(node_count=1, groups=3, timeout_chance=0.05),
}

HARD_KEYS = {"15-infos": 15, "30-infos": 30, "60-infos": 60}
HARD_TAIL = 20_000


def corrupted(ops: list[Op], reads: int = 3, seed: int = 0) -> list[Op]:
    """The history with a few :ok reads returning a different value (not linearizable)."""
    rng = random.Random(seed)
    copy = [dict(op) for op in ops]
    candidates = [op for op in copy if op["type"] == "ok" and op["f"] == "read"]
    for op in rng.sample(candidates, min(reads, len(candidates))):
        key, value = op["value"]
        op["value"] = [key, (value + 1) % 5]
    return copy


def checked(ops: list[Op]) -> dict:
    return check(ops, CheckContext(options=None))


@pytest.mark.parametrize("name", SHAPES)
def test_check_linearizable(benchmark, name: str) -> None:
    ops = history(SHAPES[name], seed=1)
    result = benchmark.pedantic(checked, args=(ops,), rounds=3)
    assert result["valid?"] is True


@pytest.mark.parametrize("name", SHAPES)
def test_check_corrupted(benchmark, name: str) -> None:
    ops = corrupted(history(SHAPES[name], seed=1))
    result = benchmark.pedantic(checked, args=(ops,), rounds=3)
    assert result["valid?"] is False


@pytest.mark.parametrize("name", HARD_KEYS)
def test_check_hard_key(benchmark, name: str) -> None:
    ops = indeterminate_then_impossible(HARD_KEYS[name], HARD_TAIL, seed=1)
    result = benchmark.pedantic(checked, args=(ops,), rounds=1)
    assert result["valid?"] in (False, "unknown")


def report(name: str, label: str, ops: list[Op]) -> None:
    """Check one history and print its figures on one line."""
    started = time.perf_counter()
    result = checked(ops)
    elapsed = time.perf_counter() - started
    verdicts = Counter(str(outcome["valid?"]) for outcome in result["results"].values())
    infos = sum(op["type"] == "info" for op in ops)
    print(
        f"{name:22} {label:12} {len(ops):6} entries  {infos:4} info  "
        f"{len(result['results']):4} keys  {elapsed:6.2f} s  valid?={result['valid?']} "
        f"{dict(verdicts)}"
    )


def main(stores: list[str]) -> None:
    for store in stores:
        report(Path(store).name, "recorded", load_history(resolve_test(store)))
    if stores:
        return
    for name, shape in SHAPES.items():
        ops = history(shape, seed=1)
        report(name, "linearizable", ops)
        report(name, "corrupted", corrupted(ops))
    for name, infos in HARD_KEYS.items():
        started = time.perf_counter()
        result = checked(indeterminate_then_impossible(infos, HARD_TAIL, seed=1))["results"]["k"]
        elapsed = time.perf_counter() - started
        outcome = result["linearizable"]
        print(
            f"hard key {name:13} {2 * (infos + HARD_TAIL + 2):6} entries  {elapsed:6.2f} s  "
            f"valid?={outcome['valid?']} {outcome.get('cause', '')} "
            f"configs={outcome['configs-explored']}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
