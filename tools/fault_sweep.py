"""Fault sweep: every glome node under faults, three latency settings, two sizes.

Each node configuration (echo, unique-ids, broadcast in each profile, counter,
kafka in each mode, txn) runs with ``--nemesis partition`` (or the faults of
``--faults``) and each of
``--latency 0``, ``--latency 100`` and ``--latency 100 --latency-dist
exponential``, at its challenge's node count and at 5 nodes, once per seed.
The other flags (rate, concurrency, consistency models, ``--availability``)
are the challenge's own, from ``glome.challenge.catalog``, so a run is judged as the
challenge judges it: availability may fall only where the challenge allows it.

    python tools/fault_sweep.py --time-limit 10 --seeds 2
    python tools/fault_sweep.py --only 'kafka-*,txn' --seeds 3 --jobs 2
    python tools/fault_sweep.py --durable --faults partition,kill,pause --sim --jobs 2

``--durable`` sweeps the nodes' durable modes instead (docs/faults.md), which
must lose nothing under kill and pause; echo is left out there, since
Maelstrom's echo checker counts every request that timed out as a mismatch, and
so is ``--availability total``, which no node can keep while it is killed.
``--sim`` runs every test on the virtual clock (docs/simulation.md).

Every run is its own ``glome test`` process in its own working directory under
``--store`` (``glome test`` writes ``store/`` and ``store/latest`` under its
working directory, so parallel runs never share them). The script prints one
row per run as it finishes, then the failures with the command that repeats
each, then the totals; it exits 1 when any run failed.

A run whose nemesis kept every node killed or paused for its whole time limit
(the ``all-down-s`` of its results' ``nemesis`` key) cannot complete an op:
Jepsen's stats checker then says invalid, and so does Elle's (the txn and
kafka workloads) with its ``empty-transaction-graph``. When nothing else is
found, the run is counted as *down*, not as a failure, and listed apart.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import glome
from glome.challenge.catalog import BY_ID, Challenge, command_line

#: what a run with no completed op is found invalid for, and nothing else
NOTHING_COMPLETED = {"stats"}
EMPTY_GRAPH = ["empty-transaction-graph"]
#: flags the sweep sets itself, so the challenge's own values are dropped
SWEEP_FLAGS = ("--node-count", "--time-limit", "--latency", "--latency-dist", "--nemesis")
#: dropped too when nodes are killed or paused: no node answers while it is down
PROCESS_FAULT_FLAGS = ("--availability",)

#: latency setting label -> ``glome test`` flags
LATENCIES: dict[str, tuple[str, ...]] = {
    "0": ("--latency", "0"),
    "100": ("--latency", "100"),
    "100-exp": ("--latency", "100", "--latency-dist", "exponential"),
}

SWEEP_NODE_COUNT = 5

#: seconds a run may take beyond its time limit before it counts as hung
HANG_ALLOWANCE_S = 300


@dataclass(frozen=True)
class Config:
    """One node configuration and the challenge whose flags it runs with."""

    name: str
    challenge: Challenge
    node_args: tuple[str, ...]


CONFIGS: tuple[Config, ...] = (
    Config("echo", BY_ID["1"], ()),
    Config("unique-ids", BY_ID["2"], ()),
    Config("broadcast-latency", BY_ID["3c"], ("latency",)),
    Config("broadcast-efficient", BY_ID["3d"], ("efficient",)),
    Config("broadcast-frugal", BY_ID["3e"], ("frugal",)),
    Config("counter", BY_ID["4"], ()),
    Config("kafka-fast", BY_ID["5c"], ("fast",)),
    Config("kafka-kv", BY_ID["5b"], ("kv",)),
    Config("txn", BY_ID["6c"], ()),
)

#: the durable modes, for ``--durable``
DURABLE_CONFIGS: tuple[Config, ...] = (
    Config("unique-ids-durable", BY_ID["2"], ("durable",)),
    Config("broadcast-latency-durable", BY_ID["3c"], ("latency", "durable")),
    Config("broadcast-efficient-durable", BY_ID["3d"], ("efficient", "durable")),
    Config("broadcast-frugal-durable", BY_ID["3e"], ("frugal", "durable")),
    Config("counter-durable", BY_ID["4"], ("durable",)),
    Config("kafka-durable", BY_ID["5b"], ("durable",)),
    Config("txn-durable", BY_ID["6c"], ("durable",)),
)


@dataclass(frozen=True)
class Plan:
    """One run of the sweep."""

    config: Config
    node_count: int
    latency: str
    seed: int
    time_limit: float
    faults: str = "partition"
    sim: bool = False

    @property
    def label(self) -> str:
        return f"{self.config.name}-n{self.node_count}-lat{self.latency}-s{self.seed}"

    def arguments(self) -> list[str]:
        """The ``glome test`` arguments: the challenge's flags with the sweep's faults."""
        run = self.config.challenge.command_lines[0]
        base = command_line(self.config.challenge, run, binary=self.config.challenge.binary)
        # base = -w WORKLOAD --bin BINARY flag value ... (no node arguments: binary was given)
        dropped = SWEEP_FLAGS
        if "kill" in self.faults or "pause" in self.faults:
            dropped += PROCESS_FAULT_FLAGS
        kept = base[:4] + _without(base[4:], dropped)
        return [
            *kept,
            "--node-count",
            str(self.node_count),
            "--time-limit",
            f"{self.time_limit:g}",
            "--nemesis",
            self.faults,
            *LATENCIES[self.latency],
            "--seed",
            str(self.seed),
            *(["--sim"] if self.sim else []),
            *self.config.node_args,
        ]


@dataclass(frozen=True)
class Verdict:
    """What one run left in its results.json, or why it left none."""

    plan: Plan
    valid: object  # True, False or "unknown", as results.json says; None without results
    ok_fraction: float | None
    msgs_per_op: float | None
    store: Path | None
    seconds: float
    problem: str = ""
    all_down_s: float = 0.0
    nothing_completed: bool = False  # invalid for nothing but having no completed op

    @property
    def down(self) -> bool:
        """Invalid only because no node was up for the whole run (see the module's doc)."""
        return self.nothing_completed and self.all_down_s >= self.plan.time_limit

    @property
    def failed(self) -> bool:
        return self.valid is not True and not self.down


def _without(flags: list[str], dropped: tuple[str, ...]) -> list[str]:
    """``flags`` (all ``--flag value`` pairs) less the pairs whose flag is in ``dropped``."""
    pairs = zip(flags[::2], flags[1::2], strict=True)
    return [word for flag, value in pairs if flag not in dropped for word in (flag, value)]


def challenge_node_count(config: Config) -> int:
    flags = list(config.challenge.command_lines[0].flags)
    return int(flags[flags.index("--node-count") + 1])


def challenge_time_limit(config: Config) -> float:
    flags = list(config.challenge.command_lines[0].flags)
    return float(flags[flags.index("--time-limit") + 1])


def plans(
    configs: list[Config],
    seeds: list[int],
    time_limit: float | None,
    faults: str = "partition",
    sim: bool = False,
) -> list[Plan]:
    """Every run, in table order; a challenge already at 5 nodes runs once per setting."""
    chosen = []
    for config in configs:
        limit = time_limit if time_limit is not None else challenge_time_limit(config)
        counts = sorted({challenge_node_count(config), SWEEP_NODE_COUNT})
        for count in counts:
            for latency in LATENCIES:
                chosen.extend(
                    Plan(config, count, latency, seed, limit, faults, sim) for seed in seeds
                )
    return chosen


def run(plan: Plan, root: Path) -> Verdict:
    """One ``glome test`` process in ``root/<label>``; its verdict."""
    workdir = root / plan.label
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    command = [sys.executable, "-m", "glome", "test", *plan.arguments()]
    started = time.monotonic()
    with (workdir / "glome-test.log").open("wb") as log:
        try:
            subprocess.run(
                command,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=plan.time_limit + HANG_ALLOWANCE_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Verdict(plan, None, None, None, None, time.monotonic() - started, "hung")
    seconds = time.monotonic() - started
    latest = workdir / "store" / "latest"
    if not (latest / "results.json").exists():
        return Verdict(plan, None, None, None, None, seconds, "no results.json")
    results = json.loads((latest / "results.json").read_text())
    store = latest.resolve()
    return Verdict(
        plan,
        results.get("valid?"),
        results.get("availability", {}).get("ok-fraction"),
        results.get("net", {}).get("servers", {}).get("msgs-per-op"),
        store,
        seconds,
        "" if results.get("valid?") is True else _invalid_parts(results),
        results.get("nemesis", {}).get("all-down-s", 0.0),
        _nothing_completed(results),
    )


def _nothing_completed(results: dict) -> bool:
    """Is the run invalid only as a run in which no op completed is?"""
    invalid = set(_invalid_parts(results).split(","))
    workload = results.get("workload", {})
    found = workload.get("anomaly-types", workload.get("bad-error-types"))
    return invalid == NOTHING_COMPLETED or (
        invalid == NOTHING_COMPLETED | {"workload"} and found == EMPTY_GRAPH
    )


def _invalid_parts(results: dict) -> str:
    """The top-level checkers that did not say valid, e.g. ``workload,availability``."""
    return ",".join(
        name
        for name, part in results.items()
        if isinstance(part, dict) and part.get("valid?", True) is not True
    )


HEADER = (
    f"{'config':<20} {'nodes':>5} {'latency':>8} {'seed':>4} {'valid?':>7} "
    f"{'ok-frac':>8} {'msgs/op':>8} {'down-s':>6} {'secs':>5}  store"
)


def row(verdict: Verdict) -> str:
    plan = verdict.plan
    ok = "-" if verdict.ok_fraction is None else f"{verdict.ok_fraction:.4f}"
    msgs = "-" if verdict.msgs_per_op is None else f"{verdict.msgs_per_op:.3f}"
    valid = "-" if verdict.valid is None else str(verdict.valid)
    where = str(verdict.store) if verdict.store else "-"
    note = f"  [{verdict.problem}]" if verdict.problem else ""
    return (
        f"{plan.config.name:<20} {plan.node_count:>5} {plan.latency:>8} {plan.seed:>4} "
        f"{valid:>7} {ok:>8} {msgs:>8} {verdict.all_down_s:>6.1f} {verdict.seconds:>5.0f}"
        f"  {where}{note}"
    )


def summary(verdicts: list[Verdict]) -> str:
    """One line per config and node count: runs, valid, down, failed, worst msgs/op."""
    groups: dict[tuple[str, int], list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault((verdict.plan.config.name, verdict.plan.node_count), []).append(verdict)
    lines = [f"{'config':<28} {'nodes':>5} {'runs':>5} {'valid':>5} {'down':>5} {'failed':>6}"]
    for (name, count), group in groups.items():
        valid = sum(verdict.valid is True for verdict in group)
        down = sum(verdict.down for verdict in group)
        failed = sum(verdict.failed for verdict in group)
        lines.append(f"{name:<28} {count:>5} {len(group):>5} {valid:>5} {down:>5} {failed:>6}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds per run (default: the challenge's)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per setting (default 3)")
    parser.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument(
        "--only",
        default="*",
        help="globs on the config names, comma-separated, e.g. 'kafka-*,txn' (default all)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument(
        "--faults", default="partition", help="the --nemesis of every run (default partition)"
    )
    parser.add_argument("--durable", action="store_true", help="sweep the durable modes")
    parser.add_argument("--sim", action="store_true", help="run on the virtual clock")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="directory for the runs' working directories (default store/fault-sweep/<time>)",
    )
    args = parser.parse_args()
    patterns = args.only.split(",")
    table = DURABLE_CONFIGS if args.durable else CONFIGS
    configs = [
        config
        for config in table
        if any(fnmatch.fnmatch(config.name, pattern) for pattern in patterns)
    ]
    if not configs:
        known = ", ".join(config.name for config in table)
        print(f"--only {args.only!r} matches no config (configs: {known})", file=sys.stderr)
        return 2
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    chosen = plans(configs, seeds, args.time_limit, args.faults, args.sim)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    root = (args.store or Path("store") / "fault-sweep" / stamp).resolve()
    print(
        f"{len(chosen)} runs, {args.jobs} at a time, under {root}; "
        f"glome from {Path(glome.__file__).parent}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    print(HEADER, flush=True)
    verdicts = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for verdict in pool.map(lambda plan: run(plan, root), chosen):
            verdicts.append(verdict)
            print(row(verdict), flush=True)
    print("\n" + summary(verdicts))
    failures = [verdict for verdict in verdicts if verdict.failed]
    downs = [verdict for verdict in verdicts if verdict.down]
    for verdict in downs:
        print(f"\nDOWN {verdict.plan.label}: no node up for {verdict.all_down_s:g} s")
    for verdict in failures:
        print(f"\nFAILED {verdict.plan.label}: {verdict.problem}")
        print("  glome test " + " ".join(verdict.plan.arguments()))
    print(
        f"\nruns {len(verdicts)}  failures {len(failures)}  down {len(downs)}"
        f"  load average {os.getloadavg()[0]:.2f}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
