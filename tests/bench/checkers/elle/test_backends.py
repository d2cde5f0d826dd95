"""The checkers give the very same result map on the compiled graph core as on
its pure twin (the reference): verdicts, anomaly types, every example and its
explanation, on synthetic histories from serializable and broken stores, under
the models the txn workloads are run with."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from glome._fast import load_pure
from glome.bench.checkers.elle import graph, list_append, rw_register
from support.compiled import compiled_module
from support.synthetic import elle as synthetic

CHECKERS = {"rw-register": rw_register.check, "list-append": list_append.check}
MODELS = [
    "strict-serializable",
    "serializable",
    "snapshot-isolation",
    "read-committed",
    "read-uncommitted",
    "strong-session-serializable",
]
STORES = {
    "serializable": {},
    "buggy": {"isolated": False},
    "leaking": {"leak_aborted": True, "fail_rate": 0.1},
}
#: no search may time out here: a timeout depends on the machine, not the backend
NO_TIMEOUT_MS = 1e9


def run(
    backend: ModuleType,
    check: Callable[..., dict[str, Any]],
    history: list[dict[str, Any]],
    model: str,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    with monkeypatch.context() as patched:
        patched.setattr(graph, "_graph", backend)
        return check(history, consistency_models=[model], cycle_search_timeout_ms=NO_TIMEOUT_MS)


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("workload", CHECKERS)
def test_both_backends_give_the_same_result(
    workload: str, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = compiled_module("graph")
    shape = synthetic.Shape(
        txns=1500, processes=5, appends=workload == "list-append", seed=11, **STORES[store]
    )
    history = synthetic.history(shape)
    for model in MODELS:
        expected = run(load_pure("graph"), CHECKERS[workload], history, model, monkeypatch)
        assert run(compiled, CHECKERS[workload], history, model, monkeypatch) == expected, model
        if store == "serializable":
            assert expected["valid?"] is True, model
