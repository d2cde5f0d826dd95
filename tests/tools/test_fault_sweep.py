"""tools/fault_sweep.py: the runs it plans, the flags each gets, and one real run.

The sweep itself takes tens of minutes; these tests check that it asks
``glome test`` for what the issue names (every configuration, partitions,
three latency settings, the challenge's size and 5 nodes, the challenge's own
workload flags) and that a run's verdict is read from its own store.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "fault_sweep.py"


@pytest.fixture(scope="module")
def sweep():
    spec = importlib.util.spec_from_file_location("fault_sweep", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_sweep"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules["fault_sweep"]


def flag_values(arguments: list[str], flag: str) -> list[str]:
    return [arguments[i + 1] for i, word in enumerate(arguments) if word == flag]


def test_every_configuration_runs_at_its_challenge_size_and_at_5_nodes(sweep):
    plans = sweep.plans(list(sweep.CONFIGS), [1, 2], None)
    sizes = {(plan.config.name, plan.node_count) for plan in plans}
    assert sizes == {
        ("echo", 1), ("echo", 5),
        ("unique-ids", 3), ("unique-ids", 5),
        ("broadcast-latency", 5),
        ("broadcast-efficient", 25), ("broadcast-efficient", 5),
        ("broadcast-frugal", 25), ("broadcast-frugal", 5),
        ("counter", 3), ("counter", 5),
        ("kafka-fast", 2), ("kafka-fast", 5),
        ("kafka-kv", 2), ("kafka-kv", 5),
        ("txn", 2), ("txn", 5),
    }  # fmt: skip
    per_size = Counter((plan.config.name, plan.node_count) for plan in plans)
    assert set(per_size.values()) == {6}, "three latency settings times two seeds"
    assert len(plans) == len(set(plans))


def test_a_run_gets_the_sweeps_faults_once_and_keeps_the_challenges_flags(sweep):
    plans = sweep.plans(list(sweep.CONFIGS), [7], 5)
    for plan in plans:
        arguments = plan.arguments()
        assert flag_values(arguments, "--nemesis") == ["partition"]
        assert flag_values(arguments, "--node-count") == [str(plan.node_count)]
        assert flag_values(arguments, "--time-limit") == ["5"]
        assert flag_values(arguments, "--seed") == ["7"]
        latency = flag_values(arguments, "--latency")
        assert latency == ["0" if plan.latency == "0" else "100"]
        exponential = flag_values(arguments, "--latency-dist")
        assert exponential == (["exponential"] if plan.latency == "100-exp" else [])
        if plan.config.node_args:  # the node's own arguments come last, after every flag
            assert arguments[-len(plan.config.node_args) :] == list(plan.config.node_args)
    txn = next(plan.arguments() for plan in plans if plan.config.name == "txn")
    assert flag_values(txn, "--consistency-models") == ["read-committed"]
    assert flag_values(txn, "--availability") == ["total"]
    kafka = next(plan.arguments() for plan in plans if plan.config.name == "kafka-kv")
    assert flag_values(kafka, "--concurrency") == ["2n"]
    assert flag_values(kafka, "--rate") == ["1000"]
    assert kafka[-1] == "kv"


def test_the_durable_sweep_kills_and_pauses_the_durable_modes_without_total_availability(sweep):
    plans = sweep.plans(list(sweep.DURABLE_CONFIGS), [3], None, "partition,kill,pause", True)
    assert "echo" not in {plan.config.name.split("-")[0] for plan in plans}
    for plan in plans:
        arguments = plan.arguments()
        assert flag_values(arguments, "--nemesis") == ["partition,kill,pause"]
        assert flag_values(arguments, "--availability") == []
        assert "--sim" in arguments and arguments[-1] == "durable"
    txn = next(plan.arguments() for plan in plans if plan.config.name == "txn-durable")
    assert flag_values(txn, "--consistency-models") == ["read-committed"]


def test_the_challenges_time_limit_is_the_default(sweep):
    limits = {
        plan.config.name: plan.time_limit for plan in sweep.plans(list(sweep.CONFIGS), [1], None)
    }
    assert limits["echo"] == 10 and limits["unique-ids"] == 30 and limits["txn"] == 20


@pytest.mark.timeout(60)
def test_one_run_is_judged_from_its_own_store(sweep, tmp_path):
    config = next(config for config in sweep.CONFIGS if config.name == "echo")
    plan = sweep.Plan(config, 5, "100-exp", 3, 1)
    verdict = sweep.run(plan, tmp_path)
    assert verdict.valid is True, verdict.problem
    assert not verdict.failed and verdict.ok_fraction == 1.0
    assert verdict.store is not None
    assert verdict.store.is_relative_to(tmp_path / plan.label / "store" / "echo")
    assert (verdict.store / "results.json").exists()
    assert "echo" in sweep.row(verdict) and str(verdict.store) in sweep.row(verdict)


@pytest.mark.timeout(60)
def test_a_run_that_leaves_no_results_is_a_failure(sweep, tmp_path):
    echo = next(config for config in sweep.CONFIGS if config.name == "echo")
    missing = replace(echo.challenge, binary=str(tmp_path / "no-such-node"))
    verdict = sweep.run(sweep.Plan(replace(echo, challenge=missing), 1, "0", 1, 1), tmp_path)
    assert verdict.failed and verdict.valid is None and verdict.store is None
    assert verdict.problem == "no results.json"
