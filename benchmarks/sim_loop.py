"""The bench's own CPU per delivered message, 25 nodes, on the virtual and the real clock.

    python benchmarks/sim_loop.py [--time-limit 20] [--seed 1] [--pure]

Runs two 25-node broadcast workloads through ``glome test``, each once under
``--sim`` and once in real time:

* ``3d``: challenge 3d's command line with ``glome-broadcast`` (the grid-free
  tree gossip the challenge node uses; few messages per op);
* ``flood``: tests/fixture_nodes/flood_broadcast.py with ``--topology total``,
  every node relaying each new value to all 24 others: the heaviest load the
  challenges publish (about 290 server messages per op).

For each run it reads the store's results.json: deliveries are
``net.all.recv-count`` (client and server messages), and the bench's cost is
``glome.loop-cpu-s``, the CPU the bench process spent from the end of init to
the end of the workload, node processes not included. Prints µs of bench CPU
per delivered message for both clocks, side by side.

Target: at most 10 µs per delivered message under ``--sim`` (docs/simulation.md).
The real-time figure is the same bench routing the same messages; it is printed
beside it, not judged, since real time also pays for waiting on the wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOOD = REPO / "tests" / "fixture_nodes" / "flood_broadcast.py"
TARGET_SIM_US = 10.0

#: name -> glome test flags, without --time-limit / --sim / --seed
WORKLOADS: dict[str, list[str]] = {
    "3d": shlex.split(
        "-w broadcast --bin glome-broadcast --node-count 25 --rate 100 --latency 100"
    ),
    "flood": shlex.split(
        f"-w broadcast --bin {shlex.quote(FLOOD.as_posix())} --node-count 25 --topology total "
        "--rate 100 --latency 100"
    ),
}


@dataclass(frozen=True)
class Figures:
    """What one run cost the bench."""

    deliveries: int
    loop_cpu_s: float
    valid: object

    @property
    def us_per_delivery(self) -> float:
        return self.loop_cpu_s / max(1, self.deliveries) * 1e6


def run_once(flags: list[str], time_limit: int, seed: int, sim: bool, pure: bool) -> Figures:
    """One ``glome test`` in a scratch directory; its figures from results.json."""
    env = dict(os.environ)
    if pure:
        env["GLOME_NO_EXTENSIONS"] = "1"
    command = [sys.executable, "-m", "glome", "test", *flags, "--time-limit", str(time_limit)]
    command += ["--no-plots", "--seed", str(seed)] + (["--sim"] if sim else [])
    with tempfile.TemporaryDirectory(prefix="glome-sim-loop-") as scratch:
        done = subprocess.run(command, cwd=scratch, env=env, capture_output=True, check=False)
        results_path = Path(scratch) / "store" / "latest" / "results.json"
        if not results_path.exists():
            sys.exit(f"{' '.join(command)} wrote no results (exit {done.returncode}):\n"
                     + done.stderr.decode(errors="replace")[-2000:])  # fmt: skip
        results = json.loads(results_path.read_text(encoding="utf-8"))
    return Figures(
        deliveries=int(results["net"]["all"]["recv-count"]),
        loop_cpu_s=float(results["glome"]["loop-cpu-s"]),
        valid=results["valid?"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="one workload only")
    parser.add_argument("--pure", action="store_true", help="the pure-Python core")
    args = parser.parse_args()
    print(f"25 nodes, --time-limit {args.time_limit}, {'pure' if args.pure else 'compiled'} core")
    print(
        f"{'workload':<8} {'clock':<8} {'deliveries':>11} {'bench CPU s':>12} {'µs/delivery':>12}"
    )
    worst_sim = 0.0
    for name, flags in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        for sim in (True, False):
            figures = run_once(flags, args.time_limit, args.seed, sim, args.pure)
            clock = "virtual" if sim else "real"
            print(
                f"{name:<8} {clock:<8} {figures.deliveries:>11,} {figures.loop_cpu_s:>12.2f} "
                f"{figures.us_per_delivery:>12.2f}   valid? {figures.valid}"
            )
            if sim:
                worst_sim = max(worst_sim, figures.us_per_delivery)
    verdict = "met" if worst_sim <= TARGET_SIM_US else "MISSED"
    print(f"target: at most {TARGET_SIM_US:g} µs per delivery under --sim: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
