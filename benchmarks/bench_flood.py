"""Delivery lateness and run time of ``glome test`` under the heaviest published load.

25 flooding broadcast nodes (tests/fixture_nodes/flood_broadcast.py) with
``--topology total --latency 100 --rate 100``: about 29k server messages a
second in Maelstrom's run (290.6 msgs/op). Prints how late deliveries were
against when they were due (p50, p99, max), the msgs-per-op next to
Maelstrom's figure, and how long the run took beyond time limit + the 10 s
recovery wait and the analysis. Lateness depends on the machine: the load average is printed
with the figures, since other processes competing for the CPU delay the
bench's loop.

    python benchmarks/bench_flood.py [--time-limit 20] [--runs 1] [--pure]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOD = Path(__file__).resolve().parent.parent / "tests" / "fixture_nodes" / "flood_broadcast.py"
MAELSTROM_MSGS_PER_OP = 290.5638
RECOVERY_S = 10


def run_once(time_limit: int, pure: bool) -> dict:
    env = dict(os.environ)
    if pure:
        env["GLOME_NO_EXTENSIONS"] = "1"
    command = [
        sys.executable,
        "-m",
        "glome",
        "test",
        "-w",
        "broadcast",
        "--bin",
        str(FLOOD),
        "--node-count",
        "25",
        "--topology",
        "total",
        "--latency",
        "100",
        "--rate",
        "100",
        "--time-limit",
        str(time_limit),
        "--seed",
        "1",
    ]
    with tempfile.TemporaryDirectory() as cwd:
        load_before = os.getloadavg()[0]
        start = time.monotonic()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        wall = time.monotonic() - start
        results = json.loads((Path(cwd) / "store" / "latest" / "results.json").read_text())
    return {
        "wall": wall,
        "load": load_before,
        "lateness": results["glome"]["lateness"],
        "msgs-per-op": results["net"]["servers"]["msgs-per-op"],
        "messages": results["glome"]["messages"],
        "analysis": results["glome"]["analysis-s"],
        "scheduling": results["glome"]["scheduling"],
        "valid": results["valid?"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pure", action="store_true", help="use the pure-Python router")
    args = parser.parse_args()
    for _ in range(args.runs):
        figures = run_once(args.time_limit, args.pure)
        late = figures["lateness"]
        overhead = figures["wall"] - args.time_limit - RECOVERY_S - figures["analysis"]
        print(
            f"lateness p50 {late['p50-ms']:.2f} ms, p99 {late['p99-ms']:.2f} ms, "
            f"max {late['max-ms']:.2f} ms over {late['deliveries']} deliveries; "
            f"{figures['messages'] / (args.time_limit + RECOVERY_S):.0f} msgs/s on average; "
            f"servers msgs-per-op {figures['msgs-per-op']:.1f} "
            f"(Maelstrom {MAELSTROM_MSGS_PER_OP}); "
            f"wall {figures['wall']:.1f} s = time limit + recovery + analysis "
            f"({figures['analysis']:.1f} s) + {overhead:.1f} s; loop {figures['scheduling']}; "
            f"valid? {figures['valid']}; load average before {figures['load']:.2f}"
        )


if __name__ == "__main__":
    main()
