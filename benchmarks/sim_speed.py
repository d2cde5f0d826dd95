"""Simulation speed: the wall time of every challenge command line under ``glome test --sim``.

    python benchmarks/sim_speed.py
    python benchmarks/sim_speed.py --only 3d,5a --seed 7 --repeat 3

Each challenge command line of ``glome.challenge.catalog`` (with glome's own node; 6b
has two, labelled ``6b line 1`` and ``6b line 2``) runs as ``glome test <flags>
--sim --seed N`` in a fresh temporary working directory, so it writes its own
``store/``, which is deleted afterwards (kept when the run fails). The script
prints a Markdown table, one row per command line:

- virtual s: the simulated time the test covered, the ``time`` of the last op
  in history.jsonl: the time limit, plus the final phase where the workload
  has one.
- wall s: the whole ``glome test`` process, timed around the subprocess:
  interpreter and node start-up, the simulation, the checkers, the plots and
  the store's files.
- of which analysis s: the checkers and plots alone (results.json
  ``glome.analysis-s``).
- virtual s per wall s: how many times faster than real time the whole
  process ran.
- deliveries: messages delivered, between clients and nodes and between nodes
  (results.json ``net.all.recv-count``).
- wall µs per delivery, whole: wall s over deliveries.
- wall µs per delivery, sim: (wall s - analysis s) over deliveries; this still
  holds start-up and writing the history, so it is an upper bound on the cost
  of routing one message in the simulation.

With ``--repeat K`` each line runs K times and its row is the run with the
least wall time, the one least disturbed by other load on the machine. The
script exits 1 when any run's exit code is not 0, after printing its stderr.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glome.challenge.catalog import BY_ID, CHALLENGES, Challenge, CommandLine, command_line

#: lines of a failed run's stdout shown under its stderr (the verdict is at the end)
STDOUT_TAIL_LINES = 20


@dataclass(frozen=True)
class Line:
    """One challenge command line, with the label its row carries."""

    label: str
    challenge: Challenge
    run: CommandLine

    def argv(self, seed: int) -> list[str]:
        return [
            "glome",
            "test",
            *command_line(self.challenge, self.run),
            "--sim",
            "--seed",
            str(seed),
        ]


@dataclass(frozen=True)
class Measurement:
    """What one ``glome test --sim`` process took and did."""

    wall_s: float
    analysis_s: float
    virtual_s: float
    deliveries: int


@dataclass(frozen=True)
class Failure:
    """A run that exited non-zero (or did not run on the virtual clock): enough to repeat it."""

    line: Line
    command: list[str]
    reason: str
    stderr: str
    stdout_tail: str
    workdir: Path


def lines(only: set[str] | None) -> list[Line]:
    """Every command line of the chosen challenges, in the challenges' order."""
    chosen: list[Line] = []
    for challenge in CHALLENGES:
        if only is not None and challenge.id not in only:
            continue
        for number, run in enumerate(challenge.command_lines, 1):
            single = len(challenge.command_lines) == 1
            label = challenge.id if single else f"{challenge.id} line {number}"
            chosen.append(Line(label, challenge, run))
    return chosen


def last_op_time_s(history: Path) -> float:
    """The last op's ``time`` (ns since the test began) in seconds: the virtual time covered."""
    data = history.read_bytes().rstrip(b"\n")
    last = json.loads(data[data.rfind(b"\n") + 1 :])
    return last["time"] / 1e9


def run_once(line: Line, seed: int) -> Measurement | Failure:
    """Run one command line in a fresh directory and read back what its store says."""
    command = line.argv(seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"sim-speed-{line.challenge.id}-"))
    stdout_path, stderr_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        started = time.perf_counter()
        returncode = subprocess.run(
            command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        ).returncode
        wall_s = time.perf_counter() - started
    reason = f"exit code {returncode}" if returncode != 0 else ""
    results: dict[str, Any] = {}
    if not reason:
        store = workdir / "store" / "latest"
        results = json.loads((store / "results.json").read_text(encoding="utf-8"))
        clock = results["glome"].get("clock")
        if clock != "virtual":  # a real-clock run would make every figure meaningless here
            reason = f"ran on the {clock!r} clock, not the virtual one"
    if reason:
        stdout_lines = stdout_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return Failure(
            line,
            command,
            reason,
            stderr_path.read_text(encoding="utf-8", errors="replace"),
            "\n".join(stdout_lines[-STDOUT_TAIL_LINES:]),
            workdir,
        )
    measurement = Measurement(
        wall_s=wall_s,
        analysis_s=float(results["glome"]["analysis-s"]),
        virtual_s=last_op_time_s(store / "history.jsonl"),
        deliveries=int(results["net"]["all"]["recv-count"]),
    )
    shutil.rmtree(workdir)
    return measurement


def per_delivery_us(seconds: float, deliveries: int) -> str:
    return f"{seconds / deliveries * 1e6:.1f}" if deliveries else "-"


def row(label: str, m: Measurement) -> list[str]:
    return [
        label,
        f"{m.virtual_s:.1f}",
        f"{m.wall_s:.2f}",
        f"{m.analysis_s:.2f}",
        f"{m.virtual_s / m.wall_s:.1f}",
        str(m.deliveries),
        per_delivery_us(m.wall_s, m.deliveries),
        per_delivery_us(m.wall_s - m.analysis_s, m.deliveries),
    ]


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table padded to line up in a terminal as well; numbers right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    rule = ["-" * (width - 1) + ":" if i else "-" * width for i, width in enumerate(widths)]

    def render(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    return "\n".join([render(headers), render(rule), *(render(cells) for cells in rows)])


def report_failure(failure: Failure) -> None:
    print(f"\n{failure.line.label} failed: {failure.reason}", file=sys.stderr)
    print(f"  command: (cd {failure.workdir} && {shlex.join(failure.command)})", file=sys.stderr)
    print("  stderr:", file=sys.stderr)
    print(failure.stderr.rstrip() or "  (empty)", file=sys.stderr)
    print(f"  last {STDOUT_TAIL_LINES} lines of stdout:", file=sys.stderr)
    print(failure.stdout_tail.rstrip() or "  (empty)", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated challenge ids, e.g. 3d,5a (default all)")
    parser.add_argument("--seed", type=int, default=1, help="--seed for every run (default 1)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per line; the row is the fastest (default 1)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    only: set[str] | None = None
    if args.only:
        only = {part.strip() for part in args.only.split(",") if part.strip()}
        unknown = sorted(only - BY_ID.keys())
        if unknown:
            parser.error(f"unknown challenge ids {', '.join(unknown)}; known: {', '.join(BY_ID)}")
    if shutil.which("glome") is None:
        print("glome is not on PATH (pip install -e . puts it there)", file=sys.stderr)
        return 2

    rows: list[list[str]] = []
    best: list[Measurement] = []
    failures: list[Failure] = []
    spent_s = 0.0
    chosen = lines(only)
    for line in chosen:
        measurements: list[Measurement] = []
        for attempt in range(1, args.repeat + 1):
            outcome = run_once(line, args.seed)
            if isinstance(outcome, Failure):
                print(f"{line.label}: run {attempt}/{args.repeat} FAILED", file=sys.stderr)
                failures.append(outcome)
                break
            spent_s += outcome.wall_s
            measurements.append(outcome)
            print(
                f"{line.label}: run {attempt}/{args.repeat} {outcome.wall_s:.2f} s", file=sys.stderr
            )
        if len(measurements) == args.repeat:
            fastest = min(measurements, key=lambda m: m.wall_s)
            best.append(fastest)
            rows.append(row(line.label, fastest))
        else:
            rows.append([line.label, "-", "failed", *["-"] * 5])

    wall_header = "wall s" if args.repeat == 1 else f"wall s (min of {args.repeat})"
    headers = [
        "challenge",
        "virtual s",
        wall_header,
        "of which analysis s",
        "virtual s per wall s",
        "deliveries",
        "wall µs/delivery, whole",
        "wall µs/delivery, sim",
    ]
    print(markdown(headers, rows))
    print()
    wall_s = sum(m.wall_s for m in best)
    virtual_s = sum(m.virtual_s for m in best)
    plural = "" if len(best) == 1 else "s"
    totals = (
        f"total: {wall_s:.2f} wall s for {virtual_s:.1f} virtual s over {len(best)} line{plural}"
    )
    if best:
        totals += f" ({virtual_s / wall_s:.1f} virtual s per wall s)"
    if args.repeat > 1:
        totals += (
            f"; each row is the fastest of {args.repeat} runs, {spent_s:.2f} wall s spent in all"
        )
    print(totals)
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print("each line ran, in a fresh working directory:")
    for line in chosen:
        print(f"  {line.label}: {shlex.join(line.argv(args.seed))}")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    for failure in failures:
        report_failure(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
