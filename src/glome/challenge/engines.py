"""Running one job through glome's own bench, in-process, with the challenge's exact flags.

Each run keeps its store folder (``store/<workload>/<timestamp>/``). A run that
cannot finish (``TestAborted`` / ``NodeCrashed``, what ``glome test`` reports
with exit 255) becomes a "crashed" row with its message, so the command can
go on with the next challenge. A run cut short by SIGINT or SIGTERM (the
bench's ``SignalGuard``) keeps its partial store and becomes an "interrupted"
row, which ends the command.
"""

from __future__ import annotations

import io
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from glome.bench import progress, runner
from glome.bench.options import OptionsError, parse_test_args
from glome.bench.process import NodeCrashed
from glome.challenge.judging import INTERRUPTED, Row, judge
from glome.challenge.plan import Job

Show = Callable[[str], None]  # receives the current run's live status line


class Engine(Protocol):
    name: str

    def run(self, job: Job, show: Show) -> Row:
        """Run one job to its row (never raises for a failed or aborted run)."""


def latest_run(store_root: Path) -> Path | None:
    """The folder ``store/latest`` points at, relative to the store root."""
    link = store_root / "latest"
    if not link.exists():
        return None
    return link.resolve().relative_to(store_root.resolve())


def new_run_folder(store_root: Path, before: Path | None) -> str | None:
    """The run folder a job created: ``store/latest`` if it moved during the job."""
    after = latest_run(store_root)
    return None if after is None or after == before else after.as_posix()


class WorkloadClock:
    """Forwards the live status and notes when the workload's phases ended."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.workload_ended: float | None = None

    def update(self, line: str) -> None:
        self.show(line)

    def finished(self) -> None:
        self.workload_ended = time.monotonic()


class GlomeEngine:
    """glome's bench, in this process, writing under ``store_root``."""

    name = "glome"

    def __init__(self, store_root: Path, guard: runner.SignalGuard) -> None:
        self.store_root = store_root
        self.guard = guard

    def run(self, job: Job, show: Show) -> Row:
        row = job.new_row()
        argv = job.test_args()
        if job.seed is not None:
            argv += ["--seed", str(job.seed)]
        row.command = ["glome", "test", *argv]
        before = latest_run(self.store_root)
        started = time.monotonic()
        clock = WorkloadClock(show)
        try:
            options = parse_test_args(argv)
            with progress.watching(clock):
                outcome = runner.run(options, io.StringIO(), self.store_root, self.guard)
        except (OptionsError, runner.TestAborted, NodeCrashed) as error:
            row.message = str(error)
        except Exception as error:
            row.message = f"glome broke: {error!r}\n{traceback.format_exc()}"
        else:
            ended = time.monotonic()
            interrupted = outcome.glome.get("interrupted")
            if interrupted:
                row.verdict, row.message = INTERRUPTED, f"interrupted by {interrupted}"
            else:
                finished = clock.workload_ended
                analysis_s = None if finished is None else ended - finished
                judge(row, outcome.results or {}, job.targets, analysis_s)
        row.seconds = time.monotonic() - started
        row.store = new_run_folder(self.store_root, before)
        return row
