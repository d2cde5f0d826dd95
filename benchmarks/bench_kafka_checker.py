"""Speed of the kafka checker on simulated 20 s runs at --rate 1000.

Each history is a synthetic run (support.synthetic.kafka): 20,000
invocations (about 40,000 history entries) by 2 or 4 clients over 10 rotating
keys with at most 16 messages each, a crash per client every ~30 s, the final
seek-to-beginning polls, against a correct log service and against each broken
one. The target is under 5 s per analysis.

Run: python -m pytest benchmarks/bench_kafka_checker.py --benchmark-enable -q
or:  python benchmarks/bench_kafka_checker.py   (prints a table, best of 3)
"""

from __future__ import annotations

import sys
import time
from functools import cache
from pathlib import Path

import pytest

from glome.bench.checkers.kafka import check
from glome.bench.history import CheckContext

# the synthetic histories are test-only builders, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.synthetic.kafka import FAULTS, RunShape, simulate

OPERATIONS = 20_000
SERVICES = (None, *FAULTS)


@cache
def history(concurrency: int, fault: str | None) -> list:
    shape = RunShape(operations=OPERATIONS, concurrency=concurrency, fault=fault)
    return simulate(shape, seed=concurrency)


@pytest.mark.parametrize("fault", SERVICES, ids=lambda fault: fault or "correct")
@pytest.mark.parametrize("concurrency", [2, 4])
def test_check_20s_run(benchmark, concurrency: int, fault: str | None) -> None:
    ops = history(concurrency, fault)
    result = benchmark(check, ops, CheckContext(options=None))
    assert result["valid?"] is (fault is None)


def main() -> None:
    print(f"{'clients':>7} {'service':<20} {'entries':>8} {'reads':>7} {'check s':>8}  verdict")
    for concurrency in (2, 4):
        for fault in SERVICES:
            ops = history(concurrency, fault)
            reads = sum(
                len(pairs)
                for op in ops
                if op["f"] == "poll" and op["type"] == "ok"
                for pairs in op["value"][0][1].values()
            )
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                result = check(ops, CheckContext(options=None))
                best = min(best, time.perf_counter() - started)
            verdict = "valid" if result["valid?"] else ",".join(result["bad-error-types"])
            print(
                f"{concurrency:>7} {fault or 'correct':<20} {len(ops):>8} {reads:>7} "
                f"{best:>8.3f}  {verdict}"
            )


if __name__ == "__main__":
    main()
