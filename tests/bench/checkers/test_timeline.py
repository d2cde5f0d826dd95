"""The timeline checker: bars per process, read back from timeline.html with html.parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from glome.bench.checkers import timeline
from glome.bench.history import CheckContext

MS = 1_000_000


class Options:
    workload = "lin-kv"


def build(*rows: tuple[str, Any, str, Any]) -> list[dict]:
    """(type, process, f, value) rows; op i happens at i ms."""
    return [
        {"index": i, "time": i * MS, "type": kind, "process": process, "f": f, "value": value}
        for i, (kind, process, f, value) in enumerate(rows)
    ]


@dataclass
class ParsedBar:
    kind: str
    style: dict[str, str]
    title: str
    text: list[str] = field(default_factory=list)


class TimelineParser(HTMLParser):
    """The stylesheet, the op divs and any truncation warning."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[ParsedBar] = []
        self.css = ""
        self.warning = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "style":
            self._in = "style"
        elif tag == "div" and "op" in classes:
            style = dict(
                part.split(":", 1) for part in attributes["style"].split(";") if part.strip()
            )
            self.bars.append(ParsedBar(classes[1], style, attributes["title"]))
            self._in = "op"
        elif tag == "div" and "truncation-warning" in classes:
            self._in = "warning"

    def handle_endtag(self, tag):
        if tag in ("style", "div"):
            self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.css += data
        elif self._in == "op":
            self.bars[-1].text.append(data)
        elif self._in == "warning":
            self.warning += data


def parse(text: str) -> TimelineParser:
    parser = TimelineParser()
    parser.feed(text)
    return parser


def px(value: str) -> int:
    return int(value.removesuffix("px"))


HISTORY = build(
    ("info", "nemesis", "start-partition", "majority"),  # 0: unmatched info, alone
    ("invoke", 0, "read", None),  # 1
    ("invoke", 1, "write", 3),  # 2
    ("info", "nemesis", "start-partition", ["isolated", {"n1": ["n2"]}]),  # 3
    ("ok", 0, "read", 3),  # 4
    ("fail", 1, "write", 3),  # 5
    ("invoke", 0, "cas", [1, 2]),  # 6
    ("invoke", 2, "read", None),  # 7: never completes
    ("info", 0, "cas", [1, 2]),  # 8: indeterminate, runs to the end
    ("invoke", 10, "read", None),  # 9
    ("ok", 10, "read", 4),  # 10
)


def test_bars_sit_in_process_columns_and_span_invocation_to_completion(tmp_path):
    assert timeline.check(HISTORY, CheckContext(Options(), tmp_path)) == {"valid?": True}
    page = parse((tmp_path / "timeline.html").read_text())
    by_title_index = {re.search(r":index (\d+)", bar.title)[1]: bar for bar in page.bars}
    assert sorted(by_title_index, key=int) == ["0", "3", "4", "5", "8", "10"]
    column = {p: i * timeline.GUTTER_WIDTH for i, p in enumerate(["nemesis", 0, 1, 2, 10])}
    row = timeline.ROW_HEIGHT

    def place(index):
        bar = by_title_index[index]
        return px(bar.style["left"]), px(bar.style["top"]), px(bar.style["height"])

    assert place("0") == (column["nemesis"], 0, row)
    assert place("4") == (column[0], 1 * row, 3 * row)  # read: rows 1..4
    assert place("5") == (column[1], 2 * row, 3 * row)  # write: rows 2..5
    assert place("8") == (column[0], 6 * row, (len(HISTORY) + 1 - 6) * row)  # info: to the end
    assert place("10") == (column[10], 9 * row, row)
    assert page.warning == ""


def test_bars_are_coloured_by_outcome_ok_blue_info_orange_fail_pink(tmp_path):
    timeline.write(HISTORY, tmp_path / "t.html", "lin-kv")
    page = parse((tmp_path / "t.html").read_text())
    colour = dict(re.findall(r"\.op\.(\w+) \{ background: (#\w+); \}", page.css))
    assert colour == {"invoke": "#eeeeee", "ok": "#6DB6FE", "info": "#FFAA26", "fail": "#FEB5DA"}
    assert [bar.kind for bar in page.bars] == ["info", "info", "ok", "fail", "info", "ok"]


def test_hover_text_shows_duration_error_and_op_and_the_bar_its_values(tmp_path):
    history = build(("invoke", 0, "write", 3), ("fail", 0, "write", 3))
    history[1]["error"] = ["precondition-failed", "expected 1"]
    timeline.write(history, tmp_path / "t.html", "lin-kv")
    (bar,) = parse((tmp_path / "t.html").read_text()).bars
    assert bar.title.splitlines()[:2] == ["Dur: 1 ms", 'Err: ["precondition-failed" "expected 1"]']
    assert ":type :fail" in bar.title and ":f :write" in bar.title
    assert ':error ["precondition-failed" "expected 1"]' in bar.title
    assert bar.title.endswith(":value 3}")
    assert bar.text == ["0 write 3"]


def test_a_changed_value_is_shown_under_the_invoked_one(tmp_path):
    timeline.write(HISTORY, tmp_path / "t.html", "lin-kv")
    bars = parse((tmp_path / "t.html").read_text()).bars
    assert bars[2].text == ["0 read nil", "3"]


def test_long_values_are_cut_so_the_page_stays_small(tmp_path):
    big = list(range(20_000))
    history = build(("invoke", 0, "read", None), ("ok", 0, "read", big))
    timeline.write(history, tmp_path / "t.html", "broadcast")
    (bar,) = parse((tmp_path / "t.html").read_text()).bars
    assert bar.text[1].startswith("[0 1 2 3") and bar.text[1].endswith("…")
    assert len(bar.text[1]) <= timeline.BODY_VALUE_CHARS
    assert (tmp_path / "t.html").stat().st_size < 4_000


def test_only_the_first_ops_are_drawn_with_a_notice():
    history = build(*[("invoke", 0, "read", None), ("ok", 0, "read", 1)] * 30)
    drawn, total = timeline.bars(history, limit=12)
    page = parse(timeline.render(drawn, total, "echo"))
    assert len(page.bars) == 12
    assert page.warning == "Showing only 12 of 30 operations in this history."


def test_empty_and_nemesis_only_histories_give_a_page(tmp_path):
    for history in ([], build(("info", "nemesis", "start-partition", "one"))):
        assert timeline.check(history, CheckContext(Options(), tmp_path)) == {"valid?": True}
        page = parse((tmp_path / "timeline.html").read_text())
        assert len(page.bars) == len(history)


def test_without_a_store_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert timeline.check(HISTORY, CheckContext(Options(), None)) == {"valid?": True}
    assert list(tmp_path.iterdir()) == []
