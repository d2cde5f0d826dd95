"""The challenge table says exactly what the official command lines say (docs/maelstrom.md §11)."""

from __future__ import annotations

import pytest

from glome.bench.options import parse_test_args
from glome.challenge.catalog import BY_ID, CHALLENGES, command_line

# id -> (workload, node count, concurrency, time limit, rate, latency, nemesis,
#        availability, consistency models) for every run, read off the official lines
OFFICIAL = {
    "1": [("echo", 1, 1, 10, 5, 0, set(), None, None)],
    "2": [("unique-ids", 3, 3, 30, 1000, 0, {"partition"}, "total", None)],
    "3a": [("broadcast", 1, 1, 20, 10, 0, set(), None, None)],
    "3b": [("broadcast", 5, 5, 20, 10, 0, set(), None, None)],
    "3c": [("broadcast", 5, 5, 20, 10, 0, {"partition"}, None, None)],
    "3d": [("broadcast", 25, 25, 20, 100, 100, set(), None, None)],
    "3e": [("broadcast", 25, 25, 20, 100, 100, set(), None, None)],
    "4": [("g-counter", 3, 3, 20, 100, 0, {"partition"}, None, None)],
    "5a": [("kafka", 1, 2, 20, 1000, 0, set(), None, None)],
    "5b": [("kafka", 2, 4, 20, 1000, 0, set(), None, None)],
    "5c": [("kafka", 2, 4, 20, 1000, 0, set(), None, None)],
    "6a": [("txn-rw-register", 1, 2, 20, 1000, 0, set(), "total", ["read-uncommitted"])],
    "6b": [
        ("txn-rw-register", 2, 4, 20, 1000, 0, set(), None, ["read-uncommitted"]),
        ("txn-rw-register", 2, 4, 20, 1000, 0, {"partition"}, "total", ["read-uncommitted"]),
    ],
    # glome runs 6c with partitions truly on (the official line's en dash turns them off)
    "6c": [("txn-rw-register", 2, 4, 20, 1000, 0, {"partition"}, "total", ["read-committed"])],
}


def test_all_fourteen_challenges_in_order() -> None:
    assert [c.id for c in CHALLENGES] == list(OFFICIAL)


@pytest.mark.parametrize("challenge_id", list(OFFICIAL))
def test_command_lines_parse_to_the_official_settings(challenge_id: str) -> None:
    challenge = BY_ID[challenge_id]
    assert len(challenge.command_lines) == len(OFFICIAL[challenge_id])
    for run, expected in zip(challenge.command_lines, OFFICIAL[challenge_id], strict=True):
        options = parse_test_args(command_line(challenge, run))
        workload, nodes, concurrency, time_limit, rate, latency, nemesis, avail, models = expected
        assert options.workload == workload
        assert options.nodes == [f"n{i}" for i in range(nodes)]
        assert options.concurrency == concurrency
        assert options.time_limit == time_limit
        assert options.rate == rate
        assert options.latency == latency
        assert set(options.nemesis) == nemesis
        assert options.availability == avail
        if models is not None:
            assert options.consistency_models == models
        assert options.bin_args == list(run.node_args)
        assert options.warnings == []


def test_another_binary_replaces_the_node_and_its_profile() -> None:
    challenge = BY_ID["3e"]
    options = parse_test_args(command_line(challenge, challenge.command_lines[0], "./my-node"))
    assert options.bin == "./my-node"
    assert options.bin_args == []


def test_glome_targets_are_at_least_as_strict_as_the_official_ones() -> None:
    for challenge in CHALLENGES:
        official, ours = challenge.official, challenge.targets
        for name in ("msgs_per_op", "median_ms", "max_ms"):
            bound = getattr(official, name)
            if bound is not None:
                assert getattr(ours, name) is not None
                assert getattr(ours, name) <= bound, (challenge.id, name)
