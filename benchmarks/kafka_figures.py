"""glome-kafka per mode and challenge: server msgs-per-op, ok-fraction, worst realtime lag.

    python benchmarks/kafka_figures.py [--seeds 5] [--modes fast kv] [--time-limit 20]
                                       [--challenges 5a 5b 5c] [--extra-flags ...]

Runs ``glome test -w kafka`` at the exact challenge flags (5a: 1 node, 5b and
5c: 2 nodes; ``--concurrency 2n --rate 1000``) once per seed and mode, in a
scratch directory, and prints one line per run and the worst figures per
mode and challenge. The ok-fraction counts client ops that can fail (a
crash op always ends info). A 20 s run takes about 35 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHALLENGES = {"5a": 1, "5b": 2, "5c": 2}
BIN = shutil.which("glome-kafka") or str(Path(sys.executable).parent / "glome-kafka")


def ok_fraction(results: dict) -> float:
    by_f = {f: counts for f, counts in results["stats"]["by-f"].items() if f != "crash"}
    return sum(c["ok-count"] for c in by_f.values()) / sum(c["count"] for c in by_f.values())


def run(mode: str, nodes: int, seed: int, time_limit: float, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "glome", "test", "-w", "kafka", "--bin", BIN]
        command += ["--node-count", str(nodes), "--concurrency", "2n", "--rate", "1000"]
        command += ["--time-limit", f"{time_limit:g}", "--seed", str(seed), *extra, mode]
        subprocess.run(command, cwd=scratch, capture_output=True, check=False)
        results = json.loads((Path(scratch) / "store" / "latest" / "results.json").read_text())
    workload = results["workload"]
    return {
        "valid": results["valid?"],
        "errors": workload["error-types"],
        "msgs_per_op": results["net"]["servers"]["msgs-per-op"],
        "ok_fraction": ok_fraction(results),
        "lag_s": (workload.get("worst-realtime-lag") or {}).get("lag", 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--modes", nargs="+", default=["fast", "kv"])
    parser.add_argument("--challenges", nargs="+", default=list(CHALLENGES))
    parser.add_argument("--time-limit", type=float, default=20)
    parser.add_argument("--extra-flags", nargs=argparse.REMAINDER, default=[])
    args = parser.parse_args()
    print("mode  challenge  seed  valid  msgs-per-op  ok-fraction  worst-lag-s  errors")
    for mode in args.modes:
        for challenge in args.challenges:
            runs = []
            for seed in range(1, args.seeds + 1):
                figures = run(mode, CHALLENGES[challenge], seed, args.time_limit, args.extra_flags)
                runs.append(figures)
                print(
                    f"{mode:5} {challenge:10} {seed:4}  {figures['valid']!s:5}  "
                    f"{figures['msgs_per_op']:11.3f}  {figures['ok_fraction']:11.6f}  "
                    f"{figures['lag_s']:11.3f}  {','.join(figures['errors'])}",
                    flush=True,
                )
            valid = sum(figures["valid"] is True for figures in runs)
            print(
                f"{mode:5} {challenge:10}  all  {valid}/{len(runs)} valid  "
                f"max msgs-per-op {max(f['msgs_per_op'] for f in runs):.3f}  "
                f"min ok-fraction {min(f['ok_fraction'] for f in runs):.6f}  "
                f"max lag {max(f['lag_s'] for f in runs):.3f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
