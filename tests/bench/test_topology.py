"""Broadcast topologies, against the worked examples in docs/maelstrom.md §7.3."""

from glome.bench.workloads.broadcast import topology


def nodes(n):
    return [f"n{i}" for i in range(n)]


def test_grid_five_nodes():
    assert topology("grid", nodes(5)) == {
        "n0": ["n3", "n1"],
        "n1": ["n4", "n2", "n0"],
        "n2": ["n1"],
        "n3": ["n0", "n4"],
        "n4": ["n1", "n3"],
    }


def test_grid_25_nodes_has_40_links():
    layout = topology("grid", nodes(25))
    assert sum(len(v) for v in layout.values()) == 80
    assert layout["n12"] == ["n17", "n7", "n13", "n11"]


def test_line():
    assert topology("line", nodes(3)) == {"n0": ["n1"], "n1": ["n0", "n2"], "n2": ["n1"]}
    assert topology("line", nodes(1)) == {}


def test_total():
    assert topology("total", nodes(3)) == {
        "n0": ["n1", "n2"],
        "n1": ["n0", "n2"],
        "n2": ["n0", "n1"],
    }


def test_tree2_five_nodes():
    expected = {
        "n0": ["n1", "n2"],
        "n1": ["n0", "n3", "n4"],
        "n2": ["n0"],
        "n3": ["n1"],
        "n4": ["n1"],
    }
    assert topology("tree2", nodes(5)) == expected
    assert topology("tree", nodes(5)) == expected


def test_tree4_25_nodes():
    layout = topology("tree4", nodes(25))
    assert layout["n0"] == ["n1", "n2", "n3", "n4"]
    assert layout["n1"] == ["n0", "n5", "n6", "n7", "n8"]
    assert layout["n4"] == ["n0", "n17", "n18", "n19", "n20"]
    assert layout["n5"] == ["n1", "n21", "n22", "n23", "n24"]
    assert layout["n6"] == ["n1"]
    assert layout["n20"] == ["n4"]
    assert layout["n24"] == ["n5"]
