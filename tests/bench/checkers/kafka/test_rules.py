"""The kafka checker's rules beyond single anomalies: assigns and seek-to-beginning
in poll-order comparisons, indeterminate sends, result keys, example caps,
realtime lag, JSON messages and pathological offsets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from glome.bench.checkers.kafka import check
from glome.bench.history import CheckContext
from support.kafka_builder import HistoryBuilder

Step = Callable[[HistoryBuilder], None]


def run_builder(build: Step) -> list:
    builder = HistoryBuilder()
    build(builder)
    return builder.history


def run(build: Step) -> dict:
    return check(run_builder(build), None)


def skip_across(between: Step, process_after: int = 1) -> Step:
    """Process 1 polls a, then (after ``between``) polls c, jumping over b."""

    def build(b: HistoryBuilder) -> None:
        for offset, message in enumerate("abc"):
            b.send(0, "k", message, offset)
        b.assign(1, ["k"])
        b.poll(1, {"k": [[0, "a"]]})
        between(b)
        b.poll(process_after, {"k": [[2, "c"]]})
        b.poll(9, {"k": [[0, "a"], [1, "b"], [2, "c"]]})

    return build


SKIP_RULES = {
    "nothing between": (lambda b: None, True),
    "assign keeping the key": (lambda b: b.assign(1, ["k", "j"]), True),
    "failed assign dropping the key": (lambda b: b.assign(1, ["j"], kind="fail"), True),
    "assign dropping then re-adding the key": (
        lambda b: (b.assign(1, ["j"]), b.assign(1, ["k"])),
        False,
    ),
    "indeterminate assign dropping the key": (lambda b: b.assign(1, ["j"], kind="info"), False),
    "assign with seek-to-beginning": (lambda b: b.assign(1, ["k"], seek_to_beginning=True), False),
    "poll returning an empty list for the key": (lambda b: b.poll(1, {"k": []}), False),
    "poll of other keys only": (lambda b: b.poll(1, {"j": []}), True),
    "failed poll": (lambda b: b.poll(1, {}, kind="fail"), True),
}


@pytest.mark.parametrize("rule", sorted(SKIP_RULES))
def test_assign_rules_for_poll_skip(rule: str) -> None:
    between, flagged = SKIP_RULES[rule]
    result = run(skip_across(between))
    assert ("poll-skip" in result["error-types"]) is flagged
    assert result["error-types"] == (["poll-skip"] if flagged else [])


def test_a_new_process_after_a_crash_has_no_poll_basis() -> None:
    assert run(skip_across(lambda b: b.crash(1), process_after=5))["valid?"] is True


@pytest.mark.parametrize("seek", [True, False])
def test_rewinding_with_seek_to_beginning_is_not_nonmonotonic(seek: bool) -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1)
        b.assign(1, ["k"])
        b.poll(1, {"k": [[0, "a"], [1, "b"]]})
        b.assign(1, ["k"], seek_to_beginning=seek)
        b.poll(1, {"k": [[0, "a"], [1, "b"]]})

    result = run(build)
    assert result["error-types"] == ([] if seek else ["nonmonotonic-poll"])


def test_indeterminate_send_seen_by_a_poll_counts_as_written() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(1, "k", "m", kind="info")
        b.send(2, "k", "b", 2)
        b.poll(3, {"k": [[0, "a"], [1, "m"], [2, "b"]]})

    result = run(build)
    assert result["valid?"] is True
    assert result["info-txn-causes"] == ["net-timeout"]


def test_indeterminate_send_never_seen_is_neither_lost_nor_unseen() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(1, "k", "m", kind="info")
        b.send(2, "k", "b", 2)
        b.poll(3, {"k": [[0, "a"], [2, "b"]]})

    assert run(build)["error-types"] == []


def test_indeterminate_sends_take_part_in_send_order() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "m", kind="info")
        b.send(0, "k", "b", 0)
        b.poll(3, {"k": [[0, "b"], [1, "m"]]})

    result = run(build)
    assert result["error-types"] == ["nonmonotonic-send"]
    assert result["nonmonotonic-send"]["errs"][0]["values"] == ["m", "b"]


def test_poll_completed_before_an_indeterminate_send_was_invoked() -> None:
    def build(b: HistoryBuilder) -> None:
        b.poll(3, {"k": [[0, "m"]]})
        b.send(0, "k", "m", kind="info")

    assert run(build)["error-types"] == ["G1c-realtime", "strong-PL-2-cycle-exists"]


def test_overlapping_poll_may_see_a_send_in_flight() -> None:
    def build(b: HistoryBuilder) -> None:
        poll = b.invoke(3, "poll", [["poll"]])
        send = b.invoke(0, "send", [["send", "k", "m"]])
        b.complete(poll, "ok", [["poll", {"k": [[0, "m"]]}]])
        b.complete(send, "ok", [["send", "k", [0, "m"]]])

    assert run(build)["valid?"] is True


def test_send_that_never_completed_still_has_a_writer() -> None:
    def build(b: HistoryBuilder) -> None:
        b.invoke(0, "send", [["send", "k", "m"]])
        b.poll(3, {"k": [[0, "m"]]})
        b.poll(3, {"k": []})

    assert run(build)["valid?"] is True


def test_result_keys_and_sorted_types() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1, kind="fail")
        b.send(0, "j", "x", 0)
        b.poll(1, {"k": [[0, "a"], [1, "b"], [2, "a"]]})

    result = run(build)
    assert result["error-types"] == sorted(result["error-types"])
    assert result["error-types"] == ["G1a", "duplicate", "int-nonmonotonic-poll", "unseen"]
    assert result["bad-error-types"] == result["error-types"]
    assert result["G1a"]["count"] == 1 and len(result["G1a"]["errs"]) == 1
    assert set(result) >= {"valid?", "worst-realtime-lag", "info-txn-causes"}
    assert result["unseen"]["time"] == 8_000_000  # the last ok op: the poll at index 7
    assert result["unseen"]["unseen"] == {"j": 1}


def test_skip_examples_keep_the_largest_deltas() -> None:
    deltas = [2, 3, 4, 5] * 3

    def build(b: HistoryBuilder) -> None:
        for offset in range(60):
            b.send(0, "k", offset, offset)
        position = 0
        b.poll(1, {"k": [[0, 0]]})
        for delta in deltas:
            position += delta
            b.poll(1, {"k": [[position, position]]})
        b.poll(2, {"k": [[o, o] for o in range(60)]})

    skips = run(build)["poll-skip"]
    assert skips["count"] == len(deltas)
    assert [e["delta"] for e in skips["errs"]] == sorted(deltas)[-8:]


def test_nonmonotonic_examples_keep_the_most_negative_deltas() -> None:
    def build(b: HistoryBuilder) -> None:
        for offset in range(30):
            b.send(0, "k", offset, offset)
        for process in range(20):
            b.poll(process + 1, {"k": [[29, 29]]})
            b.poll(process + 1, {"k": [[process, process]]})
        b.poll(99, {"k": [[o, o] for o in range(30)]})

    errors = run(build)["nonmonotonic-poll"]
    assert errors["count"] == 20
    assert [e["delta"] for e in errors["errs"]] == list(range(-29, -21))


def test_worst_realtime_lag() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)  # offset 0 known at 2 ms
        b.send(0, "k", "b", 1)  # offset 1 known at 4 ms
        b.assign(1, ["k"])
        b.poll(1, {"k": [[0, "a"]]})  # invoked at 7 ms: 3 ms behind
        b.poll(2, {"k": [[0, "a"], [1, "b"]]})

    lag = run(build)["worst-realtime-lag"]
    assert lag == {"time": 0.007, "lag": pytest.approx(0.003), "process": 1, "key": "k"}


def test_worst_realtime_lag_counts_assigned_keys_never_polled() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)  # offset 0 known at 2 ms
        b.assign(1, ["k"])
        b.poll(1, {})  # invoked at 5 ms, has read nothing of k
        b.poll(2, {"k": [[0, "a"]]})

    lag = run(build)["worst-realtime-lag"]
    assert lag["process"] == 1 and lag["lag"] == pytest.approx(0.003)


def test_no_polls_means_no_lag() -> None:
    assert run(lambda b: b.send(0, "k", "a", 0))["worst-realtime-lag"] == {
        "time": 0.0,
        "lag": 0.0,
    }


def test_json_messages_compare_exactly() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", [1, {"x": 2}], 0)
        b.send(0, "k", 1, 1)
        b.poll(1, {"k": [[0, [1, {"x": 2}]], [1, 1]]})

    assert run(build)["valid?"] is True

    def float_for_int(b: HistoryBuilder) -> None:
        b.send(0, "k", 1, 0)
        b.poll(1, {"k": [[0, 1.0]]})

    result = run(float_for_int)  # 1.0 is not the 1 that was sent: nobody wrote it
    assert result["valid?"] == "unknown"
    assert result["error"]["value"] == 1.0
    assert type(result["error"]["value"]) is float


def test_huge_and_sparse_offsets_cost_nothing() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 10**15)
        b.send(0, "k", "b", 10**18)
        b.poll(1, {"k": [[10**15, "a"], [10**18, "b"]]})

    assert run(build)["valid?"] is True


def test_key_polled_empty_while_messages_exist_does_not_crash() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.assign(1, ["k"])
        b.poll(1, {"k": []})

    result = run(build)
    assert result["error-types"] == ["unseen"]


def test_nemesis_and_other_ops_are_ignored() -> None:
    def build(b: HistoryBuilder) -> None:
        b.history.append({"type": "info", "process": "nemesis", "f": "start-partition"})
        b.send(0, "k", "a", 0)
        b.crash(0)
        b.poll(1, {"k": [[0, "a"]]})

    assert run(build)["valid?"] is True


def test_cycle_explanations_go_to_the_store(tmp_path: Path) -> None:
    builder = HistoryBuilder()
    builder.poll(1, {"k": [[0, "a"]]})
    builder.send(0, "k", "a", 0)
    check(builder.history, CheckContext(options=None, store=tmp_path))
    text = (tmp_path / "elle" / "G1c-realtime.txt").read_text()
    assert text.startswith("T1 = ") and "T2 -realtime-> T1" in text

    clean = tmp_path / "clean"
    check(run_builder(lambda b: b.send(0, "k", "a", 0)), CheckContext(options=None, store=clean))
    assert not (clean / "elle").exists()
