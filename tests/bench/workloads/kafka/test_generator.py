"""The kafka op stream (docs/maelstrom.md §7.6): key choice and rotation, assigns,
crashes, final phase."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from glome.bench.history import OK, Op
from glome.bench.workloads.kafka.generator import KafkaStream

SECOND = 1_000_000_000


class FakeClock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def stream(seed: int = 1, concurrency: int = 4, clock: FakeClock | None = None) -> KafkaStream:
    return KafkaStream(random.Random(seed), concurrency, clock=clock or FakeClock())


def main_ops(kafka: KafkaStream, count: int) -> list[Op]:
    return [kafka.next_op() for _ in range(count)]


def sends_by_key(ops: list[Op]) -> dict[str, list[int]]:
    values: dict[str, list[int]] = {}
    for op in ops:
        if op["f"] == "send":
            [[_, key, value]] = op["value"]
            values.setdefault(key, []).append(value)
    return values


def test_every_key_gets_one_two_three_up_to_the_maximum_without_gaps():
    kafka = stream()
    values = sends_by_key(main_ops(kafka, 64_000))
    assert len(values) > 100  # keys were rotated
    active = {str(key) for key in kafka.active}
    for key, written in values.items():
        assert written == list(range(1, len(written) + 1))
        if key not in active:
            assert len(written) == 16  # a key is retired only once it is full


def test_a_key_is_retired_only_when_a_seventeenth_write_is_drawn():
    """Elle's wr-txns keeps a full key active (polls still draw it, so assigns can
    name it) until a write to it is drawn; then it swaps in a fresh key and draws
    again."""
    kafka = stream()
    full: set[str] = set()
    assigned_after_full = 0
    for _ in range(64_000):
        before = {str(key) for key in kafka.active}
        op = kafka.next_op()
        after = {str(key) for key in kafka.active}
        if op["f"] == "send":
            [[_, key, value]] = op["value"]
            assert key in after
            if value == 16:
                full.add(key)
        elif op["f"] == "assign" and set(op["value"]) & full:
            assigned_after_full += 1
        for retired in before - after:
            assert retired in full
            assert op["f"] != "send" or op["value"][0][1] != retired
    assert assigned_after_full > 0
    assert len(full - {str(key) for key in kafka.active}) > 100


def test_an_assign_stands_in_for_an_op_that_then_comes_next():
    """Jepsen emits the assign without advancing the op stream beneath it."""
    ops = main_ops(stream(), 64_000)
    followed_by_send = 0
    for op, following in itertools.pairwise(ops):
        if op["f"] == "assign" and following["f"] == "send":
            followed_by_send += 1
            assert following["value"][0][1] in op["value"]
    assert followed_by_send > 100


def test_keys_are_chosen_exponentially_newest_position_most():
    kafka = stream()
    positions = Counter(kafka.rng.choices(range(10), kafka._weights)[0] for _ in range(20_000))
    assert positions[9] / 20_000 == pytest.approx(1024 / 2046, abs=0.02)
    assert positions[0] < positions[5] < positions[9]


def test_the_mix_is_half_sends_half_polls_with_an_assign_in_64():
    kafka = stream()
    counts = Counter(op["f"] for op in main_ops(kafka, 64_000))
    assert counts["crash"] == 1  # the clock never moves: only the first crash is due
    assert counts["assign"] == pytest.approx(1000, rel=0.15)
    # each retirement turns a drawn send into a fresh 50/50 draw: one send fewer
    # than polls per retired key, on average
    retired = kafka._next_key - len(kafka.active)
    assert counts["poll"] - counts["send"] == pytest.approx(retired, abs=4 * 64_000**0.5)


def test_a_third_of_assigns_widen_with_the_keys_no_poll_has_caught_up_with():
    kafka = stream()
    kafka.observe({"type": OK, "f": "send", "process": 0, "value": [["send", "40", [3, 1]]]})
    kafka.observe({"type": OK, "f": "send", "process": 0, "value": [["send", "41", [0, 1]]]})
    kafka.observe({"type": OK, "f": "poll", "process": 1, "value": [["poll", {"41": [[0, 1]]}]]})
    assert kafka.unpolled_keys() == ["40"]
    assigns = [op for op in main_ops(kafka, 64_000) if op["f"] == "assign"]
    widened = [op for op in assigns if "40" in op["value"]]
    assert len(widened) / len(assigns) == pytest.approx(1 / 3, abs=0.06)
    assert all("41" not in op["value"] or len(op["value"]) == 1 for op in assigns)


def test_crashes_come_every_thirty_seconds_per_client_on_average():
    clock = FakeClock()
    kafka = stream(concurrency=4, clock=clock)
    crashes = 0
    for _ in range(40_000):  # 4000 s at one op per 100 ms
        clock.now += SECOND // 10
        crashes += kafka.next_op()["f"] == "crash"
    assert crashes == pytest.approx(4000 / 7.5, rel=0.1)


def ok(f: str, process: int, value: list, **extra: object) -> Op:
    return {"type": OK, "f": f, "process": process, "value": value, **extra}


def test_the_final_phase_crashes_assigns_from_the_beginning_and_polls_until_caught_up():
    kafka = stream(concurrency=2)
    main_ops(kafka, 50)
    kafka.observe(ok("send", 0, [["send", "5", [2, 1]]]))
    crash = kafka.final_op(1)
    assert crash["f"] == "crash"
    assert kafka.final_delay(1) == 0
    assign = kafka.final_op(1)
    assert assign["f"] == "assign"
    assert assign["seek-to-beginning?"] is True
    assert assign["value"] == ["5"]
    assert kafka.final_delay(1) == 0
    first_poll = kafka.final_op(1)
    assert first_poll["f"] == "poll"
    assert first_poll["poll-ms"] == 1000
    assert 0 <= kafka.final_delay(1) < 0.4
    behind = {**first_poll, "type": OK, "process": 3, "value": [["poll", {"5": [[1, 9]]}]]}
    kafka.observe(behind)
    assert kafka.final_op(1)["f"] == "poll"  # offset 2 not reached yet
    kafka.observe({**behind, "value": [["poll", {"5": [[2, 1]]}]]})
    assert kafka.final_delay(1) == 0  # done: no stagger before finding that out
    assert kafka.final_op(1) is None
    assert kafka.final_op(0)["f"] == "crash"  # each thread runs its own final phase


def test_final_targets_are_frozen_when_the_final_phase_starts():
    kafka = stream(concurrency=1)
    kafka.observe(ok("send", 0, [["send", "1", [0, 1]]]))
    kafka.final_op(0)
    kafka.final_op(0)
    poll = kafka.final_op(0)
    kafka.observe(ok("send", 1, [["send", "1", [9, 1]]]))  # too late to count
    kafka.observe({**poll, "type": OK, "process": 1, "value": [["poll", {"1": [[0, 1]]}]]})
    assert kafka.final_op(0) is None


def test_no_final_ops_at_all_without_an_ok_send_or_poll():
    """Jepsen's final-polls has no target then, so it emits nothing, not even the crash."""
    kafka = stream(concurrency=2)
    main_ops(kafka, 200)  # sends to many keys were generated, none acknowledged
    kafka.observe({**ok("send", 0, [["send", "3", 1]]), "type": "fail"})
    kafka.observe({**ok("send", 1, [["send", "4", 1]]), "type": "info"})
    kafka.observe(ok("poll", 1, [["poll", {}]]))  # an ok poll that showed no key
    assert kafka.final_delay(0) == 0
    assert kafka.final_op(0) is None
    assert kafka.final_op(1) is None


def test_the_final_assign_names_only_keys_ok_sends_and_polls_showed():
    kafka = stream(concurrency=1)
    main_ops(kafka, 200)
    kafka.observe(ok("send", 0, [["send", "12", [4, 1]]]))
    kafka.observe({**ok("send", 0, [["send", "20", 1]]), "type": "info"})
    kafka.observe(ok("poll", 0, [["poll", {"7": [[0, 1]], "3": []}]]))
    kafka.final_op(0)
    assign = kafka.final_op(0)
    assert assign["value"] == ["3", "7", "12"]  # in key order, as Jepsen's integer keys


def test_the_first_final_poll_goes_at_once_and_later_ones_are_staggered_from_issue():
    clock = FakeClock()
    kafka = stream(concurrency=1, clock=clock)
    kafka.observe(ok("send", 0, [["send", "1", [5, 1]]]))
    delays = []
    for _ in range(3):  # crash, assign, first poll
        delays.append(kafka.final_delay(0))
        kafka.final_op(0)
    assert delays == [0, 0, 0]
    spacing = kafka.final_delay(0)
    assert 0 <= spacing < 0.4
    clock.now += SECOND  # the poll took longer than the spacing: the next goes at once
    assert kafka.final_delay(0) == 0
    kafka.final_op(0)
    assert 0 <= kafka.final_delay(0) < 0.4
    clock.now += SECOND // 10  # the wait counts from when that poll was issued
    assert 0 <= kafka.final_delay(0) < 0.3


def test_a_key_only_ever_polled_empty_is_waited_for_until_a_poll_returns_it():
    """Its target is offset -1: any final poll listing the key, even empty, reaches it."""
    kafka = stream(concurrency=1)
    kafka.observe(ok("poll", 0, [["poll", {"3": []}]]))
    kafka.observe(ok("send", 0, [["send", "5", [0, 1]]]))
    kafka.final_op(0)
    assert kafka.final_op(0)["value"] == ["3", "5"]
    poll = kafka.final_op(0)
    kafka.observe({**poll, "type": OK, "process": 1, "value": [["poll", {"5": [[0, 1]]}]]})
    assert kafka.final_op(0)["f"] == "poll"  # key 3 not listed by any final poll yet
    kafka.observe({**poll, "type": OK, "process": 1, "value": [["poll", {"3": []}]]})
    assert kafka.final_op(0) is None
