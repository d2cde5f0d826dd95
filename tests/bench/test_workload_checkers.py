"""The echo, unique-ids and counter checkers on hand-built histories
(docs/maelstrom.md §7.1, §7.2, §7.5)."""

from __future__ import annotations

from glome.bench.workloads import counter, echo, unique_ids


def op(index, process, kind, f, value, **extra):
    return {
        "index": index,
        "time": index,
        "process": process,
        "type": kind,
        "f": f,
        "value": value,
        **extra,
    }


def test_echo_mismatch_and_timeouts_are_errors():
    history = [
        op(0, 0, "invoke", "echo", "Please echo 1"),
        op(1, 0, "ok", "echo", {"type": "echo_ok", "echo": "Please echo 1", "in_reply_to": 1}),
        op(2, 0, "invoke", "echo", "Please echo 2"),
        op(3, 0, "ok", "echo", {"type": "echo_ok", "echo": "Please echo 3", "in_reply_to": 2}),
        op(4, 0, "invoke", "echo", "Please echo 4"),
        op(5, 0, "info", "echo", "Please echo 4", error="net-timeout"),
    ]
    result = echo.check(history)
    assert result["valid?"] is False
    assert len(result["errors"]) == 2
    assert result["errors"][0][1] == "Please echo 2"


def test_echo_all_good():
    history = [op(0, 0, "invoke", "echo", "x"), op(1, 0, "ok", "echo", {"echo": "x"})]
    assert echo.check(history) == {"valid?": True, "errors": []}


def test_unique_ids_duplicates_and_range():
    history = [op(0, 0, "invoke", "generate", None)]
    values = [1, 2, 2, 3, 1.0]
    history += [op(i + 1, 0, "ok", "generate", v) for i, v in enumerate(values)]
    history.append(op(9, 1, "invoke", "generate", None))
    result = unique_ids.check(history)
    assert result["valid?"] is False
    assert result["attempted-count"] == 2
    assert result["acknowledged-count"] == 5
    assert result["duplicated-count"] == 1  # 1 and 1.0 are different JSON values
    assert result["duplicated"] == {2: 2}
    assert result["range"] == [1, 3]


def test_unique_ids_incomparable_ids_make_the_checker_throw():
    history = [op(0, 0, "ok", "generate", "a"), op(1, 0, "ok", "generate", 1)]
    try:
        unique_ids.check(history)
    except TypeError:
        return
    raise AssertionError("mixed id types must not yield a range")


def test_counter_acceptable_intervals_from_the_spec_example():
    history = [
        op(0, 0, "ok", "add", 10),
        op(1, 1, "info", "add", 5),
        op(2, 2, "info", "add", -1),
        op(3, 3, "info", "add", -1),
        op(4, 4, "fail", "add", 100),
        op(5, 0, "ok", "read", 9, **{"final?": True}),
        op(6, 0, "ok", "read", 12, **{"final?": True}),
        op(7, 0, "ok", "read", 12),  # not final: not checked
    ]
    result = counter.check(history)
    assert result["acceptable"] == [[8, 10], [13, 15]]
    assert result["final-reads"] == [9, 12]
    assert result["valid?"] is False
    assert [e["value"] for e in result["errors"]] == [12]


def test_counter_empty_history():
    assert counter.check([]) == {
        "valid?": True,
        "errors": None,
        "final-reads": [],
        "acceptable": [[0, 0]],
    }


def test_add_subset_sums_merges_adjacent_runs():
    assert counter.add_subset_sums([(0, 0)], 1) == [(0, 1)]
    assert counter.add_subset_sums([(0, 1)], 3) == [(0, 1), (3, 4)]
    assert counter.add_subset_sums([(0, 0)], 0) == [(0, 0)]
