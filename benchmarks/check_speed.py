"""How long ``glome check`` takes to decide a single-register linearizability
history of 2,000 operations, some of them crashed (indeterminate).

    python benchmarks/check_speed.py [--ops 2000] [--crash 0.02] [--seeds 5]

Target: decided (true or false, never unknown) in at most 2 s, command start-up
included. Each history is simulated on an atomic register: 10 processes
invoke read, write and cas (values 0-4) one at a time, every op takes effect at
one instant inside its interval, and a crashed op completes :info (having
taken effect or not, at a random moment that may be after its completion) and
its process is replaced by a new one, as Jepsen does. Three variants per seed:

* valid: linearizable by construction;
* stale: the register's reads return the value before its latest change 5 %
  of the time (a lagging replica), which is usually, not always, caught;
* unwritten: the valid history with its last read returning a value nothing
  wrote, the worst place for a search to find a violation (every order of the
  crashed ops before it would have to be tried).

Prints, per seed and variant, the number of crashed ops, the verdict, the wall
time of ``glome check`` as a command, and the time of reading and of checking
in this process.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from glome.bench import edn
from glome.check.command import run_model
from glome.check.reading import read_history
from glome.check.settings import Settings

TARGET_SECONDS = 2.0
VALUES = 5
PROCESSES = 10


def simulated(ops: int, crash: float, seed: int, stale: float = 0.0) -> list[dict[str, Any]]:
    """A cas-register history of ``ops`` invocations: linearizable, unless
    ``stale`` > 0, when each read returns the value before the latest change
    with that chance (a replica lagging behind)."""
    rng = random.Random(seed)
    register: Any = None
    previous: Any = None
    history: list[dict[str, Any]] = []
    events: list[tuple[float, int, int, str, dict[str, Any]]] = []
    process = list(range(PROCESSES))
    issued = 0
    counter = itertools.count()

    def at(moment: float, thread: int, kind: str, op: dict[str, Any]) -> None:
        heapq.heappush(events, (moment, next(counter), thread, kind, op))

    for thread in range(PROCESSES):
        at(rng.random(), thread, "invoke", {})
    while events:
        now, _, thread, kind, op = heapq.heappop(events)
        if kind == "invoke":
            if issued >= ops:
                continue
            issued += 1
            f = rng.choice(["read", "write", "cas", "cas"])
            value = {"read": None, "write": rng.randrange(VALUES)}.get(
                f, [rng.randrange(VALUES), rng.randrange(VALUES)]
            )
            op = {"process": process[thread], "f": f, "value": value, "type": "invoke"}
            history.append(dict(op))
            done = now + rng.expovariate(1.0)
            crashed = rng.random() < crash
            op["outcome"] = "info" if crashed else "ok"
            if not crashed or rng.random() < 0.5:
                at(rng.uniform(now, done + crashed * 2.0), thread, "effect", op)
            at(done, thread, "complete", op)
        elif kind == "effect":
            if op["f"] == "read":
                op["value"] = previous if rng.random() < stale else register
            elif op["f"] == "write":
                previous, register = register, op["value"]
            elif register == op["value"][0]:
                previous, register = register, op["value"][1]
            elif op.get("outcome") == "ok":
                op["outcome"] = "fail"
        else:
            outcome = op.pop("outcome")
            if outcome == "info" and op["f"] == "read":
                outcome = "fail"
            history.append({**op, "type": outcome})
            if outcome == "info":
                process[thread] += PROCESSES
            at(now + rng.expovariate(2.0), thread, "invoke", {})
    for index, op in enumerate(history):
        op["index"] = index
        op["time"] = index * 1_000_000
    return history


def unwritten(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history with its last ok read returning a value never written."""
    copy = [dict(op) for op in history]
    last = max(i for i, op in enumerate(copy) if op["type"] == "ok" and op["f"] == "read")
    copy[last]["value"] = VALUES + 1
    return copy


def write_edn(history: list[dict[str, Any]], path: Path) -> None:
    with path.open("w") as file:
        for op in history:
            shown = {**op, "type": edn.Keyword(op["type"]), "f": edn.Keyword(op["f"])}
            file.write(edn.dumps(shown) + "\n")


def measure(path: Path) -> tuple[str, float, float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "glome", "check", "--model", "cas-register", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    command = time.perf_counter() - started
    verdict = done.stdout.strip().rsplit("\t", 1)[-1]
    started = time.perf_counter()
    history = read_history(path)
    reading = time.perf_counter() - started
    started = time.perf_counter()
    run_model("cas-register", history, Settings())
    checking = time.perf_counter() - started
    return verdict, command, reading, checking


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--ops", type=int, default=2000)
    options.add_argument("--crash", type=float, default=0.02, help="chance an op crashes")
    options.add_argument("--seeds", type=int, default=5)
    arguments = options.parse_args()
    print(
        f"{arguments.ops} invocations, {arguments.crash:.0%} crashed, "
        f"{PROCESSES} processes; target {TARGET_SECONDS} s"
    )
    print(
        f"{'seed':>4} {'variant':<9} {'infos':>5} {'verdict':<8} {'command s':>9} "
        f"{'read s':>7} {'check s':>7}"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(arguments.seeds):
            valid = simulated(arguments.ops, arguments.crash, seed)
            variants = {
                "valid": valid,
                "stale": simulated(arguments.ops, arguments.crash, seed, stale=0.05),
                "unwritten": unwritten(valid),
            }
            for variant, history in variants.items():
                infos = sum(op["type"] == "info" for op in history)
                path = Path(folder) / f"{variant}-{seed}.edn"
                write_edn(history, path)
                verdict, command, reading, checking = measure(path)
                worst = max(worst, command)
                print(
                    f"{seed:>4} {variant:<9} {infos:>5} {verdict:<8} {command:>9.2f} "
                    f"{reading:>7.2f} {checking:>7.2f}"
                )
    met = "met" if worst <= TARGET_SECONDS else "MISSED"
    print(f"slowest command: {worst:.2f} s (target {TARGET_SECONDS} s: {met})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
