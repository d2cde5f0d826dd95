"""The kafka op stream (spec 5.6): key choice and rotation, assigns, crashes, final phase."""

from __future__ import annotations

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


def test_sends_write_one_two_three_per_key_and_never_more_than_the_maximum():
    kafka = stream()
    values: dict[str, list[int]] = {}
    for op in main_ops(kafka, 20_000):
        if op["f"] == "send":
            [[_, key, value]] = op["value"]
            values.setdefault(key, []).append(value)
    assert len(values) > 100  # keys were rotated
    for written in values.values():
        assert len(written) <= 16
        assert written == sorted(set(written))  # distinct and increasing
        assert max(written) <= 16


def test_keys_are_chosen_exponentially_newest_position_most():
    kafka = stream()
    positions = Counter(kafka.rng.choices(range(10), kafka._weights)[0] for _ in range(20_000))
    assert positions[9] / 20_000 == pytest.approx(1024 / 2046, abs=0.02)
    assert positions[0] < positions[5] < positions[9]


def test_the_mix_is_half_sends_half_polls_with_an_assign_in_64():
    counts = Counter(op["f"] for op in main_ops(stream(), 64_000))
    assert counts["crash"] == 1  # the clock never moves: only the first crash is due
    assert counts["assign"] == pytest.approx(1000, rel=0.15)
    assert counts["send"] == pytest.approx(counts["poll"], rel=0.05)


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


def test_the_final_phase_crashes_assigns_from_the_beginning_and_polls_until_caught_up():
    kafka = stream(concurrency=2)
    main_ops(kafka, 50)
    kafka.observe({"type": OK, "f": "send", "process": 0, "value": [["send", "5", [2, 1]]]})
    crash = kafka.final_op(1)
    assert crash["f"] == "crash"
    assert kafka.final_delay(1) == 0
    assign = kafka.final_op(1)
    assert assign["f"] == "assign"
    assert assign["seek-to-beginning?"] is True
    assert "5" in assign["value"]
    assert assign["value"] == sorted(assign["value"], key=int)
    first_poll = kafka.final_op(1)
    assert first_poll["f"] == "poll"
    assert first_poll["poll-ms"] == 1000
    assert 0 <= kafka.final_delay(1) < 0.4
    behind = {**first_poll, "type": OK, "process": 3, "value": [["poll", {"5": [[1, 9]]}]]}
    kafka.observe(behind)
    assert kafka.final_op(1)["f"] == "poll"  # offset 2 not reached yet
    kafka.observe({**behind, "value": [["poll", {"5": [[2, 1]]}]]})
    assert kafka.final_op(1) is None
    assert kafka.final_op(0)["f"] == "crash"  # each thread runs its own final phase


def test_final_targets_are_frozen_when_the_final_phase_starts():
    kafka = stream(concurrency=1)
    kafka.final_op(0)
    kafka.final_op(0)
    poll = kafka.final_op(0)
    late = {"type": OK, "f": "send", "process": 1, "value": [["send", "1", [9, 1]]]}
    kafka.observe(late)
    kafka.observe({**poll, "type": OK, "process": 1, "value": [["poll", {}]]})
    assert kafka.final_op(0) is None
