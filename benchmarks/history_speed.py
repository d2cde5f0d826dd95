"""How long set-full and the writers of a run's history take on broadcast histories,
on the compiled core and on the pure twins, side by side.

    python benchmarks/history_speed.py [--ops 20000 100000] [--shapes healthy lossy]
                                       [--dir /dev/shm]

Targets (a quiet machine, compiled core): set-full decides 20,000 ops in at
most 0.5 s and 100,000 in at most 3 s; writing history.jsonl, history.txt and
history.edn, and results.json and results.edn, stays small beside it. A
100,000-op broadcast history is over a gigabyte in each history file (every
read returns every value), so the writing is timed in CPU seconds too: the
wall time also holds the disk's. ``--dir`` puts the files there (tmpfs leaves
the disk out); they are deleted after each history.

Each backend runs in a child process (``GLOME_NO_EXTENSIONS=1`` for the pure
one) on the same history, built by ``bench_checkers.broadcast_history``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_checkers import broadcast_history
from glome import _fast
from glome.bench import results
from glome.bench.checkers import set_full

BACKENDS = ("compiled", "pure")
SHAPES = {"healthy": {}, "lossy": {"lose": 0.1}, "empty-reads": {"empty_reads": True}}
STEPS = ("set-full", "write_history", "write_results")
TARGETS = {20_000: 0.5, 100_000: 3.0}  # set-full seconds, compiled


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """The step's result, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(ops: int, shape: str, directory: str | None) -> dict[str, Any]:
    """This process's timings of every step on one history."""
    history = broadcast_history(ops, **SHAPES[shape])
    verdict, *check_times = timed(lambda: set_full.check(history, None, "broadcast"))
    run_results = {"workload": verdict, "valid?": verdict["valid?"]}
    with tempfile.TemporaryDirectory(dir=directory) as store:
        _, *history_times = timed(lambda: results.write_history(Path(store), history))
        _, *results_times = timed(lambda: results.write_results(Path(store), run_results))
        size = sum(path.stat().st_size for path in Path(store).iterdir())
    return {
        "backend": _fast.BACKEND,
        "valid": verdict["valid?"],
        "bytes": size,
        "times": dict(zip(STEPS, (check_times, history_times, results_times), strict=True)),
    }


def measured_by(backend: str, ops: int, shape: str, directory: str | None) -> dict[str, Any]:
    environment = dict(os.environ)
    if backend == "pure":
        environment["GLOME_NO_EXTENSIONS"] = "1"
    else:
        environment.pop("GLOME_NO_EXTENSIONS", None)
    command = [sys.executable, __file__, "--child", "--ops", str(ops), "--shapes", shape]
    if directory:
        command += ["--dir", directory]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def report(ops: int, shape: str, runs: dict[str, dict[str, Any]]) -> None:
    compiled = runs["compiled"]
    megabytes = compiled["bytes"] / 1e6
    print(f"\n{ops:,} ops, {shape}: valid? {compiled['valid']}, {megabytes:,.0f} MB written")
    print(f"  {'step':<14}" + "".join(f"{name + ' wall/cpu s':>26}" for name in runs))
    for step in STEPS:
        cells = "".join(
            f"{run['times'][step][0]:>16.3f} / {run['times'][step][1]:>7.3f}"
            for run in runs.values()
        )
        print(f"  {step:<14}{cells}")
    for name, run in runs.items():
        times = {step: wall for step, (wall, _) in run["times"].items()}
        share = times["write_history"] / sum(times.values())
        print(f"  {name}: writing the history is {share:.0%} of set-full plus writing")
    target = TARGETS.get(ops)
    if target is not None:
        took = compiled["times"]["set-full"][0]
        verdict = "met" if took <= target else "missed (timed on a busy machine?)"
        print(f"  target: set-full within {target} s compiled: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=["healthy", "lossy"])
    parser.add_argument("--dir", help="where to write the files (default: the temporary folder)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.ops[0], options.shapes[0], options.dir)))
        return
    for ops in options.ops:
        for shape in options.shapes:
            runs = {name: measured_by(name, ops, shape, options.dir) for name in BACKENDS}
            report(ops, shape, runs)


if __name__ == "__main__":
    main()
