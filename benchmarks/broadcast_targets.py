"""glome-broadcast's profiles against their targets at the exact 3d/3e flags.

    python benchmarks/broadcast_targets.py [--seeds 1 2 3] [--profiles latency efficient frugal]

Each profile runs ``glome test`` once per seed with the 3d/3e flags (25 nodes,
``--time-limit 20 --rate 100 --latency 100``), in a scratch directory, and
the script prints every run's validity, msgs-per-op (``net.servers``) and
stable-latency median and maximum, then the median of the runs against the
profile's targets. A run takes about 35 s of real time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS_3D = ["-w", "broadcast", "--node-count", "25", "--time-limit", "20", "--rate", "100"]
FLAGS_3D += ["--latency", "100"]

#: profile -> (most msgs-per-op, median limit ms, max limit ms, whether the limits are inclusive)
TARGETS = {
    "latency": (13.0, 100, 150, True),
    "efficient": (1.5, 400, 600, False),
    "frugal": (0.5, 1000, 2000, False),
}


@dataclass
class Figures:
    valid: object
    msgs_per_op: float
    median_ms: float
    max_ms: float


def program(name: str) -> str:
    """The absolute path of an installed console script (beside this Python first)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return found


def run(node_args: list[str], seed: int, flags: list[str] = FLAGS_3D) -> Figures:
    """One ``glome test`` of glome-broadcast with ``node_args``; its headline figures."""
    with tempfile.TemporaryDirectory(prefix="glome-broadcast-") as scratch:
        command = [program("glome"), "test", *flags, "--seed", str(seed)]
        command += ["--bin", program("glome-broadcast"), *node_args]
        subprocess.run(command, cwd=scratch, capture_output=True, check=False)
        results = json.loads((Path(scratch) / "store/latest/results.json").read_text())
    latencies = results["workload"].get("stable-latencies") or {}
    return Figures(
        valid=results["valid?"],
        msgs_per_op=results["net"]["servers"]["msgs-per-op"],
        median_ms=latencies.get("0.5", float("nan")),
        max_ms=latencies.get("1", float("nan")),
    )


def command_line(node_args: list[str], seed: int) -> str:
    """The command a reader can paste to repeat one run."""
    flags, args = " ".join(FLAGS_3D), " ".join(node_args)
    return f'glome test {flags} --seed {seed} --bin "$(which glome-broadcast)" {args}'


def meets(value: float, limit: float, inclusive: bool) -> bool:
    return value <= limit if inclusive else value < limit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--profiles", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    options = parser.parse_args()
    all_met = True
    for profile in options.profiles:
        most_msgs, median_limit, max_limit, inclusive = TARGETS[profile]
        runs = []
        for seed in options.seeds:
            figures = run([profile], seed)
            runs.append(figures)
            print(f"$ {command_line([profile], seed)}")
            print(
                f"  valid? {figures.valid}  msgs-per-op {figures.msgs_per_op:.3f}  "
                f"median {figures.median_ms:.0f} ms  max {figures.max_ms:.0f} ms",
                flush=True,
            )
        msgs = statistics.median(r.msgs_per_op for r in runs)
        median = statistics.median(r.median_ms for r in runs)
        worst = statistics.median(r.max_ms for r in runs)
        met = (
            all(r.valid is True for r in runs)
            and meets(msgs, most_msgs, True)
            and meets(median, median_limit, inclusive)
            and meets(worst, max_limit, inclusive)
        )
        all_met &= met
        relation = "<=" if inclusive else "<"
        print(
            f"{profile}: median of {len(runs)}: msgs-per-op {msgs:.3f} (<= {most_msgs}), "
            f"median {median:.0f} ms ({relation} {median_limit}), "
            f"max {worst:.0f} ms ({relation} {max_limit}): {'MET' if met else 'MISSED'}\n",
            flush=True,
        )
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
