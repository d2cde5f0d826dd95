"""How far a hunt over many seeds has got, on stderr: seeds done, failures, seeds/s.

On a terminal a rich progress bar (as ``glome challenge`` draws one); otherwise
(piped, CI logs) a plain line about every tenth of the seeds, so a long sweep
leaves a short log.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: a plain log gets about this many progress lines over a whole sweep
PLAIN_LINES = 10


class SeedProgress(Protocol):
    def advance(self, failed: bool) -> None:
        """One more seed done; ``failed``: it was not valid."""

    def close(self) -> None:
        """The seeds are done (or stopped): take the bar down."""


class Tally:
    """Seeds done and failed so far, and the rate since the start."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()

    def count(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        return f"{self.done}/{self.total} seeds, {self.failed} failing, {self.rate():.1f} seeds/s"


class PlainProgress:
    """A line every ``total / PLAIN_LINES`` seeds, and at the last one."""

    def __init__(self, total: int, out: TextIO, label: str) -> None:
        self.tally = Tally(total)
        self.out = out
        self.label = label
        self.step = max(1, math.ceil(total / PLAIN_LINES))

    def advance(self, failed: bool) -> None:
        self.tally.count(failed)
        if self.tally.done % self.step == 0 or self.tally.done == self.tally.total:
            print(f"{self.label}: {self.tally.line()}", file=self.out, flush=True)

    def close(self) -> None:
        """Every line is already out."""


class RichProgress:
    """A bar with seeds done, failures so far and seeds/s, redrawn four times a second."""

    def __init__(self, total: int, console: Console, label: str) -> None:
        self.tally = Tally(total)
        self.progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("seeds, [red]{task.fields[failed]} failing[/red],"),
            TextColumn("{task.fields[rate]:.1f} seeds/s"),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=4,
        )
        self.task = self.progress.add_task(label, total=total, failed=0, rate=0.0)
        self.progress.start()

    def advance(self, failed: bool) -> None:
        self.tally.count(failed)
        self.progress.update(
            self.task, completed=self.tally.done, failed=self.tally.failed, rate=self.tally.rate()
        )

    def close(self) -> None:
        self.progress.stop()


def progress_for(total: int, label: str, out: TextIO = sys.stderr) -> SeedProgress:
    """Rich on a terminal, plain lines otherwise."""
    if out.isatty():
        return RichProgress(total, Console(file=out), label)
    return PlainProgress(total, out, label)
