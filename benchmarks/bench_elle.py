"""Elle checker speed on 20,000- and 100,000-transaction histories (20 s and
100 s runs at --rate 1000), on the compiled graph core and on its pure twin.

Run with pytest-benchmark (compiled core, or the pure twin under
GLOME_NO_EXTENSIONS=1):
    python -m pytest benchmarks/bench_elle.py --benchmark-enable
or as a script that prints both backends side by side, one line per case, each
time the median of --repeat runs (the least and the most of them beside it):
    python benchmarks/bench_elle.py [TXNS ...] [--repeat 3]

Targets, compiled core on a quiet machine: 20,000 transactions decided in
under 0.5 s and 100,000 in under 3 s, by either checker. Histories come from
tests/support/synthetic/elle.py: 4 processes (the 6b/6c setting), 1-4
micro-ops over 10 rotating keys, against a serializable store and a buggy one
(no isolation: reads at invocation, writes at completion). The models are
those the txn workloads are run with: Maelstrom's default
strict-serializable, and read-committed and read-uncommitted (6b, 6c).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest

from glome._fast import load_compiled, load_pure
from glome.bench.checkers.elle import graph, list_append, rw_register
from glome.bench.history import Op

# the synthetic histories are test-only builders, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.synthetic import elle as synthetic

SIZES = (20_000, 100_000)
TARGET_SECONDS = {20_000: 0.5, 100_000: 3.0}

CHECKERS = {"rw-register": rw_register.check, "list-append": list_append.check}
STORES = {"serializable": True, "buggy": False}
MODELS = {
    "strict-serializable": ["strict-serializable"],
    "read-committed": ["read-committed"],
    "read-uncommitted": ["read-uncommitted"],
}


@cache
def recorded(txns: int, workload: str, store: str) -> list[Op]:
    shape = synthetic.Shape(txns=txns, appends=workload == "list-append", isolated=STORES[store])
    return synthetic.history(shape)


CASES = [(w, s, m) for w in CHECKERS for s in STORES for m in MODELS]


def expected_valid(store: str, model: str) -> bool:
    """The serializable store passes every model; the buggy one only the weak ones."""
    return STORES[store] or model != "strict-serializable"


@pytest.mark.parametrize("txns", SIZES)
@pytest.mark.parametrize(("workload", "store", "model"), CASES)
def test_analysis_time(benchmark: Any, txns: int, workload: str, store: str, model: str) -> None:
    history = recorded(txns, workload, store)
    result = benchmark.pedantic(
        CHECKERS[workload],
        args=(history,),
        kwargs={"consistency_models": MODELS[model]},
        rounds=1,
        iterations=1,
    )
    assert (result["valid?"] is True) == expected_valid(store, model)


def timed(check: Callable[..., dict[str, Any]], history: list[Op], model: str) -> tuple[float, Any]:
    start = time.perf_counter()
    result = check(history, consistency_models=MODELS[model])
    return time.perf_counter() - start, result


def on_backend(
    backend: ModuleType, check: Callable[..., Any], history: list[Op], model: str
) -> Any:
    """``timed`` with the checkers' graph core swapped for ``backend``."""
    with mock.patch.object(graph, "_graph", backend):
        return timed(check, history, model)


def main(sizes: list[int], repeat: int) -> None:
    backends = {"compiled": load_compiled("graph"), "pure": load_pure("graph")}
    print(f"{'txns':>7} {'workload':12} {'store':13} {'model':20} {'compiled':>9} {'pure':>7}")
    for txns in sizes:
        for workload, store, model in CASES:
            history = recorded(txns, workload, store)
            seconds: dict[str, list[float]] = {name: [] for name in backends}
            results = []
            for _ in range(repeat):
                for name, backend in backends.items():
                    elapsed, result = on_backend(backend, CHECKERS[workload], history, model)
                    seconds[name].append(elapsed)
                    results.append(result)
            assert all(r == results[0] for r in results), "the backends disagree"
            found = {
                t: len(v) if isinstance(v, list) else v
                for t, v in (results[0].get("anomalies") or {}).items()
            }
            compiled, pure = (statistics.median(seconds[name]) for name in backends)
            target = TARGET_SECONDS.get(txns)
            verdict = "" if target is None else ("  ok " if compiled <= target else " SLOW")
            spread = f"[{min(seconds['compiled']):.2f}-{max(seconds['compiled']):.2f}]"
            print(
                f"{txns:7} {workload:12} {store:13} {model:20} {compiled:8.2f}s "
                f"{pure:6.2f}s{verdict} {spread}  valid?={results[0]['valid?']}  {found}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    main(arguments.sizes, arguments.repeat)
