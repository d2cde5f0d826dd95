"""Jepsen's perf checker as Maelstrom composes it (docs/maelstrom.md §9.2, §4.4):
three plots, always valid.

``latency-raw.png`` puts every completed client op at its invocation time with
its latency (log scale), coloured by outcome and marked by f;
``latency-quantiles.png`` draws the 0.5/0.95/0.99/1 quantiles of each f per
30 s bucket; ``rate.png`` draws completions per second by f and outcome per
10 s bucket. Faults are drawn as Jepsen does: each nemesis that acted gets a
band along the top of the plot, filled while its fault is in force, and a line
at each of its ops -- partition in ``#E9DCA0``, kill in ``#E9A4A0``, pause in
``#A0B1E9``, one band below the other.

The numbers are computed by pure functions below so that they can be tested
without drawing; matplotlib is imported only when a plot is drawn, and only
its object API is used (no pyplot), so no global backend state is touched.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from glome.bench.history import FAIL, INFO, INVOKE, NEMESIS, OK, CheckContext, Op, pairs
from glome.bench.nemesis import KILL, PAUSE, RESTART, RESUME, START, STOP

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NS_PER_S = 1e9
NS_PER_MS = 1e6

QUANTILES = (0.5, 0.95, 0.99, 1.0)
QUANTILE_BUCKET_S = 30  # Jepsen's quantiles-graph dt
RATE_BUCKET_S = 10  # Jepsen's rate-graph dt

OUTCOMES = (OK, INFO, FAIL)
OUTCOME_COLOURS = {OK: "#81BFFC", INFO: "#FFA400", FAIL: "#FF1E90"}
#: highest quantile first, as Jepsen hands out its colours
QUANTILE_COLOURS = {1.0: "red", 0.99: "orange", 0.95: "purple", 0.5: "blue"}
#: gnuplot's open point types 4, 6, 8, 10, 12 ... that Jepsen gives successive fs
MARKERS = ("s", "o", "^", "v", "D", "p", "h", "<", ">", "8")

NEMESIS_ALPHA = 0.6
#: each nemesis band's share of the plot height (Jepsen divides it into twelfths)
BAND_HEIGHT = 0.0834
BAND_PADDING = 0.00615

FIGURE_INCHES = (9.0, 4.0)  # 900 x 400 px at 100 dpi, Jepsen's PNG size
DPI = 100

Interval = tuple[float, float | None]  # seconds; None: never healed


@dataclass(frozen=True)
class Nemesis:
    """A nemesis as the perf plots know it: its name, the fs that start and stop its
    fault, and its colour (Jepsen's combined nemesis packages)."""

    name: str
    starts: frozenset[str]
    stops: frozenset[str]
    colour: str


NEMESES = (
    Nemesis("partition", frozenset({START}), frozenset({STOP}), "#E9DCA0"),
    Nemesis("kill", frozenset({KILL}), frozenset({RESTART}), "#E9A4A0"),
    Nemesis("pause", frozenset({PAUSE}), frozenset({RESUME}), "#A0B1E9"),
)
PARTITION = NEMESES[0]


# --------------------------------------------------------------------- numbers


def seconds(ns: int) -> float:
    return ns / NS_PER_S


def _ops_of(history: list[Op], nemesis: Nemesis) -> list[Op]:
    fs = nemesis.starts | nemesis.stops
    return [op for op in history if op.get("process") == NEMESIS and op.get("f") in fs]


def nemesis_intervals(history: list[Op], nemesis: Nemesis) -> list[Interval]:
    """When the nemesis's fault was in force, paired as Jepsen's nemesis-intervals does.

    Nemesis ops come in (invocation, completion) pairs; each stop pair closes
    every open start pair, invocation with invocation and completion with
    completion, so one partition yields two nearly equal intervals. A start
    that is never stopped yields intervals open to the end (None).
    """
    ops = _ops_of(history, nemesis)
    intervals: list[Interval] = []
    open_starts: list[tuple[Op, Op]] = []
    # a last, unpaired op (a start still running at the end) is dropped
    for invocation, completion in zip(ops[0::2], ops[1::2], strict=False):
        if invocation["f"] != completion["f"]:
            continue
        if invocation["f"] in nemesis.starts:
            open_starts.append((invocation, completion))
            continue
        for start_invocation, start_completion in open_starts:
            intervals.append((seconds(start_invocation["time"]), seconds(invocation["time"])))
            intervals.append((seconds(start_completion["time"]), seconds(completion["time"])))
        open_starts = []
    for start_invocation, start_completion in open_starts:
        intervals.append((seconds(start_invocation["time"]), None))
        intervals.append((seconds(start_completion["time"]), None))
    return intervals


def nemesis_op_times(history: list[Op], nemesis: Nemesis) -> list[float]:
    """Seconds of every op of the nemesis: Jepsen draws a line at each."""
    return [seconds(op["time"]) for op in _ops_of(history, nemesis)]


def sorted_fs(fs: Iterable[Any]) -> list[Any]:
    return sorted(set(fs), key=str)


@dataclass
class Series:
    """Points of one plotted series: x in seconds, y in ms or Hz."""

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)


def latency_points(history: list[Op]) -> dict[tuple[Any, str], Series]:
    """(f, outcome) -> (invocation time s, latency ms) of every completed client op.

    An invocation that never completed has no latency, and Jepsen leaves it out.
    """
    points: dict[tuple[Any, str], Series] = defaultdict(Series)
    for invocation, completion in pairs(history):
        if completion is None or completion["type"] not in OUTCOMES:
            continue
        series = points[(invocation.get("f"), completion["type"])]
        series.xs.append(seconds(invocation["time"]))
        series.ys.append((completion["time"] - invocation["time"]) / NS_PER_MS)
    return dict(points)


def bucket_midpoint(t: float, dt: float) -> float:
    """Middle of the dt-wide bucket that time t falls in."""
    return math.floor(t / dt) * dt + dt / 2


def quantile(ordered: list[float], q: float) -> float:
    """Jepsen's quantile: the element at floor(n*q), clamped to the last."""
    return ordered[min(len(ordered) - 1, math.floor(len(ordered) * q))]


def latency_quantiles(
    points: dict[tuple[Any, str], Series],
    dt: float = QUANTILE_BUCKET_S,
    qs: tuple[float, ...] = QUANTILES,
) -> dict[Any, dict[float, Series]]:
    """f -> q -> (bucket midpoint s, latency ms at q), over every outcome of f,
    from ``latency_points``."""
    buckets: dict[Any, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (f, _outcome), series in points.items():
        for t, latency in zip(series.xs, series.ys, strict=True):
            buckets[f][bucket_midpoint(t, dt)].append(latency)
    result: dict[Any, dict[float, Series]] = {}
    for f, by_time in buckets.items():
        result[f] = {q: Series() for q in qs}
        for midpoint in sorted(by_time):
            ordered = sorted(by_time[midpoint])
            for q in qs:
                result[f][q].xs.append(midpoint)
                result[f][q].ys.append(quantile(ordered, q))
    return result


def rates(history: list[Op], dt: float = RATE_BUCKET_S) -> dict[tuple[Any, str], Series]:
    """(f, outcome) -> (bucket midpoint s, completions per second).

    Buckets run from 0 to the last op of the whole history, Jepsen's way: a
    bucket whose midpoint lies beyond that time is not drawn, and a bucket
    without completions of a series is drawn as 0.
    """
    counts: dict[tuple[Any, str], dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for op in history:
        if op["type"] == INVOKE or op.get("process") == NEMESIS:
            continue
        counts[(op.get("f"), op["type"])][bucket_midpoint(seconds(op["time"]), dt)] += 1
    t_max = seconds(max((op["time"] for op in history), default=0))
    midpoints = [dt * (i + 0.5) for i in range(int((t_max - dt / 2) // dt) + 1)]
    return {
        key: Series(list(midpoints), [by_time.get(m, 0) / dt for m in midpoints])
        for key, by_time in counts.items()
    }


def broaden_range(low: float, high: float) -> tuple[float, float]:
    """Widen [low, high] outwards to round steps of the power of ten nearest a tenth
    of its size, as Jepsen frames its x axes; a point gets 1 either side."""
    if low == high:
        return low - 1, high + 1
    scale = 10 ** round(math.log10(abs(high - low) / 10))
    new_low = low - low % scale
    rest = high % scale
    new_high = high if rest / scale < 0.001 else high - rest + scale
    return min(low, new_low), max(high, new_high)


# --------------------------------------------------------------------- drawing


@dataclass
class Band:
    """One nemesis's band on a plot: when its fault was in force, and its ops."""

    nemesis: Nemesis
    intervals: list[Interval]
    op_times: list[float]


def bands(history: list[Op]) -> list[Band]:
    """A band for each nemesis that acted, top to bottom (Jepsen draws only those)."""
    found = [
        Band(nemesis, nemesis_intervals(history, nemesis), nemesis_op_times(history, nemesis))
        for nemesis in NEMESES
    ]
    return [band for band in found if band.op_times]


def _new_axes(title: str, ylabel: str, log: bool) -> Axes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.subplots_adjust(left=0.08, right=0.76, top=0.9, bottom=0.13)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("Time (s)", fontsize=9)
    axes.set_ylabel(ylabel, fontsize=9)
    axes.tick_params(labelsize=8)
    axes.grid(True, which="major", color="#eeeeee", linewidth=0.6, zorder=0)
    if log:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        axes.set_yscale("log", nonpositive="mask")
        # plain numbers at 1-2-5 steps, as gnuplot labels a log axis
        axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    return axes


def _finish(axes: Axes, xs: list[float], faults: list[Band], path: Path) -> None:
    """Frame x as Jepsen does, draw the nemesis bands behind the data, legend outside, save."""
    low, high = broaden_range(min(xs), max(xs))
    axes.set_xlim(low, high)
    transform = axes.get_xaxis_transform()  # x in data, y in axes fraction
    for row, band in enumerate(faults):
        colour = band.nemesis.colour
        bottom = 1 - (row + 1) * BAND_HEIGHT + BAND_PADDING
        axes.broken_barh(
            [(start, (high if stop is None else stop) - start) for start, stop in band.intervals],
            (bottom, BAND_HEIGHT - 2 * BAND_PADDING),
            transform=transform,
            facecolor=colour,
            alpha=NEMESIS_ALPHA,
            linewidth=0,
            zorder=1,
        )
        times = [t for t in band.op_times if low <= t <= high]
        axes.vlines(times, 0, 1, transform=transform, color=colour, linewidth=1, zorder=1)
        axes.plot([], [], color=colour, linewidth=6, label=band.nemesis.name)
    axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        frameon=False,
        borderaxespad=0,
        handlelength=1.6,
    )
    # _new_axes drew these axes on a top-level Figure, never a SubFigure
    cast("Figure", axes.figure).savefig(path, dpi=DPI)


def _any_positive(series_list: Iterable[Series]) -> bool:
    """Whether a log scale can show anything: zero latencies (possible only in
    made-up histories) cannot be placed on one, so then the axis stays linear."""
    return any(y > 0 for series in series_list for y in series.ys)


def _marker_by_f(fs: list[Any]) -> dict[Any, str]:
    return {f: MARKERS[i % len(MARKERS)] for i, f in enumerate(fs)}


def _label(f: Any, suffix: Any) -> str:
    """Legend text: "read ok", "read 0.95", "read 1", as Jepsen's legends read."""
    return f"{f} {suffix:g}" if isinstance(suffix, float) else f"{f} {suffix}"


def _draw_line(axes: Axes, series: Series, marker: str, colour: str, label: str) -> None:
    """A series drawn as Jepsen's linespoints: a thin line through open markers."""
    axes.plot(
        series.xs,
        series.ys,
        marker=marker,
        markersize=4,
        markerfacecolor="none",
        color=colour,
        linewidth=1,
        label=label,
        zorder=3,
    )


def draw_latency_raw(
    points: dict[tuple[Any, str], Series], faults: list[Band], name: str, path: Path
) -> bool:
    """Every op's latency over time; False (nothing written) when there is no point."""
    if not points:
        return False
    fs = sorted_fs(f for f, _ in points)
    markers = _marker_by_f(fs)
    keys = [(f, outcome) for f in fs for outcome in OUTCOMES if (f, outcome) in points]
    # the series with fewer points go on top, so rare failures stay visible
    by_size = sorted(keys, key=lambda key: len(points[key].xs), reverse=True)
    axes = _new_axes(f"{name} latency", "Latency (ms)", log=_any_positive(points.values()))
    for key in keys:
        f, outcome = key
        axes.plot(
            points[key].xs,
            points[key].ys,
            linestyle="none",
            marker=markers[f],
            markersize=3.5,
            markerfacecolor="none",
            markeredgecolor=OUTCOME_COLOURS[outcome],
            markeredgewidth=0.8,
            label=_label(f, outcome),
            zorder=2 + by_size.index(key) / len(keys),
        )
    xs = [x for series in points.values() for x in series.xs]
    _finish(axes, xs, faults, path)
    return True


def draw_latency_quantiles(
    quantiles: dict[Any, dict[float, Series]], faults: list[Band], name: str, path: Path
) -> bool:
    if not quantiles:
        return False
    fs = sorted_fs(quantiles)
    markers = _marker_by_f(fs)
    series_list = [series for by_q in quantiles.values() for series in by_q.values()]
    axes = _new_axes(f"{name} latency", "Latency (ms)", log=_any_positive(series_list))
    for f in fs:
        for q, series in quantiles[f].items():
            _draw_line(axes, series, markers[f], QUANTILE_COLOURS.get(q, "grey"), _label(f, q))
    xs = [x for series in series_list for x in series.xs]
    _finish(axes, xs, faults, path)
    return True


def draw_rate(
    series_by_key: dict[tuple[Any, str], Series], faults: list[Band], name: str, path: Path
) -> bool:
    xs = [x for series in series_by_key.values() for x in series.xs]
    if not xs:
        return False
    fs = sorted_fs(f for f, _ in series_by_key)
    markers = _marker_by_f(fs)
    axes = _new_axes(f"{name} rate", "Throughput (hz)", log=False)
    for f in fs:
        for outcome in OUTCOMES:
            series = series_by_key.get((f, outcome))
            if series is not None:
                _draw_line(axes, series, markers[f], OUTCOME_COLOURS[outcome], _label(f, outcome))
    _finish(axes, xs, faults, path)
    return True


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    """Draw the three plots into the store (when there is one); always valid."""
    if ctx.store is not None and ctx.plots:
        name = str(getattr(ctx.options, "workload", "") or "")
        faults = bands(history)
        points = latency_points(history)
        draw_latency_raw(points, faults, name, ctx.store / "latency-raw.png")
        draw_latency_quantiles(
            latency_quantiles(points), faults, name, ctx.store / "latency-quantiles.png"
        )
        draw_rate(rates(history), faults, name, ctx.store / "rate.png")
    return {"latency-graph": {"valid?": True}, "rate-graph": {"valid?": True}, "valid?": True}
