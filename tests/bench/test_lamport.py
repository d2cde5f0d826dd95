"""messages.svg: events to layout, and the SVG read back with xml.etree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from glome.bench import lamport

SVG = "{http://www.w3.org/2000/svg}"


class JournalWriter:
    """Journal lines as the bench writes them; message ids from 0, time 1 µs a line."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.next_id = 0

    def send(self, src: str, dest: str, body: dict[str, Any]) -> int:
        message_id, self.next_id = self.next_id, self.next_id + 1
        message = {"src": src, "dest": dest, "body": body}
        self.lines.append(orjson.dumps([len(self.lines) * 1000, "send", message_id, message]))
        return message_id

    def recv(self, message_id: int) -> None:
        self.lines.append(orjson.dumps([len(self.lines) * 1000, "recv", message_id]))

    def rpc(self, src: str, dest: str, body: dict[str, Any], reply: dict[str, Any]) -> None:
        self.recv(self.send(src, dest, body))
        self.recv(self.send(dest, src, reply))

    def write(self, path: Path) -> Path:
        path.write_bytes(b"\n".join(self.lines) + b"\n")
        return path


LONG = list(range(40))


def small_journal() -> JournalWriter:
    journal = JournalWriter()
    for node in ("n10", "n2", "n1"):
        journal.rpc("c" + node[1:], node, {"type": "init", "msg_id": 1}, {"type": "init_ok"})
    journal.rpc("c4", "n2", {"type": "read", "msg_id": 1}, {"type": "read_ok", "messages": []})
    journal.rpc(
        "n1",
        "lin-kv",
        {"type": "cas", "key": 1, "msg_id": 2},
        {"type": "error", "code": 22, "text": "expected 0, had 3", "in_reply_to": 2},
    )
    journal.recv(journal.send("n10", "n2", {"type": "gossip", "values": LONG}))
    journal.send("n2", "n10", {"type": "gossip", "values": [1]})  # lost in a partition
    journal.rpc("c12", "n1", {"type": "echo", "echo": "hi", "msg_id": 5}, {"type": "echo_ok"})
    return journal


def events(journal: JournalWriter) -> list[lamport.Event]:
    return list(lamport.journal_events(journal.lines))


# ------------------------------------------------------------------ layout


def test_init_messages_are_left_out_and_receipts_carry_their_message():
    found = events(small_journal())
    assert len(found) == 8 + 7  # sends after init, and all but one delivered
    assert all(e.body["type"] not in ("init", "init_ok") for e in found)
    receipt = next(e for e in found if e.kind == lamport.RECV)
    assert (receipt.src, receipt.dest, receipt.body["type"]) == ("c4", "n2", "read")


def test_lanes_order_ids_by_letters_then_number_and_services_last():
    drawn = lamport.layout(events(small_journal()))
    assert drawn.lanes == ["c4", "c12", "n1", "n2", "n10", "lin-kv"]


def test_arrows_only_for_delivered_messages_from_send_row_to_receive_row():
    drawn = lamport.layout(events(small_journal()))
    assert drawn.step_count == 15 and not drawn.truncated
    assert len(drawn.arrows) == 7  # 8 sends after init, one never delivered
    first = drawn.arrows[0]
    assert (first.src, first.dest, first.sent_step, first.recv_step) == ("c4", "n2", 1, 2)


def test_layout_stops_reading_after_the_limit():
    consumed = 0

    def counted() -> Iterator[lamport.Event]:
        nonlocal consumed
        for event in lamport.journal_events(small_journal().lines * 1000):
            consumed += 1
            yield event

    drawn = lamport.layout(counted(), limit=5)
    assert drawn.step_count == 5 and drawn.truncated
    assert consumed == 6


def test_labels_drop_type_msg_id_and_in_reply_to_and_errors_show_their_text():
    assert lamport.label({"type": "echo", "echo": "hi", "msg_id": 5}) == 'echo {:echo "hi"}'
    assert lamport.label({"type": "read_ok", "in_reply_to": 1}) == "read_ok {}"
    error = {"type": "error", "code": 22, "text": "expected 0, had 3", "in_reply_to": 2}
    assert lamport.label(error) == "error expected 0, had 3"
    long = lamport.label({"type": "gossip", "values": LONG})
    assert len(long) == 48 and long.endswith("…")
    assert long.startswith("gossip {:values [0 1 2 3")


# ------------------------------------------------------------------ SVG


def arrows_of(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}rect") is not None]


def test_svg_has_one_arrow_per_delivered_message_with_colours_labels_and_titles(tmp_path):
    out = tmp_path / "messages.svg"
    lamport.write_svg(small_journal().write(tmp_path / "net-journal.jsonl"), out)
    root = ET.parse(out).getroot()
    arrows = arrows_of(root)
    assert len(arrows) == 7
    colours = [g.find(f"{SVG}rect").get("fill") for g in arrows]
    assert colours == ["#81BFFC"] * 2 + ["#000", "#FF1E90", "#000"] + ["#81BFFC"] * 2
    titles = [g.find(f"{SVG}rect/{SVG}title").text for g in arrows]
    assert titles[0] == 'c4 → n2 {:type "read", :msg_id 1}'
    labels = [g.findall(f"{SVG}text")[-1].text for g in arrows]
    assert labels[3] == "error expected 0, had 3"
    assert len(labels[4]) == 48 and labels[4].endswith("…")
    assert root.find(f".//{SVG}g[@class='notice']") is None


def test_svg_lanes_in_order_and_rows_20_px_apart(tmp_path):
    out = tmp_path / "messages.svg"
    lamport.write_svg(small_journal().write(tmp_path / "net-journal.jsonl"), out)
    root = ET.parse(out).getroot()
    lane_names = [t.text for t in root.iter(f"{SVG}text") if t.get("fill") == "#000"]
    assert lane_names == ["c4", "c12", "n1", "n2", "n10", "lin-kv"]
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("fill") == "#000"]
    assert xs == sorted(xs)
    assert int(root.get("height")) == 20 * (15 + 7)
    first = arrows_of(root)[0].get("transform")
    second = arrows_of(root)[1].get("transform")
    y_of = lambda transform: float(re.search(r"translate\(\S+ (\S+)\)", transform)[1])  # noqa: E731
    assert y_of(first) == 20 * 2.5 and y_of(second) == 20 * 4.5


def test_svg_after_the_limit_ends_with_the_notice(tmp_path):
    out = tmp_path / "messages.svg"
    journal = small_journal()
    lamport.write_svg(journal.write(tmp_path / "net-journal.jsonl"), out, limit=4)
    root = ET.parse(out).getroot()
    notice = root.find(f".//{SVG}g[@class='notice']")
    assert notice is not None
    assert notice.find(f"{SVG}text").text == "Additional network events not shown"
    assert len(arrows_of(root)) == 2  # the read and its reply; the cas is cut off


def test_an_empty_journal_gives_an_empty_diagram(tmp_path):
    (tmp_path / "net-journal.jsonl").write_bytes(b"")
    lamport.write_svg(tmp_path / "net-journal.jsonl", tmp_path / "messages.svg")
    root = ET.parse(tmp_path / "messages.svg").getroot()
    assert arrows_of(root) == []


# ------------------------------------------------------------------ views


def test_a_view_draws_the_chosen_messages_wherever_they_are_and_counts_the_rest(tmp_path):
    view = lamport.View(frozenset({8, 9}), highlighted=frozenset({8}))  # the cas and its error
    rows = list(view.select(small_journal().lines))
    assert rows[0] == lamport.Skip(16, 0, 15_000)  # init and the read, 1 µs a line
    assert [(row.kind, row.id) for row in rows[1:5]] == [
        ("send", 8),
        ("recv", 8),
        ("send", 9),
        ("recv", 9),
    ]
    assert rows[5:] == [lamport.Skip(7, 20_000, 26_000)]
    drawn = lamport.layout(rows, highlighted=view.highlighted)
    assert [(a.body["type"], a.highlighted) for a in drawn.arrows] == [
        ("cas", True),
        ("error", False),
    ]
    assert [step for step, _ in drawn.skips] == [1, 6]
    out = tmp_path / "evidence.svg"
    lamport.write_svg(small_journal().write(tmp_path / "net-journal.jsonl"), out, view=view)
    root = ET.parse(out).getroot()
    skips = [g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "skip"]
    assert skips == ["⋯ 16 events over 0.000 s not shown ⋯", "⋯ 7 events over 0.000 s not shown ⋯"]
    marked = [g for g in arrows_of(root) if g.get("class") == "highlighted"]
    assert [g.find(f"{SVG}rect").get("fill") for g in marked] == [lamport.HIGHLIGHT_COLOUR]


def test_a_views_window_draws_whole_messages_up_to_its_limit():
    view = lamport.View(frozenset(), window=(20_000, 26_000), window_limit=2)
    rows = list(view.select(small_journal().lines))
    assert rows[0] == lamport.Skip(20, 0, 19_000)
    # both gossips: the first with its delivery, the second never delivered
    assert [(row.kind, row.id) for row in rows[1:4]] == [("send", 10), ("recv", 10), ("send", 11)]
    assert rows[4:] == [lamport.Skip(4, 23_000, 26_000)]  # the echo: past the window's limit
