"""The perf checker: partition intervals, latency points, quantiles, rates, and the PNGs."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any

import pytest

from glome.bench.checkers import perf
from glome.bench.history import CheckContext

S = 1_000_000_000
MS = 1_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Options:
    workload = "broadcast"


def op(index: int, time: int, kind: str, process: Any, f: str, value: Any = None) -> dict:
    return {"index": index, "time": time, "type": kind, "process": process, "f": f, "value": value}


def build(*rows: tuple[int, str, Any, str]) -> list[dict]:
    """(time ns, type, process, f) rows, indexed in order."""
    return [op(i, t, kind, process, f) for i, (t, kind, process, f) in enumerate(rows)]


def nemesis(start_s: float, *stops_s: float) -> list[tuple[int, str, Any, str]]:
    """A start-partition pair at start_s, a stop-partition pair at each stop."""
    rows = [(int(start_s * S), "info", "nemesis", perf.START)] * 2
    for stop in stops_s:
        rows += [(int(stop * S), "info", "nemesis", perf.STOP)] * 2
    return rows


# ------------------------------------------------------------- partitions


def test_a_healed_partition_gives_two_intervals_one_per_op_of_the_pair():
    history = build(
        (1 * S, "info", "nemesis", "start-partition"),
        (2 * S, "info", "nemesis", "start-partition"),
        (5 * S, "info", "nemesis", "stop-partition"),
        (6 * S, "info", "nemesis", "stop-partition"),
    )
    assert perf.nemesis_intervals(history, perf.PARTITION) == [(1.0, 5.0), (2.0, 6.0)]
    assert perf.nemesis_op_times(history, perf.PARTITION) == [1.0, 2.0, 5.0, 6.0]


def test_a_partition_never_healed_stays_open_to_the_end():
    history = build(*nemesis(1, 3), *nemesis(7))
    assert perf.nemesis_intervals(history, perf.PARTITION) == [
        (1.0, 3.0),
        (1.0, 3.0),
        (7.0, None),
        (7.0, None),
    ]


def test_kill_and_pause_have_their_own_intervals():
    history = build(
        (1 * S, "info", "nemesis", "kill"),
        (2 * S, "info", "nemesis", "kill"),
        (3 * S, "info", "nemesis", "pause"),
        (3 * S, "info", "nemesis", "pause"),
        (5 * S, "info", "nemesis", "start"),
        (6 * S, "info", "nemesis", "start"),
    )
    kill, pause = perf.NEMESES[1], perf.NEMESES[2]
    assert perf.nemesis_intervals(history, kill) == [(1.0, 5.0), (2.0, 6.0)]
    assert perf.nemesis_intervals(history, pause) == [(3.0, None), (3.0, None)]
    assert perf.nemesis_intervals(history, perf.PARTITION) == []
    assert [band.nemesis.name for band in perf.bands(history)] == ["kill", "pause"]


def test_client_ops_and_mismatched_nemesis_pairs_are_not_partitions():
    history = build(
        (0, "invoke", 0, "start-partition"),  # a client op with the same f
        (1 * S, "ok", 0, "start-partition"),
        (2 * S, "info", "nemesis", "start-partition"),
        (3 * S, "info", "nemesis", "stop-partition"),  # not a pair: skipped
    )
    assert perf.nemesis_intervals(history, perf.PARTITION) == []


# ---------------------------------------------------------------- numbers


def test_latency_points_by_f_and_outcome_leave_out_ops_that_never_completed():
    history = build(
        (1 * S, "invoke", 0, "read"),
        (1 * S + 5 * MS, "ok", 0, "read"),
        (2 * S, "invoke", 1, "broadcast"),
        (2 * S + 30 * MS, "fail", 1, "broadcast"),
        (3 * S, "invoke", 2, "read"),  # never completes
        (4 * S, "invoke", 0, "read"),
        (4 * S + 7 * MS, "info", 0, "read"),
    )
    points = perf.latency_points(history)
    assert set(points) == {("read", "ok"), ("broadcast", "fail"), ("read", "info")}
    assert points["read", "ok"] == perf.Series([1.0], [5.0])
    assert points["broadcast", "fail"] == perf.Series([2.0], [30.0])
    assert points["read", "info"] == perf.Series([4.0], [7.0])


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.5, 6), (0.95, 10), (0.99, 10), (1.0, 10), (0.0, 1)],
)
def test_quantile_takes_the_element_at_floor_n_q(q, expected):
    assert perf.quantile(list(range(1, 11)), q) == expected


def test_quantiles_per_bucket_pool_every_outcome_of_an_f():
    points = {
        ("read", "ok"): perf.Series([1.0, 2.0, 31.0], [10.0, 30.0, 5.0]),
        ("read", "fail"): perf.Series([3.0], [20.0]),
        ("write", "ok"): perf.Series([40.0], [8.0]),
    }
    quantiles = perf.latency_quantiles(points, dt=30)
    assert quantiles["read"][0.5] == perf.Series([15.0, 45.0], [20.0, 5.0])
    assert quantiles["read"][1.0] == perf.Series([15.0, 45.0], [30.0, 5.0])
    assert quantiles["write"][0.95] == perf.Series([45.0], [8.0])


def test_rates_count_completions_per_second_and_fill_empty_buckets_with_zero():
    history = build(
        (1 * S, "invoke", 0, "read"),
        (2 * S, "ok", 0, "read"),
        (3 * S, "invoke", 0, "read"),
        (4 * S, "ok", 0, "read"),
        (5 * S, "invoke", 1, "add"),
        (6 * S, "fail", 1, "add"),
        (21 * S, "invoke", 0, "read"),
        (26 * S, "ok", 0, "read"),  # bucket 20-30 s, drawn at 25 s: the history runs to 28 s
        (27 * S, "info", "nemesis", "start-partition"),
        (28 * S, "info", "nemesis", "start-partition"),
    )
    rates = perf.rates(history, dt=10)
    assert rates["read", "ok"] == perf.Series([5.0, 15.0, 25.0], [0.2, 0.0, 0.1])
    assert rates["add", "fail"] == perf.Series([5.0, 15.0, 25.0], [0.1, 0.0, 0.0])
    assert set(rates) == {("read", "ok"), ("add", "fail")}  # nemesis ops are not throughput


def test_a_bucket_whose_midpoint_lies_past_the_last_op_is_not_drawn():
    history = build((1 * S, "invoke", 0, "read"), (12 * S, "ok", 0, "read"))
    assert perf.rates(history, dt=10)["read", "ok"] == perf.Series([5.0], [0.0])


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0.2, 20.1, (0, 21)), (3, 123, (0, 130)), (15.0, 15.0, (14.0, 16.0)), (5, 15, (5, 15))],
)
def test_broaden_range_rounds_outwards(low, high, expected):
    assert perf.broaden_range(low, high) == pytest.approx(expected)


# ------------------------------------------------------------------ files


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def pixels_near(path: Path, rgb: tuple[int, int, int], tolerance: int = 3) -> int:
    from matplotlib.image import imread

    image = (imread(path)[:, :, :3] * 255).round()
    distance = abs(image - rgb).max(axis=2)
    return int((distance <= tolerance).sum())


def client_history(partitioned: bool) -> list[dict]:
    rows: list[tuple[int, str, Any, str]] = []
    for i in range(200):  # 100 s: several 30 s quantile buckets
        start = i * 500 * MS
        outcome = "fail" if i % 7 == 0 else "ok"
        rows += [(start, "invoke", i % 3, "read"), (start + (i + 1) * MS, outcome, i % 3, "read")]
    if partitioned:
        rows = nemesis(2, 12) + rows + nemesis(20)
    rows.sort(key=lambda row: row[0])
    return build(*rows)


# the band over white: each partition is two intervals (invocations, completions)
# drawn on top of each other at Jepsen's 0.6 opacity, 1 - 0.4**2 = 0.84 in all
BAND = tuple(round(0.84 * c + 0.16 * 255) for c in (0xE9, 0xDC, 0xA0))
FAIL_PINK = (0xFF, 0x1E, 0x90)


def test_check_draws_three_pngs_with_partitions_shaded(tmp_path):
    result = perf.check(client_history(partitioned=True), CheckContext(Options(), tmp_path))
    assert result == {
        "latency-graph": {"valid?": True},
        "rate-graph": {"valid?": True},
        "valid?": True,
    }
    for name in ("latency-raw.png", "latency-quantiles.png", "rate.png"):
        path = tmp_path / name
        assert png_size(path) == (900, 400)
        assert path.stat().st_size > 10_000
        assert pixels_near(path, BAND) > 500, name
    assert pixels_near(tmp_path / "latency-raw.png", FAIL_PINK, tolerance=40) > 0


def test_kill_and_pause_are_shaded_in_their_colours_one_band_below_the_other(tmp_path):
    rows = [
        (2 * S, "info", "nemesis", "kill"),
        (2 * S, "info", "nemesis", "kill"),
        (3 * S, "info", "nemesis", "pause"),
        (3 * S, "info", "nemesis", "pause"),
        (60 * S, "info", "nemesis", "start"),
        (60 * S, "info", "nemesis", "start"),
    ]
    history = sorted(client_history(partitioned=False) + build(*rows), key=lambda op: op["time"])
    perf.check(history, CheckContext(Options(), tmp_path))
    from matplotlib.image import imread

    image = (imread(tmp_path / "rate.png")[:, :, :3] * 255).round()
    for row, colour in enumerate(((0xE9, 0xA4, 0xA0), (0xA0, 0xB1, 0xE9))):
        shade = tuple(round(0.84 * c + 0.16 * 255) for c in colour)
        rows_hit = [
            y for y in range(image.shape[0]) if (abs(image[y] - shade).max(axis=1) <= 3).sum() > 50
        ]
        assert rows_hit, colour
        if row == 0:
            kill_rows = rows_hit
        else:
            assert min(rows_hit) > max(kill_rows)  # pause's band lies under kill's


def test_without_nemesis_ops_nothing_is_shaded(tmp_path):
    perf.check(client_history(partitioned=False), CheckContext(Options(), tmp_path))
    assert pixels_near(tmp_path / "latency-raw.png", BAND) == 0


def test_without_a_store_nothing_is_drawn(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = perf.check(client_history(partitioned=True), CheckContext(Options(), None))
    assert result["valid?"] is True
    assert list(tmp_path.iterdir()) == []


def test_zero_latencies_are_drawn_without_a_log_scale_warning(tmp_path):
    history = build(*[(t * S, kind, 0, "read") for t in range(12) for kind in ("invoke", "ok")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        perf.check(history, CheckContext(Options(), tmp_path))
    assert png_size(tmp_path / "latency-raw.png") == (900, 400)


@pytest.mark.parametrize("history", [[], build(*nemesis(1, 3), *nemesis(5))])
def test_a_history_without_client_ops_draws_nothing_as_in_jepsen(tmp_path, history):
    result = perf.check(history, CheckContext(Options(), tmp_path))
    assert result["valid?"] is True
    assert list(tmp_path.iterdir()) == []
