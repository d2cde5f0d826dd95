"""What ``glome challenge`` shows while it runs, and its end table.

On a terminal: a rich progress bar across the runs, the current run's live
status line under it, a line per finished run, and a rich table at the end.
Otherwise (piped, CI logs): one plain line when a run starts and one when it
ends, and the table as aligned text.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from glome.challenge import table
from glome.challenge.judging import Row
from glome.challenge.plan import Job


class Display(Protocol):
    def begin(self, index: int, job: Job) -> None: ...
    def status(self, line: str) -> None: ...
    def end(self, index: int, row: Row) -> None: ...
    def close(self, rows: list[Row]) -> None: ...


def describe(job: Job) -> str:
    """The run's label (``6b line 2``) and its challenge's title."""
    return f"{job.new_row().label}: {job.challenge.title}"


def outcome_line(row: Row) -> str:
    verdict = table.result_cell(row)
    return f"{row.label}: {verdict} ({row.verdict}, {row.seconds:.1f} s) {table.targets_cell(row)}"


class PlainDisplay:
    """Lines for a log: no cursor movement, no status redraws."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out

    def begin(self, index: int, job: Job) -> None:
        command = " ".join(job.test_args())
        print(f"[{index + 1}/{self.total}] {describe(job)}: {command}", file=self.out, flush=True)

    def status(self, line: str) -> None:
        """Live status is for terminals only."""

    def end(self, index: int, row: Row) -> None:
        print(f"[{index + 1}/{self.total}] {outcome_line(row)}", file=self.out, flush=True)

    def close(self, rows: list[Row]) -> None:
        print("\n" + table.plain_table(rows), file=self.out)
        print(table.verdict_sentence(rows), file=self.out, flush=True)


class StatusLine:
    """The current run's status; replaced whole, so the refresh thread never sees half of it."""

    def __init__(self) -> None:
        self.text = Text("")

    def __rich__(self) -> Text:
        return self.text


class RichDisplay:
    """A progress bar over the runs with the current run's status under it."""

    def __init__(self, total: int, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("starting", total=total)
        self.status_line = StatusLine()
        self.live = Live(
            Group(self.progress, self.status_line), console=console, refresh_per_second=4
        )
        self.live.start()

    def begin(self, index: int, job: Job) -> None:
        self.progress.update(self.task, description=describe(job))
        self.status("starting nodes")

    def status(self, line: str) -> None:
        self.status_line.text = Text("  " + line, style="dim")

    def end(self, index: int, row: Row) -> None:
        self.progress.advance(self.task)
        style = "green" if row.passed else "red"
        self.console.print(Text(outcome_line(row), style=style))
        if row.message:
            self.console.print(Text("  " + table.first_line(row.message), style="dim"))

    def close(self, rows: list[Row]) -> None:
        self.status("")
        self.live.stop()
        self.console.print(rich_table(rows))
        self.console.print(table.verdict_sentence(rows))


def rich_table(rows: list[Row]) -> Table:
    grid = Table(title="Gossip Glomers challenges")
    for header in table.HEADERS:
        numeric = header not in ("challenge", "verdict", "targets", "result")
        grid.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=header != "targets",
        )
    for row in rows:
        grid.add_row(*table.cells(row), style=None if row.passed else "red")
    return grid


def display_for(total: int, out: TextIO = sys.stdout) -> Display:
    """Rich on a terminal, plain lines otherwise."""
    if hasattr(out, "isatty") and out.isatty():
        return RichDisplay(total, Console(file=out))
    return PlainDisplay(total, out)
