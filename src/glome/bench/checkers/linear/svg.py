"""linear.svg: a picture of where a key stopped being linearizable.

One row per process; each op involved in the explanation (the op that could
not be linearized, the calls pending with it, the last linearized ones) is a
bar from its invocation to its completion, coloured by outcome as Knossos
does (ok blue, info orange; info bars run to the right edge). The op that
could not be linearized is outlined in red. Under the bars, each final path
is written out: the register's value, then every step and what it left.
Time is compressed to the order of the events shown, so bars stay readable.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from glome.bench.checkers.linear.prepare import KeyProblem, sort_key
from glome.bench.history import INFO, OK, Op

COLOURS = {OK: "#6DB6FE", INFO: "#FFAA26"}
CULPRIT = "#FF1E90"
COLUMN = 90  # pixels per distinct event
ROW = 34
BAR = 24
MARGIN = 70
LINE = 18
FONT = 'font-family="\'Helvetica Neue\', Helvetica, sans-serif" font-size="12"'


def _label(op: Op) -> str:
    return f"{op.get('f')} {json.dumps(op.get('value'))}"


def _model_text(model: dict[str, Any]) -> str:
    if "inconsistent" in model:
        return model["inconsistent"]
    return json.dumps(model["value"])


def _calls_shown(problem: KeyProblem, analysis: dict[str, Any]) -> list[int]:
    by_index = {call.invocation.get("index"): n for n, call in enumerate(problem.calls)}
    wanted: list[int] = []
    ops = [step["op"] for path in analysis["final-paths"] for step in path]
    ops += [analysis["last-op"]] if analysis["last-op"] else []
    for op in ops:
        number = by_index.get(op.get("index"))
        if number is not None and number not in wanted:
            wanted.append(number)
    return wanted


def render(problem: KeyProblem, analysis: dict[str, Any]) -> str:
    """SVG text for an invalid key's analysis (as built by report.invalid_analysis)."""
    culprit_index = (analysis["op"] or {}).get("index")
    calls = [problem.calls[n] for n in _calls_shown(problem, analysis)]
    moments = sorted(
        {call.invocation["index"] for call in calls}
        | {call.completion["index"] for call in calls if call.completion is not None}
    )
    column = {moment: i for i, moment in enumerate(moments)}
    right_edge = len(moments) + 1
    processes = sorted({call.invocation["process"] for call in calls}, key=sort_key)
    row = {process: i for i, process in enumerate(processes)}
    parts: list[str] = []
    for process, i in row.items():
        y = MARGIN + i * ROW + BAR * 0.7
        parts.append(f'<text x="8" y="{y:.0f}" {FONT}>{escape(str(process))}</text>')
    for call in calls:
        start = column[call.invocation["index"]]
        completion = call.completion
        definite = completion is not None and completion["type"] == OK
        end = column[completion["index"]] if completion is not None and definite else right_edge
        x, y = MARGIN + start * COLUMN, MARGIN + row[call.invocation["process"]] * ROW
        width = max((end - start) * COLUMN - 6, 30)
        outline = (
            CULPRIT if completion is not None and completion["index"] == culprit_index else "none"
        )
        parts.append(
            f'<rect x="{x}" y="{y}" width="{width}" height="{BAR}" rx="3" '
            f'fill="{COLOURS[OK if definite else INFO]}" stroke="{outline}" stroke-width="3"/>'
        )
        text = escape(_label({**call.invocation, "value": call.value}))
        parts.append(f'<text x="{x + 5}" y="{y + BAR * 0.7:.0f}" {FONT}>{text}</text>')
    y = MARGIN + len(processes) * ROW + LINE
    parts.append(f'<text x="8" y="{y}" {FONT} font-weight="bold">Final paths</text>')
    for path in analysis["final-paths"]:
        y += LINE
        steps = ", ".join(f"{_label(step['op'])} → {_model_text(step['model'])}" for step in path)
        parts.append(f'<text x="8" y="{y}" {FONT}>{escape(steps)}</text>')
    title = f"op {culprit_index} could not be linearized"
    width = MARGIN + right_edge * COLUMN + 400
    height = y + LINE
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width}" height="{height}">\n'
        f'<text x="8" y="24" {FONT} font-weight="bold">{escape(title)}</text>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )
