"""A checker that pauses Python's garbage collector (bench/checkers/collector.py)
leaves it as it found it, even when the history cannot be analysed."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from glome.bench.checkers.elle import list_append, rw_register
from glome.bench.checkers.kafka import checker as kafka
from support.synthetic import elle as synthetic
from support.synthetic import kafka as synthetic_kafka


@pytest.fixture(params=[True, False], ids=["collector-on", "collector-off"])
def collector(request: pytest.FixtureRequest) -> Iterator[bool]:
    was_enabled = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    yield request.param
    (gc.enable if was_enabled else gc.disable)()


def test_the_collector_is_restored_after_an_analysis(collector: bool) -> None:
    history = synthetic.history(synthetic.Shape(txns=200, appends=True))
    assert list_append.check(history, consistency_models=["serializable"])["valid?"] is True
    assert gc.isenabled() is collector


def test_the_collector_is_restored_after_a_history_error(collector: bool) -> None:
    mixed = [
        {"index": 0, "type": "invoke", "process": 0, "f": "txn", "value": [["w", 1, 1]]},
        {"index": 1, "type": "ok", "process": 0, "f": "txn", "value": [["w", "1", 1]]},
    ]
    assert rw_register.check(mixed)["valid?"] == "unknown"
    assert gc.isenabled() is collector


def test_the_collector_is_restored_after_a_kafka_check(collector: bool) -> None:
    history = synthetic_kafka.simulate(synthetic_kafka.RunShape(operations=500), seed=1)
    assert kafka.check(history, None)["valid?"] is True
    assert gc.isenabled() is collector
