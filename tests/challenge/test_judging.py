"""Figures, targets, verdicts, exit codes and the summary, on hand-built results."""

from __future__ import annotations

from pathlib import Path

import pytest

from glome.bench import edn
from glome.bench.results import edn_results
from glome.challenge import judging, table
from glome.challenge.catalog import BY_ID, Targets
from glome.challenge.judging import CRASHED, INVALID, UNKNOWN, VALID, Row


def results(valid: object = True, msgs: float = 1.2, median: int = 300, top: int = 550, ok=1.0):
    return {
        "availability": {"valid?": True, "ok-fraction": ok},
        "net": {"servers": {"msgs-per-op": msgs}, "valid?": True},
        "workload": {
            "valid?": valid,
            "stable-latencies": {"0": 0, "0.5": median, "0.95": 500, "0.99": 520, "1": top},
        },
        "valid?": valid,
    }


def row(challenge: str = "3d") -> Row:
    return Row(challenge, BY_ID[challenge].title, 1, 1, 1, ["-w", "broadcast"])


def test_figures_come_from_maelstroms_keys() -> None:
    figures = judging.figures_of(results(msgs=1.25, median=310, top=590, ok=0.5), 0.7)
    assert figures == judging.Figures(1.25, 310.0, 590.0, 0.5, 0.7)


def test_figures_from_edn_shaped_results_with_numeric_quantile_keys() -> None:
    text = edn.pretty(edn_results(results(median=123, top=456)))
    assert "0.5 123," in text  # the quantiles really are numbers in the EDN
    figures = judging.figures_of(edn.loads(text))
    assert (figures.median_ms, figures.max_ms, figures.msgs_per_op) == (123.0, 456.0, 1.2)


def test_ok_fraction_counts_client_ops_but_not_kafkas_crash_ops() -> None:
    kafka = results(ok=0.997)  # availability counts the crash ops, which always end info
    kafka["stats"] = {
        "by-f": {
            "send": {"count": 900, "ok-count": 899, "info-count": 1},
            "poll": {"count": 1100, "ok-count": 1100},
            "crash": {"count": 6, "ok-count": 0, "info-count": 6},
        }
    }
    assert judging.figures_of(kafka).ok_fraction == 1999 / 2000
    assert judging.figures_of(edn.loads(edn.dumps(kafka))).ok_fraction == 1999 / 2000
    assert judging.figures_of(results(ok=0.25)).ok_fraction == 0.25  # no stats: availability


def test_missing_figures_are_none() -> None:
    assert judging.figures_of({"valid?": True}) == judging.Figures()


def test_3d_meeting_every_target_passes() -> None:
    judged = judging.judge(row(), results(), BY_ID["3d"].targets, None)
    assert judged.verdict == VALID
    assert [(c.name, c.met) for c in judged.checks] == [
        ("msgs_per_op", True),
        ("median_ms", True),
        ("max_ms", True),
    ]
    assert judged.passed


@pytest.mark.parametrize(
    ("overrides", "missed"),
    [
        ({"msgs": 1.6}, "msgs_per_op"),
        ({"median": 401}, "median_ms"),
        ({"top": 601}, "max_ms"),
    ],
)
def test_one_missed_target_fails_a_valid_run(overrides: dict, missed: str) -> None:
    judged = judging.judge(row(), results(**overrides), BY_ID["3d"].targets, None)
    assert judged.verdict == VALID
    assert [c.name for c in judged.checks if not c.met] == [missed]
    assert not judged.passed
    missed_check = next(check for check in judged.checks if check.name == missed)
    assert table.target_text(missed_check).endswith(": miss")
    assert table.result_cell(judged) == "FAIL"
    assert judging.exit_code([judged]) == 1


def test_bounds_are_inclusive_and_ok_fraction_is_a_minimum() -> None:
    targets = Targets(msgs_per_op=1.5, ok_fraction=0.9999)
    at_bounds = judging.check_targets(judging.Figures(msgs_per_op=1.5, ok_fraction=0.9999), targets)
    assert all(check.met for check in at_bounds)
    below = judging.check_targets(judging.Figures(msgs_per_op=1.5, ok_fraction=0.9998), targets)
    assert [check.met for check in below] == [True, False]


def test_the_official_3d_and_3e_bounds_are_strict() -> None:
    """The challenge text says "below": a figure equal to an official bound misses it,
    while glome's own targets are "at most"."""
    official = BY_ID["3d"].official
    at_bounds = judging.Figures(msgs_per_op=30, median_ms=400, max_ms=600)
    checks = judging.check_targets(at_bounds, official)
    assert [check.met for check in checks] == [False, False, False]
    assert table.target_text(checks[0]) == "msgs/op < 30: miss"
    under = judging.Figures(msgs_per_op=29.9, median_ms=399, max_ms=599)
    assert all(check.met for check in judging.check_targets(under, official))
    assert BY_ID["3e"].official.strict and not BY_ID["3d"].targets.strict


def test_a_missing_figure_misses_its_target() -> None:
    (check,) = judging.check_targets(judging.Figures(), Targets(max_ms=600))
    assert check.value is None and not check.met


@pytest.mark.parametrize(
    ("valid", "verdict"),
    [(True, VALID), (False, INVALID), ("unknown", UNKNOWN), (edn.Keyword("unknown"), UNKNOWN)],
)
def test_verdicts_and_that_only_valid_passes(valid: object, verdict: str) -> None:
    judged = judging.judge(row("1"), results(valid=valid), BY_ID["1"].targets, None)
    assert judged.verdict == verdict
    assert judged.passed is (verdict == VALID)
    assert judging.exit_code([judged]) == (0 if verdict == VALID else 1)


def test_exit_code_needs_every_row_and_at_least_one() -> None:
    good = judging.judge(row("1"), results(), Targets(), None)
    crashed = row("2")
    assert crashed.verdict == CRASHED and not crashed.passed
    assert judging.exit_code([good, good]) == 0
    assert judging.exit_code([good, crashed]) == 1
    assert judging.exit_code([]) == 1


def test_summary_round_trips(tmp_path: Path) -> None:
    judged = judging.judge(row(), results(msgs=9.0), BY_ID["3d"].targets, 1.5)
    judged.store = "broadcast/20260101T000000.000+0000"
    crashed = row("2")
    crashed.message = "Expected node n0 to respond to an init message"
    path = judging.write_summary(tmp_path, [judged, crashed], {"engine": "glome"})
    settings, rows = judging.read_summary(path)
    assert settings == {"engine": "glome"}
    assert rows == [judged, crashed]


def test_plain_table_shows_labels_figures_targets_and_crash_messages() -> None:
    judged = judging.judge(row(), results(msgs=1.25, median=310, top=590), BY_ID["3d"].targets, 2)
    crashed = Row("6b", BY_ID["6b"].title, 2, 2, 1, [])
    crashed.message = "Node n1 crashed with exit status 3\nmore"
    text = table.plain_table([judged, crashed])
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["challenge", "clock", "verdict", "msgs/op"]
    assert lines[2].split()[:7] == ["3d", "real", "valid", "1.25", "310", "590", "1.0000"]
    assert "msgs/op ≤ 1.5: pass" in lines[2] and lines[2].endswith("PASS")
    assert lines[3].startswith("6b line 2") and "crashed" in lines[3] and lines[3].endswith("FAIL")
    assert lines[4] == "6b line 2: Node n1 crashed with exit status 3"
