"""Whole simulated runs: a serializable store passes the strictest model with
fail and info outcomes mixed in; broken stores are caught."""

from __future__ import annotations

import pytest

from glome.bench.checkers.elle import list_append, rw_register
from support.synthetic import elle as synthetic

CHECKERS = {False: rw_register.check, True: list_append.check}


@pytest.mark.parametrize("appends", [False, True])
@pytest.mark.parametrize("processes", [2, 4, 10])
def test_a_serializable_store_is_strict_serializable(appends: bool, processes: int) -> None:
    shape = synthetic.Shape(txns=3000, processes=processes, appends=appends, seed=processes)
    history = synthetic.history(shape)
    assert {op["type"] for op in history} == {"invoke", "ok", "fail", "info"}
    result = CHECKERS[appends](history, consistency_models=["strict-serializable"])
    assert result["valid?"] is True, result.get("anomaly-types")


@pytest.mark.parametrize("appends", [False, True])
def test_a_store_without_isolation_is_not_serializable(appends: bool) -> None:
    history = synthetic.history(synthetic.Shape(txns=3000, appends=appends, isolated=False))
    result = CHECKERS[appends](history, consistency_models=["serializable"])
    assert result["valid?"] is False
    assert {"lost-update", "internal"} <= set(result["anomaly-types"])
    assert any(t.startswith(("G2-item", "G-single-item")) for t in result["anomaly-types"])


@pytest.mark.parametrize("appends", [False, True])
def test_a_store_keeping_aborted_writes_is_not_read_committed(appends: bool) -> None:
    shape = synthetic.Shape(txns=3000, appends=appends, leak_aborted=True, fail_rate=0.1)
    result = CHECKERS[appends](synthetic.history(shape), consistency_models=["read-committed"])
    assert result["valid?"] is False
    assert "G1a" in result["anomaly-types"]
