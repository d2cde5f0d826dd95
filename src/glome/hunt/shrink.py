"""``glome shrink STORE``: a smaller run of the same seed that fails the same way.

A failing sweep seed is a whole run: a minute of ops, five nodes, a few faults.
Most of it has nothing to do with the bug. A shrink tries smaller command lines
under the same seed, one change at a time, each a lean trial (no plots) on the
virtual clock, and keeps a change when its run still fails the same way:

- an earlier end: a binary search down on ``--time-limit``. With one seed the
  generator and the nemesis draw the same sequence, so a shorter run is the
  longer one's prefix (then the final phase): once a bug has shown, a later end
  shows it too, and the search finds the earliest end that still shows it;
- fewer nodes: ``--node-count`` at the floor, half, and one fewer, the smallest
  first (never below one node, nor two while partitions are on: a partition
  needs two sides). Other node counts draw differently, so this is a new roll
  of the dice, not a prefix;
- fewer faults: each nemesis kind dropped from ``--nemesis`` in turn, then a
  ``--nemesis-interval`` twice as long, kept only when it starts fewer faults;
- a lower load: ``--rate`` halved, kept only when the run has fewer ops.

Those passes repeat until one changes nothing, or ``--max-trials`` is spent.
Every kept change was seen failing by its own trial, so a wrong guess (a bug the
prefix argument does not hold for) costs minimality, never the failure.
"The same way" is precise: a trial keeps the failure when its ``failure_kinds``
(glome.hunt.trial) hold at least one of the target kinds, which are the stored
run's own kinds, or those ``--kind`` picks from them. The smallest command line
found is then run once more in full (plots included) into the store, with
``shrink.json`` beside it: every trial, its command line, verdict, kinds and size.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from glome.bench.options import TestOptions
from glome.bench.results import STORE_ROOT
from glome.bench.runner import Interrupted, SignalGuard
from glome.exit_codes import ABORTED, BAD_ARGUMENTS, VALID
from glome.hunt.replay import (
    CommandLineError,
    HuntParser,
    StoredRun,
    StoreRefused,
    interrupted,
    load_run,
    positive,
    verdict,
)
from glome.hunt.trial import (
    Trial,
    TrialError,
    command_line,
    run_trial,
    test_options,
    with_options,
    without_options,
)

PROG = "glome shrink"
SHRINK_JSON = "shrink.json"
MAX_TRIALS = 60
#: fewest nodes any workload runs on, and while partitions are on (two sides to cut)
MIN_NODES = 1
MIN_NODES_PARTITIONED = 2
#: the options that choose the nodes: --node-count replaces them all
_NODE_OPTIONS = ("--node-count", "--node", "--nodes", "--nodes-file")
#: the sizes of the before-and-after table
_SIZES = ("ops", "messages", "nodes", "faults")

DESCRIPTION = """\
Minimise a failing simulated run (glome test --sim): try shorter, smaller,
calmer command lines under the same seed, keep each change whose run still
fails with one of the stored run's failure kinds, and store the smallest as a
new run with shrink.json beside it. Prints the sizes before and after and the
glome test command that reproduces the shrunk failure. Exit 0 with a shrunk
run (even when no change helped), 254 for a store it cannot shrink (not
simulated, not failing, files missing), 255 when the shrunk run does not fail
again."""


class Exhausted(Exception):
    """The trial budget (--max-trials) is spent."""


@dataclasses.dataclass
class Attempt:
    """One candidate tried: the change, its command line and what its trial showed."""

    number: int
    change: str
    argv: list[str]
    trial: Trial | None  # None: the command line was refused before it ran
    kept: bool
    refused: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"trial": self.number, "change": self.change, "argv": self.argv}
        if self.trial is not None:
            data.update(self.trial.to_dict())
            del data["store"]  # a lean trial's store is a temporary one
        data["kept"] = self.kept
        if self.refused is not None:
            data["refused"] = self.refused
        return data


def _number(value: float) -> str:
    """A rate or an interval as a command line writes it: 10, 2.5."""
    return f"{value:g}"


class Shrinker:
    """The greedy search: the current smallest failing command line, and every trial."""

    def __init__(
        self,
        argv: list[str],
        seed: int,
        kinds: tuple[str, ...],
        max_trials: int,
        root: Path,
        log: Callable[[str], None],
        guard: SignalGuard | None = None,
    ) -> None:
        self.seed = seed
        self.guard = guard
        self.kinds = kinds
        self.max_trials = max_trials
        self.root = root
        self.log = log
        self.attempts: list[Attempt] = []
        self._tried: dict[tuple[str, ...], Attempt] = {}  # by command line
        self.argv = argv
        self.options = test_options(argv, seed)
        self.best: Trial | None = None

    # -- trials -----------------------------------------------------------
    def keeps(self, trial: Trial | None) -> bool:
        """Whether ``trial`` fails the same way: one of its kinds is a target kind."""
        return trial is not None and not set(trial.kinds).isdisjoint(self.kinds)

    def trial(self, argv: list[str], change: str) -> Attempt:
        """The attempt at ``argv``: its trial run once, then remembered."""
        key = tuple(argv)
        if key in self._tried:
            return self._tried[key]
        if len(self.attempts) >= self.max_trials:
            raise Exhausted
        refused = None
        try:
            result: Trial | None = self.run(argv, self.root)
        except TrialError as error:
            result, refused = None, str(error)
        attempt = Attempt(len(self.attempts) + 1, change, argv, result, False, refused)
        self.attempts.append(attempt)
        self._tried[key] = attempt
        return attempt

    def run(self, argv: list[str], root: Path, *, plots: bool = False) -> Trial:
        """``argv``'s trial under the seed; a SIGINT or SIGTERM during it stops the search."""
        trial = run_trial(argv, self.seed, root, plots=plots, guard=self.guard)
        if self.guard is not None and self.guard.received is not None:
            raise Interrupted(self.guard.received)
        return trial

    def candidate(self, changes: dict[str, str | None]) -> list[str]:
        """The current command line with ``changes``: option -> its new value (None drops it)."""
        words = [
            word for name, value in changes.items() if value is not None for word in (name, value)
        ]
        return with_options(without_options(self.argv, changes), words)

    def attempt(self, changes: dict[str, str | None], change: str, smaller: str = "") -> bool:
        """Try the current command line with ``changes``; keep it when it fails the same
        way and, if ``smaller`` names a size (``ops``, ``faults``), has less of it."""
        argv = self.candidate(changes)
        fresh = tuple(argv) not in self._tried
        attempt = self.trial(argv, change)
        trial = attempt.trial
        kept = self.keeps(trial) and (
            not smaller or getattr(trial, smaller) < getattr(self.best, smaller)
        )
        attempt.kept |= kept
        if fresh:
            self._report(attempt)
        if kept:
            self.argv, self.best = argv, trial
            self.options = test_options(argv, self.seed)
        return kept

    def _report(self, attempt: Attempt) -> None:
        trial = attempt.trial
        if trial is None:
            outcome = f"refused: {attempt.refused}"
        else:
            shown = verdict(trial.valid, trial.kinds)
            outcome = f"{shown}, {trial.ops} ops, {trial.faults} faults, {trial.seconds:.1f} s"
        kept = "kept" if attempt.kept else "not kept"
        self.log(f"[{attempt.number}/{self.max_trials}] {attempt.change}: {outcome} -> {kept}")

    # -- the passes -------------------------------------------------------
    def baseline(self) -> Trial:
        """The stored run's own command line, rerun lean: the sizes to beat, and proof that
        the failure reproduces at all."""
        attempt = self.trial(self.argv, "the stored run, rerun")
        trial = attempt.trial
        attempt.kept = self.keeps(trial)
        self._report(attempt)
        if trial is None or not self.keeps(trial):
            shown = ", ".join(trial.kinds) if trial and trial.kinds else "no failure"
            raise StoreRefused(
                f"rerun, the stored run shows {shown}, not {', '.join(self.kinds)}: "
                "it does not reproduce, so there is nothing to shrink (try glome replay)"
            )
        self.best = trial
        return trial

    def shrink(self) -> bool:
        """Run the passes until one changes nothing; False when the budget ran out."""
        try:
            while any(
                [self.earlier_end(), self.fewer_nodes(), self.fewer_faults(), self.lower_rate()]
            ):
                pass
        except Exhausted:
            return False
        return True

    def earlier_end(self) -> bool:
        """Binary search down on --time-limit: the earliest end that still fails."""
        high = int(self.options.time_limit)
        low = 1 + max(
            (t for t in range(1, high) if self._tried_without_failure({"--time-limit": str(t)})),
            default=0,
        )
        start = high
        while low < high:
            middle = (low + high) // 2
            if self.attempt({"--time-limit": str(middle)}, f"--time-limit {middle}"):
                high = middle
            else:
                low = middle + 1
        return high < start

    def _tried_without_failure(self, changes: dict[str, str | None]) -> bool:
        tried = self._tried.get(tuple(self.candidate(changes)))
        return tried is not None and not self.keeps(tried.trial)

    def fewer_nodes(self) -> bool:
        """--node-count at the floor, half, then one fewer: the first that still fails."""
        count = len(self.options.nodes)
        floor = MIN_NODES_PARTITIONED if "partition" in self.options.nemesis else MIN_NODES
        for fewer in sorted({floor, count // 2, count - 1}):
            if floor <= fewer < count:
                changes: dict[str, str | None] = dict.fromkeys(_NODE_OPTIONS)
                changes["--node-count"] = str(fewer)
                if self.attempt(changes, f"--node-count {fewer}"):
                    return True
        return False

    def fewer_faults(self) -> bool:
        """Each nemesis kind dropped in turn, then a longer interval between faults."""
        changed = False
        for kind in sorted(self.options.nemesis):
            rest = ",".join(sorted(self.options.nemesis - {kind}))
            # with no fault left the interval means nothing: it goes too
            changes = {"--nemesis": rest or None} | ({} if rest else {"--nemesis-interval": None})
            changed |= self.attempt(changes, f"--nemesis without {kind}")
        while self.options.nemesis:
            longer = _number(float(self.options.nemesis_interval) * 2)
            change = f"--nemesis-interval {longer}"
            if not self.attempt({"--nemesis-interval": longer}, change, smaller="faults"):
                break
            changed = True
        return changed

    def lower_rate(self) -> bool:
        """--rate halved while that still fails, with fewer ops."""
        changed = False
        while self.options.rate > 0:
            lower = _number(self.options.rate / 2)
            if not self.attempt({"--rate": lower}, f"--rate {lower}", smaller="ops"):
                break
            changed = True
        return changed


# ------------------------------------------------------------ the command


def parser() -> argparse.ArgumentParser:
    parse = HuntParser(prog=PROG, description=DESCRIPTION)
    parse.add_argument(
        "store", metavar="STORE", help="a failing stored run: its directory, or an index"
    )
    parse.add_argument(
        "--max-trials",
        type=positive,
        default=MAX_TRIALS,
        metavar="N",
        help=f"most trial runs, the stored run's rerun included (default {MAX_TRIALS})",
    )
    parse.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="keep this failure kind (repeat for more; default: any of the stored run's)",
    )
    return parse


def target_kinds(stored: StoredRun, chosen: list[str] | None) -> tuple[str, ...]:
    """The kinds a trial must show one of: the stored run's, or those --kind picks."""
    kinds = stored.kinds
    if not kinds:
        raise StoreRefused(f"{stored.store} passed: there is no failure to shrink")
    unknown = sorted(set(chosen or ()) - set(kinds))
    if unknown:
        raise StoreRefused(f"--kind {', '.join(unknown)}: the stored run failed with {kinds}")
    return tuple(sorted(set(chosen))) if chosen else kinds


def sizes(trial: Trial, options: TestOptions) -> dict[str, int]:
    return {
        "ops": trial.ops,
        "messages": trial.messages,
        "nodes": len(options.nodes),
        "faults": trial.faults,
    }


def table(before: dict[str, int], after: dict[str, int]) -> list[str]:
    width = max(len(str(value)) for value in [*before.values(), *after.values(), "before"])
    rows = [f"  {'':<8}  {'before':>{width}}  {'after':>{width}}"]
    rows += [f"  {key:<8}  {before[key]:>{width}}  {after[key]:>{width}}" for key in _SIZES]
    return rows


def changes(before: TestOptions, after: TestOptions) -> list[str]:
    """What the shrink changed, one option a line: ``--time-limit 20 -> 7``."""
    axes = {
        "--time-limit": (before.time_limit, after.time_limit),
        "--node-count": (len(before.nodes), len(after.nodes)),
        "--nemesis": (",".join(sorted(before.nemesis)), ",".join(sorted(after.nemesis))),
        "--nemesis-interval": (before.nemesis_interval, after.nemesis_interval),
        "--rate": (before.rate, after.rate),
    }
    if not after.nemesis:
        del axes["--nemesis-interval"]
    return [
        f"{name} {_shown(then)} -> {_shown(now)}"
        for name, (then, now) in axes.items()
        if then != now
    ]


def _shown(value: Any) -> str:
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value) or "(none)"


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    try:
        args = parser().parse_args(argv)
        stored = load_run(args.store)
        kinds = target_kinds(stored, args.kind)
    except (CommandLineError, StoreRefused) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    print(
        f"shrinking {stored.store}: seed {stored.seed}, kept while a run fails with "
        f"{' or '.join(kinds)}",
        flush=True,
    )
    guard = SignalGuard()  # Ctrl-C stops the search with the trial's nodes killed
    guard.install()
    shrinker = None
    try:
        with tempfile.TemporaryDirectory(prefix="glome-shrink-") as scratch:
            shrinker = Shrinker(
                stored.argv,
                stored.seed,
                kinds,
                args.max_trials,
                Path(scratch),
                lambda line: print(f"shrink {line}", file=sys.stderr, flush=True),
                guard,
            )
            before = shrinker.baseline()
            before_options = shrinker.options
            finished = shrinker.shrink()
        final = shrinker.run(shrinker.argv, STORE_ROOT, plots=True)
    except StoreRefused as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    except Interrupted:
        if shrinker is not None and shrinker.best is not None:
            smallest = command_line(shrinker.argv, stored.seed)
            print(f"{PROG}: the smallest failing run so far: {smallest}", file=sys.stderr)
        return interrupted(PROG, guard)
    finally:
        guard.restore()
    command = command_line(shrinker.argv, stored.seed)
    if final.store is None or not shrinker.keeps(final):
        print(
            f"{PROG}: the shrunk command line did not fail again in full ({final.kinds}): "
            f"the node does not repeat itself under --sim\n  {command}",
            file=sys.stderr,
        )
        return ABORTED
    record = {
        "source": str(stored.store),
        "seed": stored.seed,
        "kinds": list(kinds),
        "argv": stored.argv,
        "shrunk-argv": shrinker.argv,
        "command": command,
        "finished": finished,
        "changes": changes(before_options, shrinker.options),
        "before": sizes(before, before_options),
        "after": sizes(final, shrinker.options),
        "steps": [attempt.to_dict() for attempt in shrinker.attempts],
        "seconds": round(time.perf_counter() - started, 3),
    }
    (Path(final.store) / SHRINK_JSON).write_bytes(
        orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"
    )
    _print_summary(record, shrinker, final)
    return VALID


def _print_summary(record: dict[str, Any], shrinker: Shrinker, final: Trial) -> None:
    trials = len(shrinker.attempts)
    how = "done" if record["finished"] else f"stopped: --max-trials {shrinker.max_trials} spent"
    lines = [f"{how} after {trials} trials, {record['seconds']:.1f} s"]
    if record["changes"]:
        lines.append("changed: " + "; ".join(record["changes"]))
    else:
        lines.append("no smaller run keeps the failure: the shrunk run is the stored one")
    lines += table(record["before"], record["after"])
    lines.append(f"fails with: {', '.join(final.kinds)}")
    lines.append(f"reproduce: {record['command']}")
    lines.append(f"store: {final.store} (the trials are in {SHRINK_JSON})")
    print("\n".join(lines), flush=True)
