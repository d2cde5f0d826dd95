"""The msgs-per-op / latency frontier of glome-broadcast's batching knob, beside published points.

    python benchmarks/broadcast_frontier.py [--budgets 20 40 80 160 320] [--seed 1] [--png PATH]

Sweeps the star layout's ``budget`` (gossip messages per second a round may
cost the cluster; the flush period is ``2 (n - 1) / budget``, 1.2 s at 40/s
for 25 nodes) and adds the mesh layout (the ``latency`` profile), each run
once at the exact 3d/3e flags. Prints msgs-per-op against the median and the
maximum stable latency next to the best published results, and saves the
plot as a PNG when matplotlib is installed. A run takes about 35 s.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcast_targets import command_line, run
from glome.challenge.judging import figures_of

#: published results (authors' own runs): label -> (msgs-per-op, median ms, max ms)
PUBLISHED = {
    "3d lowest latency (star on one node)": (24.0, 175, 204),
    "3d balanced (10-ary tree, 50 ms batches)": (7.75, 333, 533),
    "3e fewest messages (hub, batches)": (1.92, 764, 1087),
    "3e balanced (hub, batches)": (1.99, 339, 678),
    "Maelstrom guide, flooding on total": (290.6, 77, 97),
}
DEFAULT_BUDGETS = [20.0, 30.0, 35.0, 40.0, 60.0, 80.0, 120.0, 160.0, 240.0, 480.0]
PERIOD_NODES = 25


@dataclass(frozen=True)
class Figures:
    """One run's verdict and its three figures (inf where the results lack one)."""

    valid: Any
    msgs_per_op: float
    median_ms: float
    max_ms: float


def measure(node_args: list[str], seed: int) -> Figures:
    results = run(node_args, seed)
    figures = figures_of(results)
    return Figures(
        results.get("valid?"),
        math.inf if figures.msgs_per_op is None else figures.msgs_per_op,
        math.inf if figures.median_ms is None else figures.median_ms,
        math.inf if figures.max_ms is None else figures.max_ms,
    )


def sweep(budgets: list[float], seed: int) -> list[tuple[str, list[str], Figures]]:
    points = []
    for budget in budgets:
        args = ["layout=star", f"budget={budget:g}"]
        period = 2 * (PERIOD_NODES - 1) / budget
        points.append(
            (f"star, budget {budget:g}/s (period {period:.2f} s)", args, measure(args, seed))
        )
        report(*points[-1], seed)
    args = ["latency"]
    points.append(("mesh (latency profile)", args, measure(args, seed)))
    report(*points[-1], seed)
    return points


def report(label: str, args: list[str], figures: Figures, seed: int) -> None:
    print(f"$ {command_line(args, seed)}")
    print(
        f"  {label:<36} valid? {figures.valid!s:<5} msgs-per-op {figures.msgs_per_op:7.3f}  "
        f"median {figures.median_ms:5.0f} ms  max {figures.max_ms:5.0f} ms",
        flush=True,
    )


def dominates(figures: Figures, published: tuple[float, float, float]) -> bool:
    """Whether a valid run has fewer msgs-per-op and a lower median and max than ``published``."""
    msgs, median, worst = published
    return (
        figures.valid is True
        and figures.msgs_per_op < msgs
        and figures.median_ms < median
        and figures.max_ms < worst
    )


def plot(points: list[tuple[str, list[str], Figures]], path: Path) -> bool:
    """Save the frontier as a PNG; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(8, 5))
    ours = sorted((f.msgs_per_op, f.median_ms, f.max_ms) for _, _, f in points)
    axes.plot([p[0] for p in ours], [p[1] for p in ours], "o-", label="glome median")
    axes.plot([p[0] for p in ours], [p[2] for p in ours], "s--", label="glome max")
    for label, (msgs, median, worst) in PUBLISHED.items():
        axes.plot([msgs, msgs], [median, worst], "x:", color="grey")
        axes.annotate(label, (msgs, worst), fontsize=7)
    axes.set_xscale("log")
    axes.set_xlabel("msgs-per-op (net.servers)")
    axes.set_ylabel("stable latency, ms")
    axes.set_title("glome-broadcast, 25 nodes, rate 100, latency 100")
    axes.legend()
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=DEFAULT_BUDGETS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--png", type=Path, default=Path("broadcast_frontier.png"))
    options = parser.parse_args()
    print("published results (msgs-per-op, median ms, max ms):")
    for label, (msgs, median, worst) in PUBLISHED.items():
        print(f"  {label:<42} {msgs:7.2f} {median:5d} {worst:5d}")
    print()
    points = sweep(options.budgets, options.seed)
    print()
    for label, published in PUBLISHED.items():
        better = [name for name, _, figures in points if dominates(figures, published)]
        print(f"{label}: beaten on all three axes by {', '.join(better) or 'none of these runs'}")
    if plot(points, options.png):
        print(f"saved {options.png}")
    else:
        print("matplotlib is not installed: no plot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
