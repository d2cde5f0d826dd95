"""``glome sweep``: one ``glome test`` command line under ``--sim`` over many seeds
(docs/hunting.md §1).

Under ``--sim`` a seed fixes the whole run (docs/simulation.md), so a sweep is
a search for the seeds on which a node fails. Each seed runs lean (no plots, a
temporary store that is deleted) on an executor (``executors``: local worker
processes, or a Dask cluster, docs/hunting.md §1.1); only the failing seeds are
then run again, in full and in this process, into the real store, where their
plots and history are kept. The rerun must give the same verdict, failure kinds,
ops, messages and faults: if it does not, the node is not deterministic under
``--sim`` and the sweep says so loudly.

Exit codes: 1 when any seed is invalid or aborted (a node that crashes on a seed
is a failure found, as an invalid history is), else 2 when any is unknown, else
0; 254 for a bad command line; 255 when the executor itself broke; 130 or 143
when SIGINT or SIGTERM stops it. The summary (``store/sweeps/<timestamp>/
summary.json``, and ``store/sweeps/latest``) is written in every case but a bad
command line, with what was done so far.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import orjson

from glome.bench.aborted import TestAborted
from glome.bench.history import UNKNOWN
from glome.bench.results import STORE_ROOT, SWEEPS, replace_link, timestamped_directory
from glome.bench.runner import Interrupted, SignalGuard, resolve_bin
from glome.challenge import catalog
from glome.exit_codes import ABORTED, BAD_ARGUMENTS, INVALID, VALID
from glome.exit_codes import UNKNOWN as UNKNOWN_EXIT
from glome.hunt.executors import (
    LOCAL,
    Executor,
    ExecutorBroke,
    ExecutorUnavailable,
    open_executor,
)
from glome.hunt.progress import progress_for
from glome.hunt.trial import Trial, TrialError, command_line, run_trial, test_options, with_options

PROG = "glome sweep"
DESCRIPTION = """\
Run one glome test command line under --sim once per seed, FIRST..FIRST+N-1, in
parallel; rerun each failing seed in full into the store (plots included), and
print a table of the verdicts with the command that replays each failure. Give
the command line after --, or a challenge's with --challenge."""
EPILOG = """\
examples:
  glome sweep --seeds 200 --challenge 3c
  glome sweep --seeds 1000 --first-seed 5000 -- -w g-set --bin ./my-node --nemesis partition
  glome sweep --seeds 10000 --executor dask://scheduler:8786 --challenge 3c

exit codes: 0 every seed valid; 1 a seed invalid or aborted; 2 a seed unknown and
none invalid; 254 bad arguments; 255 the executor broke; 130/143 interrupted."""

#: the four verdicts a seed can have, in the order the table lists them
VERDICTS = ("valid", "invalid", "unknown", "aborted")
SUMMARY_FILE = "summary.json"
LATEST = "latest"
_JSON_OPTIONS = orjson.OPT_INDENT_2


class ArgumentError(Exception):
    """A sweep command line that cannot run; the message says why (exit 254)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def parser() -> argparse.ArgumentParser:
    parse = _Parser(
        prog=PROG,
        usage=f"{PROG} --seeds N [options] (-- <glome test arguments> | --challenge ID)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument("--seeds", type=_positive, metavar="N", help="how many seeds to run")
    parse.add_argument(
        "--first-seed", type=int, default=1, metavar="K", help="the first seed (default 1)"
    )
    parse.add_argument(
        "--jobs",
        type=_positive,
        metavar="J",
        help="local worker processes (default: one per core); a Dask cluster runs as many "
        "seeds at once as it has worker processes",
    )
    parse.add_argument(
        "--executor",
        default=LOCAL,
        metavar="URL",
        help="local (default), or dask://HOST:PORT: a running Dask scheduler, whose "
        "workers have glome[cluster] and the node binaries installed",
    )
    parse.add_argument(
        "--store",
        type=Path,
        default=STORE_ROOT,
        metavar="DIR",
        help="where failing seeds' runs and the sweep's summary go (default: store)",
    )
    parse.add_argument(
        "--challenge",
        metavar="ID",
        help="sweep this challenge's command line (glome's node, the catalog's flags)",
    )
    parse.add_argument(
        "--line",
        type=_positive,
        metavar="L",
        help="which command line of a challenge that has several (6b has 2)",
    )
    return parse


@dataclass(frozen=True)
class Plan:
    """What to sweep, where, and where to keep what fails."""

    test_args: list[str]  # glome test's arguments, without --sim and --seed
    seeds: range
    jobs: int
    executor: str
    store: Path

    def command(self) -> list[str]:
        return ["glome", "test", *with_options(self.test_args, ["--sim"])]

    def replay(self, seed: int) -> str:
        """The exact command that runs ``seed`` again, as a shell would take it."""
        return command_line(self.test_args, seed)


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """The sweep's own arguments, before ``--``, and glome test's, after it."""
    split = argv.index("--") if "--" in argv else len(argv)
    return argv[:split], argv[split + 1 :]


def plan_of(argv: list[str]) -> Plan:
    own, given = split_arguments(argv)
    try:
        args = parser().parse_args(own)
    except ArgumentError as error:
        if "unrecognized arguments" in str(error):
            raise ArgumentError(f"{error} (glome test's arguments go after --)") from error
        raise
    if args.seeds is None:
        raise ArgumentError("--seeds N is required: how many seeds to run")
    if args.executor != LOCAL and args.jobs is not None:
        raise ArgumentError(
            "--jobs is for the local executor: a Dask cluster runs as many seeds at once "
            "as it has worker processes"
        )
    if (args.challenge is None) == (not given):
        raise ArgumentError("give either --challenge ID or glome test's arguments after --")
    if args.line is not None and args.challenge is None:
        raise ArgumentError("--line picks a command line of --challenge")
    test_args = given if args.challenge is None else challenge_args(args.challenge, args.line)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    options = test_options(test_args, seeds[0])  # raises TrialError for what glome test refuses
    try:
        resolve_bin(options.bin)
    except TestAborted as error:
        raise ArgumentError(str(error)) from error
    jobs = min(args.jobs or os.cpu_count() or 1, len(seeds))  # no idle workers
    return Plan(test_args, seeds, jobs, args.executor, args.store)


def challenge_args(challenge_id: str, line: int | None) -> list[str]:
    """The catalog's command line of a challenge, with glome's own node."""
    challenge = catalog.BY_ID.get(challenge_id.lower())
    if challenge is None:
        known = ", ".join(known.id for known in catalog.CHALLENGES)
        raise ArgumentError(f"unknown challenge {challenge_id!r}: one of {known}")
    lines = challenge.command_lines
    if line is None and len(lines) > 1:
        raise ArgumentError(
            f"challenge {challenge.id} has {len(lines)} command lines: pick one with "
            f"--line 1..{len(lines)}"
        )
    chosen = line or 1
    if chosen > len(lines):
        raise ArgumentError(f"challenge {challenge.id} has {len(lines)} command line(s)")
    return catalog.command_line(challenge, lines[chosen - 1])


def verdict(trial: Trial) -> str:
    """One of VERDICTS."""
    if trial.valid is None:
        return "aborted"
    if trial.valid == UNKNOWN:
        return "unknown"
    return "valid" if trial.valid is True else "invalid"


def failed(trial: Trial) -> bool:
    return verdict(trial) != "valid"


def _outcome(trial: Trial) -> tuple[Any, ...]:
    """What a full rerun must repeat of its lean run."""
    return (trial.valid, trial.kinds, trial.ops, trial.messages, trial.faults)


@dataclass
class Sweep:
    """A sweep's record: each seed's lean trial, and each failing seed's full rerun."""

    plan: Plan
    started: datetime = field(default_factory=lambda: datetime.now().astimezone())
    trials: dict[int, Trial] = field(default_factory=dict)
    reruns: dict[int, Trial] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the lean seeds, executor start included
    rerun_seconds: float = 0.0
    signal: int | None = None  # the signal that stopped it
    broke: str | None = None  # why the executor failed

    def interrupted(self) -> str | None:
        if self.signal is None:
            return None
        return f"after {len(self.trials)} of {len(self.plan.seeds)} seeds"

    def failing(self) -> list[int]:
        return sorted(seed for seed, trial in self.trials.items() if failed(trial))

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for trial in self.trials.values():
            counts[verdict(trial)] += 1
        return counts

    def rate(self) -> float:
        return len(self.trials) / self.seconds if self.seconds > 0 else 0.0

    def deterministic(self, seed: int) -> bool | None:
        """Whether the full rerun repeated the lean run; None: not rerun."""
        rerun = self.reruns.get(seed)
        return None if rerun is None else _outcome(rerun) == _outcome(self.trials[seed])

    def exit_code(self) -> int:
        if self.signal is not None:
            return 128 + self.signal  # as glome test: 130 for SIGINT, 143 for SIGTERM
        if self.broke is not None:
            return ABORTED
        counts = self.counts()
        if counts["invalid"] or counts["aborted"]:
            return INVALID
        return UNKNOWN_EXIT if counts["unknown"] else VALID

    def summary(self) -> dict[str, Any]:
        seeds: dict[str, Any] = {}
        for seed in sorted(self.trials):
            trial = self.trials[seed]
            rerun = self.reruns.get(seed)
            entry: dict[str, Any] = {
                "valid?": trial.valid,
                "kinds": list(trial.kinds),
                "ops": trial.ops,
                "messages": trial.messages,
                "faults": trial.faults,
                "seconds": trial.seconds,
                "store": rerun.store if rerun is not None else None,
            }
            if trial.error is not None:
                entry["error"] = trial.error
            if failed(trial):
                entry["replay"] = self.plan.replay(seed)
                entry["deterministic"] = self.deterministic(seed)
                if rerun is not None and not entry["deterministic"]:
                    entry["rerun"] = rerun.to_dict()
            seeds[str(seed)] = entry
        summary: dict[str, Any] = {
            "command": self.plan.command(),
            "first-seed": self.plan.seeds.start,
            "seeds-asked": len(self.plan.seeds),
            "executor": self.plan.executor,
            "jobs": self.plan.jobs if self.plan.executor == LOCAL else None,
            "started": self.started.isoformat(timespec="seconds"),
            "seeds": seeds,
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "seeds-per-second": round(self.rate(), 3),
            "rerun-seconds": round(self.rerun_seconds, 3),
            "exit-code": self.exit_code(),
        }
        if self.signal is not None:
            summary["interrupted"] = self.interrupted()
        if self.broke is not None:
            summary["executor-broke"] = self.broke
        return summary

    def write_summary(self) -> Path:
        """``store/sweeps/<start time>/summary.json``, and ``store/sweeps/latest`` at it."""
        folder = timestamped_directory(self.plan.store / SWEEPS, self.started)
        path = folder / SUMMARY_FILE
        path.write_bytes(orjson.dumps(self.summary(), option=_JSON_OPTIONS) + b"\n")
        replace_link(folder.parent / LATEST, Path(folder.name))
        return path


# ------------------------------------------------------------------ running


def run_seeds(sweep: Sweep, executor: Executor, err: TextIO) -> None:
    """Every seed, lean, on the executor; the progress on ``err``."""
    plan = sweep.plan
    progress = progress_for(len(plan.seeds), PROG, err)
    began = time.monotonic()
    try:
        with executor:
            for trial in executor.trials(plan.test_args, plan.seeds):
                sweep.trials[trial.seed] = trial
                progress.advance(failed(trial))
    finally:
        sweep.seconds = time.monotonic() - began
        progress.close()


def rerun_failures(sweep: Sweep, guard: SignalGuard, err: TextIO) -> None:
    """Each failing seed again, in full and in this process, into the store."""
    plan = sweep.plan
    began = time.monotonic()
    try:
        for seed in sweep.failing():
            print(f"{PROG}: seed {seed} failed; running it again in full", file=err, flush=True)
            rerun = run_trial(plan.test_args, seed, plan.store, plots=True, guard=guard)
            if guard.received is not None:
                return
            sweep.reruns[seed] = rerun
            if not sweep.deterministic(seed):
                lean = sweep.trials[seed]
                print(
                    f"{PROG}: NOT DETERMINISTIC: seed {seed} gave {verdict(lean)} "
                    f"{list(lean.kinds)}, {lean.ops} ops, {lean.messages} messages, but "
                    f"{verdict(rerun)} {list(rerun.kinds)}, {rerun.ops} ops, "
                    f"{rerun.messages} messages when run again: the node does not repeat "
                    "itself under --sim (docs/simulation.md), so its replay line may not "
                    "show the failure",
                    file=err,
                    flush=True,
                )
    finally:
        sweep.rerun_seconds = time.monotonic() - began


def aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows as columns of text, the first row a header underlined."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def report(sweep: Sweep, summary_path: Path, out: TextIO) -> None:
    """The verdict counts and rate, then a row per failing seed and the line replaying it."""
    counts = sweep.counts()
    lines = aligned([("verdict", "seeds"), *((name, str(counts[name])) for name in VERDICTS)])
    lines += [
        "",
        f"{len(sweep.trials)} of {len(sweep.plan.seeds)} seeds in {sweep.seconds:.1f} s: "
        f"{sweep.rate():.2f} seeds/s",
    ]
    failing = sweep.failing()
    if failing:
        header = ("seed", "verdict", "kinds", "ops", "messages", "faults", "store")
        rows = [header]
        for seed in failing:
            trial = sweep.trials[seed]
            rerun = sweep.reruns.get(seed)
            store = rerun.store if rerun is not None and rerun.store is not None else "-"
            kinds = ", ".join(trial.kinds)
            figures = (str(trial.ops), str(trial.messages), str(trial.faults))
            rows.append((str(seed), verdict(trial), kinds, *figures, store))
        lines += ["", *aligned(rows), "", "replay:"]
        for seed in failing:
            lines.append(f"  {sweep.plan.replay(seed)}")
            error = sweep.trials[seed].error
            if error:
                lines.append(f"    ({error.strip().splitlines()[0]})")
            if sweep.deterministic(seed) is False:
                lines.append("    (NOT DETERMINISTIC: the rerun differed, see above)")
    lines += ["", f"summary: {summary_path}"]
    print("\n".join(lines), file=out, flush=True)


def main(argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if any(arg in ("-h", "--help") for arg in split_arguments(argv)[0]):
        print(parser().format_help(), file=out)
        return VALID
    try:
        plan = plan_of(argv)
    except (ArgumentError, TrialError) as error:
        return refuse(error, err)
    guard = SignalGuard()
    guard.install()
    try:
        return sweep_plan(plan, guard, out, err)
    except Interrupted as interruption:  # while the executor started: nothing ran yet
        return interruption.exit_code
    finally:
        guard.restore()


def refuse(error: Exception, err: TextIO) -> int:
    print(f"{PROG}: {error}\n\n{parser().format_usage()}", file=err)
    return BAD_ARGUMENTS


def sweep_plan(plan: Plan, guard: SignalGuard, out: TextIO, err: TextIO) -> int:
    """Start the executor, run every seed, rerun the failures, report; the exit code."""
    try:
        executor = open_executor(plan.executor, plan.jobs)
    except ExecutorUnavailable as error:
        return refuse(error, err)
    sweep = Sweep(plan)
    seeds = plan.seeds
    print(
        f"{PROG}: seeds {seeds.start}..{seeds.stop - 1} of {shlex.join(plan.command())} "
        f"on {executor.description}",
        file=err,
        flush=True,
    )
    try:
        run_seeds(sweep, executor, err)
        rerun_failures(sweep, guard, err)
    except Interrupted:  # the guard's, between runs; inside a run it ends the run instead
        pass
    except TrialError as error:  # a command line only a run refuses (a node without --sim)
        print(f"{PROG}: {error}", file=err)
        return BAD_ARGUMENTS
    except ExecutorBroke as error:
        sweep.broke = str(error)
        print(f"{PROG}: {error}", file=err)
    sweep.signal = guard.received
    report(sweep, sweep.write_summary(), out)
    if sweep.signal is not None:
        print(f"Interrupted: {sweep.interrupted()}.", file=err)
    return sweep.exit_code()
