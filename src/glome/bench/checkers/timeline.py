"""Jepsen's timeline checker (docs/maelstrom.md §9.2): ``timeline.html``, one bar per
operation. Always valid.

Each process has a column (the nemesis first, then workers by number); an op's
bar runs down from the row of its invocation to the row of its completion, one
16 px row per history op, and is coloured by outcome: ok blue, info orange,
fail pink. An indeterminate (info) op may still take effect at any later time,
so its bar runs to the end of the history. Hovering a bar shows the op.

As in Jepsen, only the first 10,000 operations are drawn (with a notice), and
invocations that never completed are not drawn. Beyond Jepsen, values are cut
to a few dozen characters: a broadcast read can hold thousands of elements,
and printing each in full would make the page hundreds of megabytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glome.bench import edn
from glome.bench.history import FAIL, INFO, INVOKE, NEMESIS, OK, CheckContext, Op

OP_LIMIT = 10_000
COLUMN_WIDTH = 100  # px
GUTTER_WIDTH = 106  # px from one column to the next
ROW_HEIGHT = 16  # px per history op
BODY_VALUE_CHARS = 60
TITLE_VALUE_CHARS = 160
#: values with more elements are cut before printing, so printing stays cheap
PRINTED_ELEMENTS = 32

COLOURS = {INVOKE: "#eeeeee", OK: "#6DB6FE", INFO: "#FFAA26", FAIL: "#FEB5DA"}

STYLESHEET = (
    "body { font-family: Helvetica, Arial, sans-serif; font-size: 11px; }\n"
    ".ops { position: absolute; }\n"
    f".op {{ position: absolute; box-sizing: border-box; width: {COLUMN_WIDTH}px; padding: 2px;"
    " line-height: 12px; border-radius: 2px;"
    " box-shadow: 0 1px 3px rgba(0,0,0,0.12), 0 1px 2px rgba(0,0,0,0.24);"
    " overflow: hidden; color: #000; }\n"
    + "".join(f".op.{kind} {{ background: {colour}; }}\n" for kind, colour in COLOURS.items())
    + ".op:target { box-shadow: 0 14px 28px rgba(0,0,0,0.25), 0 10px 10px rgba(0,0,0,0.22); }\n"
    "a { text-decoration: none; }\n"
)

Pair = tuple[Op, Op | None]  # (start, stop); an unmatched info op stands alone


@dataclass
class Bar:
    """One op's box: where it sits, its colour class, its text and hover text."""

    kind: str
    anchor: int  # the history index the bar links to
    left: int
    top: int
    height: int
    body: str
    title: str


def timeline_pairs(history: list[Op]) -> list[tuple[int, int | None]]:
    """(start position, stop position) in the history, in order of completion.

    Jepsen's pairing: an invocation waits for its process's next op; an info
    op with no open invocation (the nemesis's, for one) stands alone.
    """
    open_by_process: dict[Any, int] = {}
    result: list[tuple[int, int | None]] = []
    for position, op in enumerate(history):
        process = op.get("process")
        if op["type"] == INVOKE:
            open_by_process[process] = position
        elif process in open_by_process:
            result.append((open_by_process.pop(process), position))
        elif op["type"] == INFO:
            result.append((position, None))
    return result


def process_columns(history: list[Op]) -> dict[Any, int]:
    """Column of each process, ordered as Jepsen's polysort orders them:
    keywords (the nemesis) before numbers."""
    processes = {op.get("process") for op in history}
    ordered = sorted(processes, key=lambda p: (1, p, "") if isinstance(p, int) else (0, 0, str(p)))
    return {process: column for column, process in enumerate(ordered)}


def short(value: Any, limit: int) -> str:
    """The value as EDN, at most ``limit`` characters."""
    if isinstance(value, list) and len(value) > PRINTED_ELEMENTS:
        text = edn.dumps(value[:PRINTED_ELEMENTS])[:-1] + " …]"
    else:
        text = edn.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _keyword(value: Any) -> Any:
    """A name glome keeps as a string, shown as the keyword Clojure prints."""
    return edn.Keyword(value) if isinstance(value, str) else value


def hover_text(start: Op, stop: Op | None) -> str:
    """What Jepsen's title shows: duration, error, then the op itself."""
    op = stop or start
    lines = []
    if op.get("process") == NEMESIS:
        lines.append(f"Msg: {short(start.get('value'), TITLE_VALUE_CHARS)}")
    if stop is not None:
        lines.append(f"Dur: {(stop['time'] - start['time']) // 1_000_000} ms")
    lines.append(f"Err: {short(op.get('error'), TITLE_VALUE_CHARS)}")
    lines.append("")
    lines.append("Op:")
    shown = {key: _keyword(op.get(key)) for key in ("process", "type", "f", "index")}
    extra = {
        key: value
        for key, value in op.items()
        if key not in ("process", "type", "f", "index", "value", "time")
    }
    fields = [f":{key} {short(value, TITLE_VALUE_CHARS)}" for key, value in shown.items()]
    fields += [f":{key} {short(value, TITLE_VALUE_CHARS)}" for key, value in extra.items()]
    fields.append(f":value {short(op.get('value'), TITLE_VALUE_CHARS)}")
    lines.append("{" + "\n ".join(fields) + "}")
    return "\n".join(lines)


def body_text(start: Op, stop: Op | None) -> str:
    """Process, f and value; the completion's value too when it differs."""
    op = stop or start
    text = f"{op.get('process')} {op.get('f')}"
    if op.get("process") != NEMESIS:
        text += " " + short(start.get("value"), BODY_VALUE_CHARS)
    if stop is not None and stop.get("value") != start.get("value"):
        text += "\n" + short(stop.get("value"), BODY_VALUE_CHARS)
    return text


def bars(history: list[Op], limit: int = OP_LIMIT) -> tuple[list[Bar], int]:
    """The first ``limit`` bars, and how many operations there were in all."""
    columns = process_columns(history)
    positions = timeline_pairs(history)
    result = []
    for start_at, stop_at in positions[:limit]:
        start = history[start_at]
        stop: Op | None
        if stop_at is None:
            stop, position, rows = None, start_at, 1
        else:
            stop, position = history[stop_at], stop_at
            rows = len(history) + 1 - start_at if stop["type"] == INFO else stop_at - start_at
        op = stop or start
        result.append(
            Bar(
                kind=op["type"],
                anchor=op.get("index", position),
                left=GUTTER_WIDTH * columns[start.get("process")],
                top=ROW_HEIGHT * start_at,
                height=ROW_HEIGHT * rows,
                body=body_text(start, stop),
                title=hover_text(start, stop),
            )
        )
    return result, len(positions)


def render(drawn: list[Bar], total: int, name: str) -> str:
    escape = html.escape
    parts = [
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">',
        f"<title>{escape(name)} timeline</title><style>{STYLESHEET}</style></head><body>",
        f"<h1>{escape(name)}</h1>",
    ]
    if len(drawn) < total:
        parts.append(
            f'<div class="truncation-warning">Showing only {len(drawn)} of {total}'
            " operations in this history.</div>"
        )
    parts.append('<div class="ops">')
    for bar in drawn:
        body = escape(bar.body).replace("\n", "<br>")
        parts.append(
            f'<a href="#i{bar.anchor}"><div class="op {escape(bar.kind)}" id="i{bar.anchor}"'
            f' style="left:{bar.left}px;top:{bar.top}px;height:{bar.height}px"'
            f' title="{escape(bar.title)}">{body}</div></a>'
        )
    parts.append("</div></body></html>\n")
    return "\n".join(parts)


def write(history: list[Op], path: Path, name: str) -> None:
    drawn, total = bars(history)
    path.write_text(render(drawn, total, name), encoding="utf-8")


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    if ctx.store is not None and ctx.plots:
        write(history, ctx.store / "timeline.html", str(getattr(ctx.options, "workload", "") or ""))
    return {"valid?": True}
