"""Speed of the kafka checker on simulated runs at --rate 1000, compiled core and pure twin.

Each history is a synthetic run (support.synthetic.kafka): 20,000 invocations
(a 20 s run, about 40,000 history entries) or 100,000, by 2 or 4 clients over
10 rotating keys with at most 16 messages each, a crash per client every
~30 s, the final seek-to-beginning polls, against a correct log service and
against each broken one. The targets, with the compiled core on a quiet
machine: 0.5 s per 20,000-op analysis, 3 s per 100,000-op one.

Run: python -m pytest benchmarks/bench_kafka_checker.py --benchmark-enable -q
or:  python benchmarks/bench_kafka_checker.py   (prints both backends side by side, best of 3)
"""

from __future__ import annotations

import sys
import time
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest

from glome._fast import load_compiled, load_pure
from glome.bench.checkers.kafka import backend, check
from glome.bench.history import CheckContext

# the synthetic histories are test-only builders, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.synthetic.kafka import FAULTS, RunShape, simulate

#: main-phase invocations -> the most seconds one analysis may take (compiled core)
TARGETS = {20_000: 0.5, 100_000: 3.0}
SERVICES = (None, *FAULTS)
REPEATS = 3


@cache
def history(operations: int, concurrency: int, fault: str | None) -> list:
    shape = RunShape(operations=operations, concurrency=concurrency, fault=fault)
    return simulate(shape, seed=concurrency)


def cores() -> dict[str, ModuleType]:
    """The backends to time: the compiled module when it was built, and the pure twin."""
    found = {}
    try:
        found["compiled"] = load_compiled("kafka_orders")
    except ImportError as error:
        print(f"compiled kafka_orders not built ({error}): pure twin only", file=sys.stderr)
    found["pure"] = load_pure("kafka_orders")
    return found


@pytest.mark.parametrize("core", ["compiled", "pure"])
@pytest.mark.parametrize("fault", SERVICES, ids=lambda fault: fault or "correct")
@pytest.mark.parametrize("concurrency", [2, 4])
@pytest.mark.parametrize("operations", list(TARGETS))
def test_check_run(
    benchmark: Any, operations: int, concurrency: int, fault: str | None, core: str
) -> None:
    module = load_compiled("kafka_orders") if core == "compiled" else load_pure("kafka_orders")
    ops = history(operations, concurrency, fault)
    with mock.patch.object(backend, "orders", module):
        result = benchmark(check, ops, CheckContext(options=None))
    assert result["valid?"] is (fault is None)


def best_time(core: ModuleType, ops: list) -> tuple[float, dict[str, Any]]:
    """The fastest of ``REPEATS`` analyses of ``ops`` on ``core``, and the result."""
    best = float("inf")
    with mock.patch.object(backend, "orders", core):
        for _ in range(REPEATS):
            started = time.perf_counter()
            result = check(ops, CheckContext(options=None))
            best = min(best, time.perf_counter() - started)
    return best, result


def polled_messages(ops: list) -> int:
    return sum(
        len(pairs)
        for op in ops
        if op["f"] == "poll" and op["type"] == "ok"
        for pairs in op["value"][0][1].values()
    )


def verdict(result: dict[str, Any]) -> str:
    return "valid" if result["valid?"] is True else ",".join(result["bad-error-types"])


def main() -> None:
    backends = cores()
    header = f"{'ops':>7} {'clients':>7} {'service':<20} {'entries':>8} {'reads':>7}"
    print(header + "".join(f" {name + ' s':>10}" for name in backends) + "  verdict")
    for operations, target in TARGETS.items():
        for concurrency in (2, 4):
            for fault in SERVICES:
                ops = history(operations, concurrency, fault)
                timings = {name: best_time(core, ops) for name, core in backends.items()}
                results = [result for _, result in timings.values()]
                assert all(result == results[0] for result in results), "the backends disagree"
                line = f"{operations:>7} {concurrency:>7} {fault or 'correct':<20} {len(ops):>8}"
                line += f" {polled_messages(ops):>7}"
                line += "".join(f" {seconds:>10.3f}" for seconds, _ in timings.values())
                line += f"  {verdict(results[0])}"
                if timings.get("compiled", (0.0, {}))[0] > target:
                    line += f"  OVER the {target:g} s target"
                print(line, flush=True)


if __name__ == "__main__":
    main()
