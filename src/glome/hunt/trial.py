"""One simulated ``glome test`` run of a command line and a seed, in this process.

A sweep, a replay and a shrink all run the same thing many times: the user's
command line under ``--sim`` with one seed. Under ``--sim`` the same seed and the
same node code give the same history (docs/simulation.md), so a trial can run
lean (``--no-plots``, no console) and a failing seed can be run again in full
whenever its store is wanted.
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from glome.bench.aborted import TestAborted
from glome.bench.checkers.perf import bands
from glome.bench.history import Op
from glome.bench.options import OptionsError, TestOptions, parse_test_args
from glome.bench.process import NodeCrashed
from glome.bench.results import load_history
from glome.bench.runner import run
from glome.bench.simulation import SimulationError, SimulationRefused
from glome.bench.workloads import UnsupportedWorkload
from glome.exit_codes import ABORTED

#: the result keys that hold a workload checker's anomaly names, in preference order
_ANOMALY_LISTS = ("anomaly-types", "bad-error-types", "error-types")
#: count keys of the set and id checkers that name an anomaly when non-zero
_ANOMALY_COUNTS = ("lost-count", "stale-count", "duplicated-count")
#: options a hunt sets itself, so the user's command line may not
_HUNT_FLAGS = ("--seed", "--sim", "--test-count")


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


def run_trial(argv: list[str], seed: int, store_root: Path, *, plots: bool = False) -> Trial:
    """Run ``argv`` with ``seed`` on the virtual clock; the store lands under ``store_root``."""
    options = test_options(argv, seed, plots=plots)
    started = time.perf_counter()
    try:
        outcome = run(options, io.StringIO(), store_root)
    except (UnsupportedWorkload, SimulationRefused) as error:
        raise TrialError(str(error)) from error
    except (TestAborted, NodeCrashed, SimulationError) as error:
        seconds = time.perf_counter() - started
        return Trial(seed, ABORTED, None, ("aborted",), 0, 0, 0, seconds, None, str(error))
    seconds = time.perf_counter() - started
    results = outcome.results or {}
    store = str(outcome.store) if outcome.store is not None else None
    history = load_history(outcome.store) if outcome.store is not None else []
    return Trial(
        seed=seed,
        exit_code=outcome.exit_code,
        valid=results.get("valid?"),
        kinds=failure_kinds(results),
        ops=int(results.get("stats", {}).get("count", 0)),
        messages=int(results.get("net", {}).get("all", {}).get("send-count", 0)),
        faults=fault_count(history),
        seconds=round(seconds, 3),
        store=store,
    )


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
