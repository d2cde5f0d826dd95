"""How much search lin-kv runs of challenge size need: every key decided, and how far
from the checker's budget (glome.bench.checkers.linear.Budget).

Each seed runs ``glome test -w lin-kv`` on the virtual clock with the challenge's
shape -- 5 nodes, ``--concurrency 2n``, ``--rate 100``, 60 s, ``--nemesis
partition`` -- against ``tests/fixture_nodes/leader_kv.py``, a correct store whose
requests end indeterminate whenever a partition cuts off its leader. The script
then checks each stored history again, timing every key, and prints one line per
run: keys, indeterminate ops, the largest key's configurations and seconds, and
any key that was not decided.

    python benchmarks/lin_kv_budget.py --seeds 10
    python benchmarks/lin_kv_budget.py --seeds 5 --latency 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from glome.bench.checkers.linear import Budget
from glome.bench.checkers.linear.checker import check_key
from glome.bench.checkers.linear.prepare import split_by_key
from glome.bench.results import load_history

NODE = Path(__file__).resolve().parent.parent / "tests" / "fixture_nodes" / "leader_kv.py"
SHAPE = ("--node-count", "5", "--concurrency", "2n", "--rate", "100", "--time-limit", "60")


def run(seed: int, latency: int, workdir: Path) -> Path:
    command = [sys.executable, "-m", "glome", "test", "-w", "lin-kv", "--bin", str(NODE)]
    command += [*SHAPE, "--nemesis", "partition", "--latency", str(latency)]
    command += ["--sim", "--seed", str(seed)]
    subprocess.run(command, cwd=workdir, capture_output=True, check=False, timeout=600)
    return (workdir / "store" / "latest").resolve()


def measure(store: Path) -> str:
    """Check every key of the stored history alone, under the default budget."""
    history = load_history(store)
    budget = Budget()
    slowest = configs = 0.0
    undecided = []
    problems = split_by_key(history)
    for problem in problems:
        started = time.perf_counter()
        outcome = check_key(problem, budget.deadline(time.monotonic()), budget.key_configs)
        slowest = max(slowest, time.perf_counter() - started)
        configs = max(configs, outcome.get("configs-explored", 0))
        if outcome["valid?"] is not True:
            undecided.append(f"{problem.key}:{outcome['valid?']}")
    infos = sum(op["type"] == "info" for op in history)
    return (
        f"{len(problems):4} keys {infos:5} info  largest key {configs:9,.0f} configs "
        f"{slowest * 1000:8.1f} ms  not valid: {', '.join(undecided) or 'none'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--latency", type=int, default=0)
    args = parser.parse_args()
    print(f"budget: {Budget().key_configs:,} configurations a key, no time limit")
    with tempfile.TemporaryDirectory() as directory:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            workdir = Path(directory) / str(seed)
            workdir.mkdir()
            store = run(seed, args.latency, workdir)
            if not (store / "history.jsonl").exists():
                print(f"seed {seed:3}: the run left no history (see {store})")
                return 1
            print(f"seed {seed:3} latency {args.latency:3}: {measure(store)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
