"""Lamport diagrams of the network journal: ``messages.svg`` of a test's first
events (docs/maelstrom.md §4.6), and views of chosen messages (``evidence.svg``).

One vertical lane per participant (nodes and clients by letter then number,
services last), one 20 px row per journal event in journal order, and an arrow
from the row where a message was sent to the row where it was delivered;
messages that were never delivered get no arrow. init/init_ok are left out.
Only the first 10,000 events are drawn, then a notice: a 25-node run journals
~600,000 events, so the journal is read lazily and reading stops there.

A ``View`` draws chosen messages wherever they are in the journal (an
explanation's evidence), with the traffic of one time window around them for
context; each run of events left out becomes one row that says how many and
over how long, and the messages that matter are drawn highlighted.

``journal_events`` and ``View.select`` (journal lines in, events out) and
``layout`` (events in, positions out) are pure; ``render`` turns a layout into
SVG text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson

from glome.bench import edn

LIMIT = 10_000
WIDTH = 1200  # px
ROW = 20  # px per event
LABEL_CHARS = 48
LABEL_LIFT = ROW / 5  # px the label sits above its arrow
LANE_LABEL_EVERY = 50  # rows between repeated lane names

ERROR_COLOUR = "#FF1E90"
CLIENT_COLOUR = "#81BFFC"
SERVER_COLOUR = "#000"
LANE_COLOUR = "#ccc"
NOTICE_COLOUR = "#D96918"
NOTICE = "Additional network events not shown"
HIGHLIGHT_COLOUR = "#E8590C"
SKIP_COLOUR = "#999"
#: a View's window draws at most this many events, however busy the network was
WINDOW_LIMIT = 200

HIDDEN_TYPES = frozenset({"init", "init_ok"})
UNLABELLED_KEYS = frozenset({"type", "msg_id", "in_reply_to"})
_NUMBERED_ID = re.compile(r"(\w+?)(\d+)")

SEND, RECV = "send", "recv"


@dataclass(frozen=True)
class Event:
    """One journal event with the message it concerns."""

    kind: str  # SEND | RECV
    id: int
    src: str
    dest: str
    body: dict[str, Any]
    time: int = 0  # the journal's, in ns


@dataclass(frozen=True)
class Skip:
    """A run of journal events a View leaves out: one row of the diagram."""

    count: int
    first_time: int
    last_time: int

    def text(self) -> str:
        seconds = (self.last_time - self.first_time) / 1e9
        return f"⋯ {self.count:,} events over {seconds:.3f} s not shown ⋯"


@dataclass(frozen=True)
class Arrow:
    """A delivered message: sent at ``sent_step`` by src, received at ``recv_step`` by dest."""

    src: str
    dest: str
    sent_step: int
    recv_step: int
    body: dict[str, Any]
    highlighted: bool = False


@dataclass(frozen=True)
class Layout:
    lanes: list[str]
    arrows: list[Arrow]
    step_count: int
    truncated: bool
    skips: list[tuple[int, Skip]] = field(default_factory=list)  # (row, what it leaves out)


@dataclass(frozen=True)
class View:
    """Which messages a diagram draws: the chosen ones wherever they are, and every
    message sent in ``window`` (journal ns, at most ``window_limit`` events), for context.
    A message is drawn whole or not at all: its delivery goes with its send."""

    chosen: frozenset[int]
    highlighted: frozenset[int] = frozenset()  # drawn in the highlight colour
    window: tuple[int, int] | None = None
    window_limit: int = WINDOW_LIMIT

    def select(self, lines: Iterable[bytes]) -> Iterator[Event | Skip]:
        """The events drawn from journal lines, in order, each run of the others as one
        Skip; only the messages drawn are decoded (a journal may hold gigabytes)."""
        window_drawn = 0

        def drawn(message_id: int, time: int) -> bool:
            nonlocal window_drawn
            if message_id in self.chosen:
                return True
            if self.window is None or not self.window[0] <= time <= self.window[1]:
                return False
            window_drawn += 1
            return window_drawn <= self.window_limit

        skipped, first_skipped, last_skipped = 0, 0, 0  # the run left out since the last drawn
        for event in _decoded(lines, drawn):
            if isinstance(event, int):
                first_skipped = first_skipped if skipped else event
                skipped, last_skipped = skipped + 1, event
                continue
            if skipped:
                yield Skip(skipped, first_skipped, last_skipped)
                skipped = 0
            yield event
        if skipped:
            yield Skip(skipped, first_skipped, last_skipped)


def journal_events(lines: Iterable[bytes]) -> Iterator[Event]:
    """Events from ``net-journal.jsonl`` lines, init/init_ok left out.

    A recv line carries only the id; its message is the one sent under that id.
    """
    return (event for event in _decoded(lines, _every) if isinstance(event, Event))


def _every(message_id: int, time: int) -> bool:
    return True


def _decoded(lines: Iterable[bytes], wanted: Callable[[int, int], bool]) -> Iterator[Event | int]:
    """The events of the messages ``wanted(id, time)`` picks at their send, init/init_ok
    aside, and for every other event its time; a line is decoded only when wanted."""
    in_flight: dict[int, tuple[str, str, dict[str, Any]]] = {}
    for line in lines:
        if not line.strip():
            continue
        time, kind, message_id = _header(line)
        if kind == SEND and wanted(message_id, time):
            message = orjson.loads(line)[3]
            body = message.get("body") or {}
            if body.get("type") not in HIDDEN_TYPES:
                in_flight[message_id] = (message["src"], message["dest"], body)
                yield Event(SEND, message_id, message["src"], message["dest"], body, time)
                continue
        elif kind == RECV and message_id in in_flight:
            src, dest, body = in_flight.pop(message_id)
            yield Event(RECV, message_id, src, dest, body, time)
            continue
        yield time


def _header(line: bytes) -> tuple[int, str, int]:
    """Time, kind and id of a journal line, read without decoding its message: the
    network writes ``[time,"send",id,`` and ``[time,"recv",id]`` itself."""
    first = line.index(b",")
    second = line.index(b",", first + 1)
    third = line.find(b",", second + 1)
    end = third if third >= 0 else line.rindex(b"]")
    return int(line[1:first]), line[first + 2 : second - 1].decode(), int(line[second + 1 : end])


def lane_order(participant: str) -> tuple[int, str, int]:
    """Ids like ``c12``/``n3`` by letters then number; others (services) last."""
    match = _NUMBERED_ID.search(participant)
    if match:
        return (0, match.group(1), int(match.group(2)))
    return (1, participant, 0)


def layout(
    events: Iterable[Event | Skip], limit: int = LIMIT, highlighted: frozenset[int] = frozenset()
) -> Layout:
    """Lanes, arrows and skipped runs of the first ``limit`` rows; consumes at most limit + 1."""
    shown = list(islice(events, limit + 1))
    truncated = len(shown) > limit
    shown = shown[:limit]
    sent_at: dict[int, int] = {}
    arrows: list[Arrow] = []
    skips: list[tuple[int, Skip]] = []
    participants: set[str] = set()
    for step, event in enumerate(shown, start=1):
        if isinstance(event, Skip):
            skips.append((step, event))
            continue
        participants.update((event.src, event.dest))
        if event.kind == SEND:
            sent_at[event.id] = step
        elif event.id in sent_at:
            sent = sent_at.pop(event.id)
            marked = event.id in highlighted
            arrows.append(Arrow(event.src, event.dest, sent, step, event.body, marked))
    lanes = sorted(participants, key=lane_order)
    return Layout(lanes, arrows, len(shown), truncated, skips)


def colour(arrow: Arrow) -> str:
    if arrow.highlighted:
        return HIGHLIGHT_COLOUR
    if arrow.body.get("type") == "error":
        return ERROR_COLOUR
    if arrow.src.startswith("c") or arrow.dest.startswith("c"):
        return CLIENT_COLOUR
    return SERVER_COLOUR


def truncate(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(body: dict[str, Any]) -> str:
    """The type, then the error's text or the rest of the body; at most 48 characters."""
    kind = body.get("type")
    if kind == "error":
        detail = str(body.get("text") or "")
    else:
        detail = edn.dumps({k: v for k, v in body.items() if k not in UNLABELLED_KEYS})
    return truncate(f"{kind or ''} {detail}")


def hover(arrow: Arrow) -> str:
    return f"{arrow.src} → {arrow.dest} {edn.dumps(arrow.body)}"


# ---------------------------------------------------------------------- SVG


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _x(lanes: dict[str, int], lane: str) -> float:
    return (lanes[lane] + 0.5) / len(lanes) * WIDTH


def _y(step: float) -> float:
    return ROW * (1.5 + step)


STYLE = """
svg { font-family: Helvetica, Arial, sans-serif; font-size: 11px; }
rect { stroke-linecap: butt; stroke-width: 3; stroke: #fff; }
polygon { fill: #000; }
"""

DEFS = (
    '<defs><polygon id="ahead" points="0 0, -12 4, -12 -4"/>'
    '<filter id="glow" x="0" y="0">'
    '<feGaussianBlur in="SourceAlpha" stdDeviation="2" result="blurred"/>'
    '<feFlood flood-color="#fff"/><feComposite operator="in" in2="blurred"/>'
    '<feComponentTransfer><feFuncA type="linear" slope="10" intercept="0"/>'
    "</feComponentTransfer>"
    '<feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge></filter></defs>'
)


def _arrow_svg(lanes: dict[str, int], arrow: Arrow) -> str:
    """The arrow is drawn lying along x from the origin, then moved and turned into place."""
    x0, y0 = _x(lanes, arrow.src), _y(arrow.sent_step)
    x1, y1 = _x(lanes, arrow.dest), _y(arrow.recv_step)
    length = math.hypot(x1 - x0, y1 - y0)
    degrees = math.degrees(math.atan2(y1 - y0, x1 - x0))
    middle = _num(length / 2)
    # an arrow pointing left would have upside-down text: turn the label over
    flip = "" if -90 < degrees < 90 else f' transform="rotate(180 {middle} 0)"'
    text = escape(label(arrow.body))
    label_at = f'text-anchor="middle" x="{middle}" y="{_num(-LABEL_LIFT)}"{flip}'
    marked = ' class="highlighted"' if arrow.highlighted else ""
    thickness = 7 if arrow.highlighted else 5
    return (
        f'<g{marked} transform="translate({_num(x0)} {_num(y0)}) rotate({_num(degrees)})">'
        f'<rect x="0" y="{_num(-thickness / 2)}" height="{thickness}"'
        f' width="{_num(length - 4)}" fill="{colour(arrow)}">'
        f"<title>{escape(hover(arrow))}</title></rect>"
        f'<use href="#ahead" xlink:href="#ahead" x="{_num(length)}" y="0"/>'
        f'<text {label_at} filter="url(#glow)" style="fill: #fff">{text}</text>'
        f"<text {label_at}>{text}</text></g>"
    )


def render(drawn: Layout) -> str:
    lanes = {lane: index for index, lane in enumerate(drawn.lanes)}
    height = ROW * (2 + 1 + 2 + 2 + drawn.step_count)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' version="2.0" width="{WIDTH}" height="{height}">',
        f"<style>{STYLE}</style>",
        DEFS,
        "<g>",
    ]
    for lane in drawn.lanes:
        for step in range(0, drawn.step_count, LANE_LABEL_EVERY):
            parts.append(
                f'<text x="{_num(_x(lanes, lane))}" y="{_num(_y(step - 0.5))}"'
                ' text-anchor="middle" alignment-baseline="middle"'
                f' fill="{"#000" if step == 0 else "#aaa"}">{escape(lane)}</text>'
            )
    parts.append("</g><g>")
    bottom = _num(_y(drawn.step_count + 1))
    for lane in drawn.lanes:
        x = _num(_x(lanes, lane))
        parts.append(
            f'<line stroke="{LANE_COLOUR}" x1="{x}" y1="{_num(_y(0))}" x2="{x}" y2="{bottom}"/>'
        )
    parts.append("</g><g>")
    parts.extend(_arrow_svg(lanes, arrow) for arrow in drawn.arrows)
    parts.append("</g>")
    for step, skip in drawn.skips:
        y = _num(_y(step))
        parts.append(
            f'<g class="skip"><line x1="0" y1="{y}" x2="{WIDTH}" y2="{y}" stroke="{SKIP_COLOUR}"'
            f' stroke-dasharray="4 4"/><text x="{WIDTH // 2}" y="{y}" text-anchor="middle"'
            f' alignment-baseline="middle" fill="{SKIP_COLOUR}" filter="url(#glow)">'
            f"{escape(skip.text())}</text></g>"
        )
    if drawn.truncated:
        step = drawn.step_count + 2
        parts.append(
            f'<g class="notice"><line x1="30" y1="{_num(_y(step))}" x2="{WIDTH - 30}"'
            f' y2="{_num(_y(step))}" stroke-width="1" stroke="{NOTICE_COLOUR}"/>'
            f'<text x="{WIDTH // 2}" y="{_num(_y(step + 1))}" fill="{NOTICE_COLOUR}"'
            f' text-anchor="middle">{NOTICE}</text></g>'
        )
    parts.append("</svg>\n")
    return "\n".join(parts)


def write_svg(
    journal_path: Path, out_path: Path, limit: int = LIMIT, view: View | None = None
) -> None:
    """Render a diagram of ``net-journal.jsonl``: its first events (``messages.svg``), or
    what ``view`` chooses; the journal is read only as far as the drawing needs."""
    with open(journal_path, "rb") as journal:
        if view is None:
            drawn = layout(journal_events(journal), limit)
        else:
            drawn = layout(view.select(journal), limit, view.highlighted)
    out_path.write_text(render(drawn), encoding="utf-8")
