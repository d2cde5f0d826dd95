"""One simulated ``glome test`` run of a command line and a seed, in this process.

A sweep, a replay and a shrink all run the same thing many times: the user's
command line under ``--sim`` with one seed. Under ``--sim`` the same seed and the
same node code give the same history (docs/simulation.md), so a trial can run
lean (``--no-plots``, no console) and a failing seed can be run again in full
whenever its store is wanted.
"""

from __future__ import annotations

import io
import shlex
import time
import traceback
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from glome.bench.aborted import TestAborted
from glome.bench.arguments import token_spans
from glome.bench.checkers.perf import bands
from glome.bench.history import Op
from glome.bench.options import TEST_SPECS, OptionsError, TestOptions, parse_test_args
from glome.bench.process import NodeCrashed
from glome.bench.runner import SignalGuard, run
from glome.bench.simulation import SimulationError, SimulationRefused
from glome.bench.workloads import UnsupportedWorkload
from glome.exit_codes import ABORTED

#: the result keys that hold a workload checker's anomaly names, in preference order
_ANOMALY_LISTS = ("anomaly-types", "bad-error-types", "error-types")
#: count keys of the set and id checkers that name an anomaly when non-zero
_ANOMALY_COUNTS = ("lost-count", "stale-count", "duplicated-count")
#: options a hunt sets itself, so the user's command line may not
_HUNT_FLAGS = ("--seed", "--sim", "--test-count")
#: what a stored run's command line loses to become a hunt's: how it ran, not what
_HOW_IT_RAN = (*_HUNT_FLAGS, "--no-plots")
#: every name of a glome test option -> its long name
_LONG_NAMES = {name: spec.long for spec in TEST_SPECS for name in (spec.long, spec.short) if name}
#: the one failure kind of a run that ended before its analysis
ABORTED_KIND = "aborted"


class TrialError(ValueError):
    """A command line a hunt cannot run (bad options, or one that sets what a hunt sets)."""


@dataclass(frozen=True)
class Trial:
    """What a hunt keeps of one run."""

    seed: int
    exit_code: int  # glome test's: 0 valid, 1 invalid, 2 unknown, 255 aborted
    valid: bool | str | None  # the results' valid? (True, False, "unknown"); None: aborted
    kinds: tuple[str, ...]  # what failed: checker names and workload anomaly types
    ops: int  # client operations invoked
    messages: int  # network messages sent, clients' included
    faults: int  # nemesis operations that started a fault
    seconds: float  # wall time of the run, analysis included
    store: str | None  # the run's store directory, when it was kept
    error: str | None = None  # why the run aborted

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["valid?"] = data.pop("valid")
        data["kinds"] = list(self.kinds)
        return data


def test_options(argv: list[str], seed: int, *, plots: bool = False) -> TestOptions:
    """``argv`` (a ``glome test`` command line without ``test``) under --sim with ``seed``."""
    given = [flag for flag in _HUNT_FLAGS if any(arg.split("=")[0] == flag for arg in argv)]
    if given:
        raise TrialError(f"leave {', '.join(given)} to the hunt: it sets them per seed")
    extra = ["--sim", "--seed", str(seed)] + ([] if plots else ["--no-plots"])
    try:
        options = parse_test_args([*extra, *argv])
    except OptionsError as error:
        raise TrialError(str(error)) from error
    if options.help:
        raise TrialError("--help is not a run")
    return options


def run_trial(
    argv: list[str],
    seed: int,
    store_root: Path,
    *,
    plots: bool = False,
    guard: SignalGuard | None = None,
) -> Trial:
    """Run ``argv`` with ``seed`` on the virtual clock; the store lands under ``store_root``.

    ``guard``, when the caller installed one, lets SIGINT/SIGTERM stop the run with its
    nodes killed (the trial is then not a verdict: ``guard.received`` says so)."""
    options = test_options(argv, seed, plots=plots)
    started = time.perf_counter()
    try:
        outcome = run(options, io.StringIO(), store_root, guard)
    except (UnsupportedWorkload, SimulationRefused) as error:
        raise TrialError(str(error)) from error
    except (TestAborted, NodeCrashed, SimulationError) as error:
        return _aborted(seed, started, str(error))
    except Exception as error:  # a glome bug on this seed: the hunt lists it and goes on
        return _aborted(seed, started, f"glome broke: {error!r}\n{traceback.format_exc()}")
    seconds = time.perf_counter() - started
    results = outcome.results or {}
    store = str(outcome.store) if outcome.store is not None else None
    return Trial(
        seed=seed,
        exit_code=outcome.exit_code,
        valid=results.get("valid?"),
        kinds=failure_kinds(results),
        ops=int(results.get("stats", {}).get("count", 0)),
        messages=int(results.get("net", {}).get("all", {}).get("send-count", 0)),
        faults=fault_count(outcome.history),
        seconds=round(seconds, 3),
        store=store,
    )


def _aborted(seed: int, started: float, why: str) -> Trial:
    """A run that ended before its verdict: no counts, the reason kept."""
    seconds = round(time.perf_counter() - started, 3)
    return Trial(seed, ABORTED, None, (ABORTED_KIND,), 0, 0, 0, seconds, None, why)


def failure_kinds(results: dict[str, Any]) -> tuple[str, ...]:
    """What failed in a results map: each checker whose valid? is not true, and for the
    workload checker its anomaly names (``lost``, ``G-single``, ``lost-write`` ...)."""
    kinds: list[str] = []
    for name, result in results.items():
        if not isinstance(result, dict) or result.get("valid?", True) is True:
            continue
        if name != "workload":
            kinds.append(name if result.get("valid?") is False else f"{name}:unknown")
            continue
        named = _workload_anomalies(result)
        kinds.extend(named or ["workload" if result.get("valid?") is False else "workload:unknown"])
    return tuple(sorted(set(kinds)))


def _workload_anomalies(result: dict[str, Any]) -> list[str]:
    for key in _ANOMALY_LISTS:
        if result.get(key):
            return [str(kind) for kind in result[key]]
    counted = [key.removesuffix("-count") for key in _ANOMALY_COUNTS if result.get(key)]
    if counted:
        return counted
    if result.get("failures"):  # lin-kv: the keys that are not linearizable
        return ["nonlinearizable"]
    return []


def fault_count(history: list[Op]) -> int:
    """How many faults the nemesis started: partitions, kills and pauses."""
    return sum(len(band.intervals) for band in bands(history))


# ------------------------------------------------------------ command lines
# A replay and a shrink start from a stored run's argv and edit it option by option,
# read exactly as glome test reads it (bench.arguments' tokenizer), so that what they
# run and print is the user's own command line with a few options changed.


def hunt_argv(argv: list[str]) -> list[str]:
    """A stored run's command line as a hunt takes it: without --seed, --sim, --test-count
    and --no-plots, which a hunt sets itself for each trial."""
    return without_options(argv, _HOW_IT_RAN)


def without_options(argv: list[str], names: Collection[str]) -> list[str]:
    """``argv`` without every use of the options named (long names; their short forms and
    arguments go too); the binary's own arguments after ``--`` are never touched."""
    kept: list[str] = []
    for tokens, start, end in token_spans(argv, TEST_SPECS):
        if tokens and any(_LONG_NAMES.get(name, name) in names for name, _ in tokens):
            continue
        kept.extend(argv[start:end])
    return kept


def with_options(argv: list[str], words: list[str]) -> list[str]:
    """``argv`` with ``words`` (options and their values) added where glome test reads them
    as options: before ``--``, if the command line has one."""
    cut = argv.index("--") if "--" in argv else len(argv)
    return [*argv[:cut], *words, *argv[cut:]]


def command_line(argv: list[str], seed: int) -> str:
    """The shell command that runs ``argv`` with ``seed`` on the virtual clock."""
    return shlex.join(["glome", "test", *with_options(argv, ["--sim", "--seed", str(seed)])])
