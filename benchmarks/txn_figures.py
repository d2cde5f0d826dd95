"""Messages per operation of glome-txn per challenge (6a, both 6b lines, 6c) over
several seeds, and the read-committed runs beyond the challenge.

Runs each case's ``glome test`` command once per seed and prints per run the
verdict, ``availability.ok-fraction``, ``net.servers.msgs-per-op`` and the
number of client operations; then one summary line per case.

    python benchmarks/txn_figures.py --runs 5
    python benchmarks/txn_figures.py --runs 2 --cases 6c rc-5-latency-100-exponential

Each run writes its store/ into a temporary directory removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from glome.challenge.catalog import BY_ID, command_line

BEYOND = ("--node-count", "5", "--latency", "100")


def cases(binary: str) -> dict[str, list[str]]:
    """Case name -> ``glome test`` arguments (later flags override earlier ones)."""
    table = {}
    for challenge_id in ("6a", "6b", "6c"):
        challenge = BY_ID[challenge_id]
        for number, run in enumerate(challenge.command_lines):
            name = challenge_id if number == 0 else f"{challenge_id}-partition"
            table[name] = command_line(challenge, run, binary)
    sixc = table["6c"]
    table["rc-5-nodes"] = [*sixc, "--node-count", "5"]
    table["rc-5-latency-100"] = [*sixc, *BEYOND]
    table["rc-5-latency-100-exponential"] = [*sixc, *BEYOND, "--latency-dist", "exponential"]
    return table


def run_once(args: list[str], seed: int) -> dict:
    command = [sys.executable, "-m", "glome", "test", *args, "--seed", str(seed)]
    with tempfile.TemporaryDirectory(prefix="txn-figures-") as scratch:
        subprocess.run(command, cwd=scratch, capture_output=True, check=False)
        return json.loads((Path(scratch) / "store" / "latest" / "results.json").read_text())


def main() -> int:
    binary = shutil.which("glome-txn")
    if binary is None:
        print("glome-txn is not on PATH: pip install -e . first", file=sys.stderr)
        return 2
    table = cases(binary)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="seeds per case (default 5)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--cases", nargs="*", choices=sorted(table), default=list(table))
    options = parser.parse_args()
    all_good = True
    for name in options.cases:
        print(f"{name}: glome test {' '.join(table[name])} --seed N", flush=True)
        figures, good = [], 0
        for seed in range(options.first_seed, options.first_seed + options.runs):
            results = run_once(table[name], seed)
            msgs = results["net"]["servers"]["msgs-per-op"]
            ok_fraction = results["availability"]["ok-fraction"]
            figures.append(msgs)
            good += results["valid?"] is True and ok_fraction == 1.0
            print(
                f"  seed {seed:3}  valid? {results['valid?']!s:5}  ok-fraction {ok_fraction}  "
                f"msgs-per-op {msgs:.4f}  ops {results['stats']['count']}",
                flush=True,
            )
        all_good &= good == options.runs
        print(
            f"  {name}: {good}/{options.runs} valid with ok-fraction 1.0; msgs-per-op mean "
            f"{statistics.fmean(figures):.4f}, max {max(figures):.4f}",
            flush=True,
        )
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
