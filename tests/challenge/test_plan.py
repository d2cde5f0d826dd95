"""Challenge ids to jobs: order, 6b's two lines, --runs, seeds, the time-limit override."""

from __future__ import annotations

import pytest

from glome.bench.options import parse_test_args
from glome.challenge.catalog import BY_ID, CHALLENGES
from glome.challenge.plan import PlanError, plan, with_time_limit


def test_all_is_every_line_of_every_challenge_in_order() -> None:
    jobs = plan(["all"])
    assert [job.challenge.id for job in jobs] == [c.id for c in CHALLENGES for _ in c.command_lines]
    assert len(jobs) == 15  # 14 challenges, 6b with two command lines
    assert [job.line for job in jobs if job.challenge.id == "6b"] == [1, 2]
    assert [job.new_row().label for job in jobs if job.challenge.id == "6b"] == [
        "6b line 1",
        "6b line 2",
    ]


def test_ids_are_case_insensitive_and_unknown_ones_are_refused() -> None:
    assert [job.challenge.id for job in plan(["3E", "1"])] == ["3e", "1"]
    with pytest.raises(PlanError, match="unknown challenge '7'"):
        plan(["7"])


def test_runs_repeat_each_line_with_consecutive_seeds() -> None:
    jobs = plan(["6b"], runs=2, seed=40)
    assert [(job.line, job.attempt, job.seed) for job in jobs] == [
        (1, 1, 40),
        (1, 2, 41),
        (2, 1, 40),
        (2, 2, 41),
    ]
    assert jobs[1].new_row().label == "6b line 1 run 2"
    assert all(job.seed is None for job in plan(["1"], runs=2))


def test_time_limit_override_replaces_only_the_time_limit() -> None:
    (job,) = plan(["3e"], time_limit=3)
    options = parse_test_args(job.test_args())
    official = parse_test_args(plan(["3e"])[0].test_args())
    assert options.time_limit == 3 and official.time_limit == 20
    assert (options.nodes, options.rate, options.latency, options.bin_args) == (
        official.nodes,
        official.rate,
        official.latency,
        official.bin_args,
    )
    assert with_time_limit(BY_ID["1"].command_lines[0], 5).flags.count("--time-limit") == 1


def test_glome_nodes_meet_glomes_targets_another_binary_the_official_ones() -> None:
    (own,) = plan(["3d"])
    (theirs,) = plan(["3d"], binary="./my-node")
    assert own.targets == BY_ID["3d"].targets
    assert theirs.targets == BY_ID["3d"].official
    assert parse_test_args(theirs.test_args()).bin == "./my-node"
    assert parse_test_args(theirs.test_args()).bin_args == []


def test_6c_runs_with_partitions_on() -> None:
    (job,) = plan(["6c"])
    assert parse_test_args(job.test_args()).nemesis == frozenset({"partition"})
