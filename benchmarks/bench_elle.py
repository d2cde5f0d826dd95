"""Elle checker speed on 20,000-transaction histories (a 20 s run at --rate 1000).

Run with pytest-benchmark:
    python -m pytest benchmarks/bench_elle.py --benchmark-enable
or as a script that prints one line of figures per case:
    python benchmarks/bench_elle.py

Target: analysed in under 5 s. Histories come from
glome.bench.checkers.elle.synthetic: 4 processes (the 6b/6c setting),
1-4 micro-ops over 10 rotating keys, against a serializable store and a
buggy one (no isolation: reads at invocation, writes at completion).
"""

from __future__ import annotations

import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from glome.bench.checkers.elle import list_append, rw_register
from glome.bench.history import Op

# the synthetic histories are test-only builders, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.synthetic import elle as synthetic

TXNS = 20_000

CHECKERS = {"rw-register": rw_register.check, "list-append": list_append.check}
STORES = {"serializable": True, "buggy": False}
MODELS = {
    "strict-serializable": ["strict-serializable"],
    "read-committed": ["read-committed"],
}


@cache
def recorded(workload: str, store: str) -> list[Op]:
    shape = synthetic.Shape(txns=TXNS, appends=workload == "list-append", isolated=STORES[store])
    return synthetic.history(shape)


CASES = [(w, s, m) for w in CHECKERS for s in STORES for m in MODELS]


@pytest.mark.parametrize(("workload", "store", "model"), CASES)
def test_analysis_time(benchmark: Any, workload: str, store: str, model: str) -> None:
    history = recorded(workload, store)
    result = benchmark.pedantic(
        CHECKERS[workload],
        args=(history,),
        kwargs={"consistency_models": MODELS[model]},
        rounds=1,
        iterations=1,
    )
    expected = STORES[store] or model == "read-committed"
    assert (result["valid?"] is True) == expected


def main() -> None:
    for workload, store, model in CASES:
        history = recorded(workload, store)
        start = time.perf_counter()
        result = CHECKERS[workload](history, consistency_models=MODELS[model])
        elapsed = time.perf_counter() - start
        found = {
            t: len(v) if isinstance(v, list) else v
            for t, v in (result.get("anomalies") or {}).items()
        }
        print(
            f"{workload:12} {store:13} {model:20} {len(history):6} ops "
            f"{elapsed:6.2f} s  valid?={result['valid?']}  {found}"
        )


if __name__ == "__main__":
    main()
