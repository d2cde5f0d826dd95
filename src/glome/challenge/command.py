"""``glome challenge ID|all``: run challenges with their official flags, judge, report.

Exit codes: 0 when every run is valid and meets its targets, 1 otherwise, 254
for bad arguments (or no Maelstrom for ``--engine maelstrom``), 130 or 143
when SIGINT or SIGTERM stops it (as ``glome test``). The table,
store/report.html and store/challenge-summary.json are written after every
run, so an interrupted session keeps what it did.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
from collections.abc import Generator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, TextIO

from glome.bench.aborted import TestAborted
from glome.bench.results import STORE_ROOT
from glome.bench.runner import Interrupted, SignalGuard, resolve_bin
from glome.challenge import judging
from glome.challenge.display import Display, display_for
from glome.challenge.engines import Engine, GlomeEngine, run_in_worker
from glome.challenge.maelstrom import MaelstromEngine, MaelstromMissing, find_maelstrom
from glome.challenge.plan import Job, PlanError, plan
from glome.challenge.report import write_report
from glome.exit_codes import BAD_ARGUMENTS

DESCRIPTION = """\
Run Gossip Glomers challenges with their official command lines (IDs 1, 2,
3a-3e, 4, 5a-5c, 6a-6c, or all) and judge each run: valid, and within its
targets (glome's own for glome's nodes, the challenge's official ones for
--bin). Every run keeps its store folder; store/report.html shows the table
with each run's plots, store/challenge-summary.json holds it for scripts."""


class ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def parser() -> argparse.ArgumentParser:
    parse = _Parser(prog="glome challenge", description=DESCRIPTION)
    parse.add_argument("ids", nargs="+", metavar="ID", help="challenge ids, or all")
    parse.add_argument(
        "--bin", metavar="PATH", help="test this node instead of glome's (any language)"
    )
    parse.add_argument(
        "--runs", type=_positive, default=1, metavar="N", help="runs of each command line"
    )
    parse.add_argument(
        "--seed", type=int, metavar="N", help="seed of the first run, N+1 of the second, ..."
    )
    parse.add_argument(
        "--engine",
        choices=("glome", "maelstrom"),
        default="glome",
        help="glome's bench (default), or a real maelstrom",
    )
    parse.add_argument("--maelstrom", metavar="PATH", help="the maelstrom script to run")
    parse.add_argument(
        "--time-limit",
        type=_positive,
        metavar="S",
        help="override every time limit, for a quick smoke run (targets are still judged)",
    )
    parse.add_argument(
        "--sim",
        action="store_true",
        help="run on the virtual clock (glome test --sim): fast and repeatable by --seed",
    )
    parse.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="runs at once, with --sim only (default: one per core); real-time runs go one "
        "at a time, since runs sharing the machine would distort each other's latencies",
    )
    return parse


def workers_for(args: argparse.Namespace) -> int:
    """How many runs go at once: one in real time, one per core under --sim by default."""
    if not args.sim:
        if args.jobs not in (None, 1):
            raise ArgumentError("--jobs above 1 needs --sim: real-time runs go one at a time")
        return 1
    return args.jobs or os.cpu_count() or 1


def settings_of(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "command": " ".join(["glome", "challenge", *argv]),
        "engine": args.engine,
        "clock": "virtual (--sim)" if args.sim else "real",
        "node": args.bin or "glome's own nodes",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }
    if args.time_limit is not None:
        settings["time-limit override"] = f"{args.time_limit} s (smoke run, not official lengths)"
    if args.seed is not None:
        settings["seed"] = args.seed
    return settings


def make_engine(args: argparse.Namespace, guard: SignalGuard) -> Engine:
    """The engine asked for; raises MaelstromMissing or TestAborted (bad --bin)."""
    if args.bin is not None and args.engine == "glome":
        resolve_bin(args.bin)
    if args.engine == "maelstrom":
        return MaelstromEngine(find_maelstrom(args.maelstrom), STORE_ROOT)
    return GlomeEngine(STORE_ROOT, guard)


def challenge_main(argv: list[str], out: TextIO = sys.stdout) -> int:
    guard = SignalGuard()
    try:
        args = parser().parse_args(argv)
        jobs = plan(args.ids, args.runs, args.bin, args.seed, args.time_limit, args.sim)
        if args.sim and args.engine == "maelstrom":
            raise ArgumentError("--sim runs on glome's bench only: Maelstrom has no virtual clock")
        workers = workers_for(args)
        engine = make_engine(args, guard)
    except (ArgumentError, PlanError, TestAborted) as error:
        print(f"glome challenge: {error}\n\n{parser().format_usage()}", file=sys.stderr)
        return BAD_ARGUMENTS
    except MaelstromMissing as error:
        print(str(error), file=sys.stderr)
        return BAD_ARGUMENTS
    if args.engine == "maelstrom" and args.seed is not None:
        print("note: maelstrom has no --seed; its runs are not repeatable", file=sys.stderr)
    guard.install()
    try:
        return run_jobs(jobs, engine, settings_of(args, argv), out, guard, workers)
    finally:
        guard.restore()


def run_jobs(
    jobs: list[Job],
    engine: Engine,
    settings: dict[str, Any],
    out: TextIO,
    guard: SignalGuard,
    workers: int = 1,
) -> int:
    """Every job until the end or a signal; the table, report and summary."""
    display = display_for(len(jobs), out)
    done: dict[int, judging.Row] = {}
    rows: list[judging.Row] = []
    finished = (
        _in_turn(jobs, engine, display)
        if workers == 1
        else _at_once(jobs, STORE_ROOT, workers, display)
    )
    try:
        for index, row in finished:
            done[index] = row
            rows = [done[key] for key in sorted(done)]
            display.end(index, row)
            if row.verdict == judging.INTERRUPTED:
                break
            write_report(STORE_ROOT, rows, settings)
            judging.write_summary(STORE_ROOT, rows, settings)
    except Interrupted:  # between runs, or inside maelstrom's
        pass
    finally:
        finished.close()
        display.close(rows)
    if guard.received is not None:
        settings["interrupted"] = f"after {len(rows)} of {len(jobs)} runs"
    report = write_report(STORE_ROOT, rows, settings)
    summary = judging.write_summary(STORE_ROOT, rows, settings)
    print(f"\nReport: {report}   Summary: {summary}   Browse: glome serve", file=out)
    if guard.received is not None:
        print(f"Interrupted: {settings['interrupted']}.", file=sys.stderr)
        return 128 + guard.received
    return judging.exit_code(rows)


def _in_turn(
    jobs: list[Job], engine: Engine, display: Display
) -> Generator[tuple[int, judging.Row], None, None]:
    """One job after another in this process, with the live status."""
    for index, job in enumerate(jobs):
        display.begin(index, job)
        yield index, engine.run(job, display.status)


def _at_once(
    jobs: list[Job], store_root: Path, workers: int, display: Display
) -> Generator[tuple[int, judging.Row], None, None]:
    """Up to ``workers`` jobs at once in worker processes (virtual time only: each run's
    outcome is its seed's whatever the machine's load), yielded as they finish."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's state
    queue = iter(enumerate(jobs))
    running: dict[Future[judging.Row], int] = {}
    with ProcessPoolExecutor(workers, mp_context=context) as pool:

        def submit_next() -> None:
            for index, job in queue:
                display.begin(index, job)
                running[pool.submit(run_in_worker, job, store_root)] = index
                return

        try:
            for _ in range(workers):
                submit_next()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    yield index, future.result()
                    submit_next()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
