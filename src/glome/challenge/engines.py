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
from glome.bench.aborted import TestAborted
from glome.bench.options import OptionsError, parse_test_args
from glome.bench.process import NodeCrashed
from glome.bench.simulation import SimulationError, SimulationRefused
from glome.challenge.judging import INTERRUPTED, Row, judge
from glome.challenge.plan import Job

Show = Callable[[str], None]  # receives the current run's live status line


class Engine(Protocol):
    name: str

    def run(self, job: Job, show: Show) -> Row:
        """Run one job to its row (never raises for a failed or aborted run)."""


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
        started = time.monotonic()
        clock = WorkloadClock(show)
        run: runner.Run | None = None
        try:
            options = parse_test_args(argv)
            run = runner.Run(options, io.StringIO(), self.store_root, self.guard)
            with progress.watching(clock):
                outcome = run.execute()
        except (
            OptionsError,
            TestAborted,
            NodeCrashed,
            SimulationError,
            SimulationRefused,
        ) as error:
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
        if run is not None and run.store is not None:
            row.store = run.store.resolve().relative_to(self.store_root.resolve()).as_posix()
        return row


def run_in_worker(job: Job, store_root: Path) -> Row:
    """One job in a worker process of a parallel ``glome challenge --sim``: with its own
    signal guard (Ctrl-C reaches every worker), and no live status."""
    guard = runner.SignalGuard()
    guard.install()
    try:
        return GlomeEngine(store_root, guard).run(job, lambda _line: None)
    finally:
        guard.restore()
