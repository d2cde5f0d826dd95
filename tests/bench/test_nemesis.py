"""Partition grudges (docs/maelstrom.md §4.4)."""

from __future__ import annotations

import random

import pytest

from glome.bench.nemesis import (
    grudge_for,
    majorities_ring_perfect,
    majority,
    minority_third,
)

NODES5 = ["n0", "n1", "n2", "n3", "n4"]


def heard_by(grudge, node, nodes):
    return {other for other in nodes if other not in grudge.get(node, [])}


def test_sizes():
    assert [majority(n) for n in (1, 2, 3, 5, 25)] == [1, 2, 2, 3, 13]
    assert [minority_third(n) for n in (2, 3, 4, 5, 25)] == [0, 0, 1, 1, 8]


def test_one_isolates_a_single_node_both_ways():
    grudge = grudge_for("one", NODES5, random.Random(1))
    isolated = [node for node, dropped in grudge.items() if len(dropped) == 4]
    assert len(isolated) == 1
    for node in NODES5:
        if node != isolated[0]:
            assert grudge[node] == [isolated[0]]


def test_majority_is_a_clean_cut():
    grudge = grudge_for("majority", NODES5, random.Random(2))
    sizes = sorted(len(dropped) for dropped in grudge.values())
    assert sizes == [2, 2, 2, 3, 3]  # two nodes drop three, three drop two
    for node, dropped in grudge.items():
        for other in dropped:
            assert node in grudge[other]


@pytest.mark.parametrize("n", [2, 3])
def test_minority_third_is_a_no_op_on_small_clusters(n):
    grudge = grudge_for("minority-third", NODES5[:n], random.Random(3))
    assert all(dropped == [] for dropped in grudge.values())


def test_majorities_ring_three_nodes_matches_the_spec():
    assert majorities_ring_perfect(["a", "b", "c"]) == {"b": ["c"], "c": ["a"], "a": ["b"]}


def test_majorities_ring_five_nodes_each_hears_a_distinct_majority():
    grudge = grudge_for("majorities-ring", NODES5, random.Random(4))
    views = [frozenset(heard_by(grudge, node, NODES5)) for node in NODES5]
    assert all(len(view) == 3 for view in views)
    assert len(set(views)) == 5


def test_majorities_ring_two_nodes_is_a_no_op():
    assert all(dropped == [] for dropped in majorities_ring_perfect(["a", "b"]).values())


@pytest.mark.parametrize("seed", range(5))
def test_majorities_ring_large_clusters_hear_a_majority(seed):
    nodes = [f"n{i}" for i in range(9)]
    grudge = grudge_for("majorities-ring", nodes, random.Random(seed))
    for node in nodes:
        assert len(heard_by(grudge, node, nodes)) >= majority(9)
        for other in grudge[node]:
            assert node in grudge[other]  # links are symmetric in this construction
    assert any(grudge[node] for node in nodes)
