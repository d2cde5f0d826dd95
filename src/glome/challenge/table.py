"""The end table's columns, as text: shared by the terminal, report.html and the README."""

from __future__ import annotations

from glome.challenge.judging import CRASHED, Row, TargetCheck

HEADERS = (
    "challenge",
    "clock",
    "verdict",
    "msgs/op",
    "median ms",
    "max ms",
    "ok-fraction",
    "analysis s",
    "targets",
    "result",
)

TARGET_NAMES = {
    "msgs_per_op": "msgs/op ≤ {bound:g}",
    "median_ms": "median ≤ {bound:g} ms",
    "max_ms": "max ≤ {bound:g} ms",
    "ok_fraction": "ok-fraction ≥ {bound:g}",
}
MISSING = "–"


def figure(value: float | None, digits: int = 2) -> str:
    if value is None:
        return MISSING
    return f"{value:.0f}" if digits == 0 else f"{value:.{digits}f}"


def target_text(check: TargetCheck) -> str:
    bound = TARGET_NAMES[check.name].format(bound=check.bound)
    if check.strict:
        bound = bound.replace("≤", "<")
    return f"{bound}: {'pass' if check.met else 'miss'}"


def targets_cell(row: Row) -> str:
    if not row.checks:
        return "valid only" if row.verdict != CRASHED else MISSING
    return "; ".join(target_text(check) for check in row.checks)


def result_cell(row: Row) -> str:
    return "PASS" if row.passed else "FAIL"


def cells(row: Row) -> tuple[str, ...]:
    figures = row.figures
    return (
        row.label,
        row.clock,
        row.verdict,
        figure(figures.msgs_per_op),
        figure(figures.median_ms, 0),
        figure(figures.max_ms, 0),
        figure(figures.ok_fraction, 4),
        figure(figures.analysis_s),
        targets_cell(row),
        result_cell(row),
    )


def plain_table(rows: list[Row]) -> str:
    """The table as aligned text, then the message of each crashed run."""
    grid = [HEADERS, *(cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in grid) for column in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in grid
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines += [f"{row.label}: {first_line(row.message)}" for row in rows if row.message]
    return "\n".join(lines)


def first_line(message: str) -> str:
    stripped = message.strip()
    return stripped.splitlines()[0] if stripped else ""


def verdict_sentence(rows: list[Row]) -> str:
    passed = sum(row.passed for row in rows)
    return f"{passed} of {len(rows)} runs valid and on target."
