"""Messages per operation of glome-counter over several seeds (challenge 4).

Runs ``glome test -w g-counter`` once per seed, by default with the challenge's
flags, and prints per run the verdict, ``net.servers.msgs-per-op``, the number
of client operations and the final reads; then a summary line.

    python benchmarks/counter_msgs.py --runs 10
    python benchmarks/counter_msgs.py --runs 3 -- --latency 100 --latency-dist exponential
    python benchmarks/counter_msgs.py --runs 3 -- -- --durable-acks

Arguments after ``--`` are added to the ``glome test`` command line (a second
``--`` passes what follows it to the node, as ``glome test`` does). Each run
writes its store/ into a temporary directory that is removed afterwards.
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

CHALLENGE = BY_ID["4"]


def run_once(binary: str, seed: int, extra: list[str]) -> dict:
    """One ``glome test`` run; its results.json."""
    args = command_line(CHALLENGE, CHALLENGE.command_lines[0], binary)
    command = [sys.executable, "-m", "glome", "test", *args, "--seed", str(seed), *extra]
    with tempfile.TemporaryDirectory(prefix="counter-msgs-") as scratch:
        subprocess.run(command, cwd=scratch, capture_output=True, check=False)
        return json.loads((Path(scratch) / "store" / "latest" / "results.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="number of seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("extra", nargs="*", help="more glome test flags, after --")
    args = parser.parse_args()
    binary = shutil.which("glome-counter")
    if binary is None:
        print("glome-counter is not on PATH: pip install -e . first", file=sys.stderr)
        return 2
    shown = command_line(CHALLENGE, CHALLENGE.command_lines[0], binary)
    print("glome test " + " ".join([*shown, "--seed", "N", *args.extra]))
    figures, valid = [], 0
    for seed in range(args.first_seed, args.first_seed + args.runs):
        results = run_once(binary, seed, args.extra)
        msgs_per_op = results["net"]["servers"]["msgs-per-op"]
        figures.append(msgs_per_op)
        valid += results["valid?"] is True
        print(
            f"seed {seed:3}  valid? {results['valid?']!s:5}  msgs-per-op {msgs_per_op:.4f}  "
            f"ops {results['stats']['count']:5}  final reads {results['workload']['final-reads']}",
            flush=True,
        )
    print(
        f"{valid}/{args.runs} valid; msgs-per-op mean {statistics.fmean(figures):.4f}, "
        f"max {max(figures):.4f}"
    )
    return 0 if valid == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
