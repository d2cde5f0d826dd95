"""One run's row of the challenge table: verdict, figures, and each target met or missed.

The figures are read from a results map shaped like Maelstrom's (glome's
results.json, or Maelstrom's results.edn as read by ``glome.bench.edn``), so
both engines are judged by the same code.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glome.challenge.catalog import Targets

VALID, INVALID, UNKNOWN, CRASHED = "valid", "invalid", "unknown", "crashed"
INTERRUPTED = "interrupted"  # SIGINT or SIGTERM cut the run short
SUMMARY_FILE = "challenge-summary.json"
# kafka's :crash ops always end :info by design; Maelstrom's stats checker
# leaves them (and :debug-topic-partitions) out of its verdict too
NEVER_OK_FS = frozenset({"crash", "debug-topic-partitions"})

# Targets field -> (figure it bounds, True if the bound is a maximum)
TARGET_FIGURES: dict[str, tuple[str, bool]] = {
    "msgs_per_op": ("msgs_per_op", True),
    "median_ms": ("median_ms", True),
    "max_ms": ("max_ms", True),
    "ok_fraction": ("ok_fraction", False),
}


@dataclass
class Figures:
    """What the table shows of a run; None where the results do not say."""

    msgs_per_op: float | None = None  # net.servers.msgs-per-op
    median_ms: float | None = None  # workload.stable-latencies 0.5 (broadcast)
    max_ms: float | None = None  # workload.stable-latencies 1 (broadcast)
    ok_fraction: float | None = None  # ok / count over stats.by-f, less NEVER_OK_FS
    analysis_s: float | None = None  # end of the workload's phases to results


@dataclass
class TargetCheck:
    name: str  # a Targets field
    bound: float
    value: float | None
    met: bool
    strict: bool = False  # a maximum the figure must stay below, not reach


@dataclass
class Row:
    """One run of one challenge line, as the table, the report and the summary show it."""

    challenge: str
    title: str
    line: int  # 1-based: 6b has two command lines
    lines: int
    attempt: int  # 1-based, with --runs N
    command: list[str]
    verdict: str = CRASHED
    message: str = ""
    figures: Figures = field(default_factory=Figures)
    checks: list[TargetCheck] = field(default_factory=list)
    store: str | None = None  # the run's folder, relative to the store root
    seconds: float = 0.0  # wall time of the whole run
    clock: str = "real"  # "virtual" for a run under --sim

    @property
    def label(self) -> str:
        parts = [self.challenge]
        if self.lines > 1:
            parts.append(f"line {self.line}")
        if self.attempt > 1:
            parts.append(f"run {self.attempt}")
        return " ".join(parts)

    @property
    def passed(self) -> bool:
        """Valid and every target met: what exit code 0 requires of each row."""
        return self.verdict == VALID and all(check.met for check in self.checks)


def verdict_of(valid: Any) -> str:
    """results' top-level valid? (true, false, "unknown" / :unknown) as a table word."""
    if valid is True:
        return VALID
    if valid is False:
        return INVALID
    return UNKNOWN


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _path(results: Any, *keys: Any) -> Any:
    for key in keys:
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def _quantile(latencies: Any, quantile: float) -> float | None:
    """A stable-latencies entry: keyed "0.5" in results.json, 0.5 in results.edn."""
    if not isinstance(latencies, dict):
        return None
    for key, value in latencies.items():
        try:
            if float(key) == quantile:
                return _number(value)
        except (TypeError, ValueError):
            continue
    return None


def ok_fraction(results: dict[str, Any]) -> float | None:
    """The fraction of client ops that succeeded, leaving out ops that never can
    (NEVER_OK_FS); availability.ok-fraction when the results have no stats."""
    by_f = _path(results, "stats", "by-f")
    if isinstance(by_f, dict):
        counted = [c for f, c in by_f.items() if f not in NEVER_OK_FS and isinstance(c, dict)]
        total = sum(_number(c.get("count")) or 0 for c in counted)
        if total:
            return sum(_number(c.get("ok-count")) or 0 for c in counted) / total
    return _number(_path(results, "availability", "ok-fraction"))


def figures_of(results: dict[str, Any], analysis_s: float | None = None) -> Figures:
    latencies = _path(results, "workload", "stable-latencies")
    return Figures(
        msgs_per_op=_number(_path(results, "net", "servers", "msgs-per-op")),
        median_ms=_quantile(latencies, 0.5),
        max_ms=_quantile(latencies, 1.0),
        ok_fraction=ok_fraction(results),
        analysis_s=analysis_s,
    )


def check_targets(figures: Figures, targets: Targets) -> list[TargetCheck]:
    """Each bound of ``targets`` against the run's figure; a missing figure misses."""
    checks = []
    for name, (figure, is_maximum) in TARGET_FIGURES.items():
        bound = getattr(targets, name)
        if bound is None:
            continue
        value = getattr(figures, figure)
        strict = is_maximum and targets.strict
        if value is None:
            met = False
        elif is_maximum:
            met = value < bound if strict else value <= bound
        else:
            met = value >= bound
        checks.append(TargetCheck(name, float(bound), value, met, strict))
    return checks


def judge(row: Row, results: dict[str, Any], targets: Targets, analysis_s: float | None) -> Row:
    """Fill ``row`` from a finished run's results."""
    row.verdict = verdict_of(results.get("valid?"))
    row.figures = figures_of(results, analysis_s)
    row.checks = check_targets(row.figures, targets)
    return row


def exit_code(rows: list[Row]) -> int:
    """0 only if there were runs and every one is valid and meets its targets."""
    return 0 if rows and all(row.passed for row in rows) else 1


# ---------------------------------------------------------------- the summary


def write_summary(store_root: Path, rows: list[Row], settings: dict[str, Any]) -> Path:
    """store/challenge-summary.json: the settings and every row, for scripts (the README)."""
    path = store_root / SUMMARY_FILE
    store_root.mkdir(parents=True, exist_ok=True)
    summary = {
        "settings": settings,
        "exit-code": exit_code(rows),
        "rows": [
            {**dataclasses.asdict(row), "label": row.label, "passed": row.passed} for row in rows
        ],
    }
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path


def read_summary(path: Path) -> tuple[dict[str, Any], list[Row]]:
    summary = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for entry in summary["rows"]:
        fields = {key: entry[key] for key in Row.__dataclass_fields__ if key in entry}
        fields["figures"] = Figures(**entry["figures"])
        fields["checks"] = [TargetCheck(**check) for check in entry["checks"]]
        rows.append(Row(**fields))
    return summary["settings"], rows
