"""The live display: the bench's status reaches it, rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from glome.bench.runner import SignalGuard
from glome.challenge import display
from glome.challenge.engines import GlomeEngine
from glome.challenge.judging import Row
from glome.challenge.plan import plan


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_current_runs_status_reaches_the_display_from_a_real_run(tmp_path: Path) -> None:
    (job,) = plan(["1"], time_limit=1, seed=3)
    lines: list[str] = []
    row = GlomeEngine(tmp_path / "store", SignalGuard()).run(job, lines.append)
    assert row.verdict == "valid", row.message
    assert lines and all("ok " in line and "msgs " in line for line in lines)
    assert row.figures.analysis_s is not None and row.figures.analysis_s < row.seconds


def test_plain_display_prints_a_line_per_start_and_end_and_the_table() -> None:
    out = io.StringIO()
    jobs = plan(["1", "6b"], time_limit=1)
    shown = display.display_for(len(jobs), out)
    assert isinstance(shown, display.PlainDisplay)
    rows = []
    for index, job in enumerate(jobs):
        shown.begin(index, job)
        shown.status("[main] 0.5s / 1s  ok 3")  # not shown: a log gets no redraws
        row: Row = job.new_row()
        row.message = "Node n0 crashed"
        rows.append(row)
        shown.end(index, row)
    shown.close(rows)
    text = out.getvalue()
    assert "[1/3] 1: Echo: -w echo --bin glome-echo" in text
    assert "[3/3] 6b line 2: Totally-available" in text
    assert "[3/3] 6b line 2: FAIL (crashed" in text
    assert "ok 3" not in text
    assert "challenge  clock  verdict" in text and "0 of 3 runs valid and on target." in text


def test_rich_display_on_a_terminal_shows_bar_status_and_table() -> None:
    out = Terminal()
    jobs = plan(["3a"])
    shown = display.RichDisplay(len(jobs), Console(file=out, force_terminal=True, width=160))
    shown.begin(0, jobs[0])
    shown.status("[main]   1.0s / 20s  ok 12  fail 0  info 0  msgs 30  partition off")
    shown.live.refresh()
    row = jobs[0].new_row()
    row.verdict = "valid"
    shown.end(0, row)
    shown.close([row])
    text = out.getvalue()
    assert "3a: Single-node broadcast" in text
    assert "ok 12  fail 0" in text
    assert "1/1" in text  # the bar's count
    assert "Gossip Glomers challenges" in text and "PASS" in text
    chosen = display.display_for(1, Terminal())
    chosen.close([])
    assert isinstance(chosen, display.RichDisplay)
