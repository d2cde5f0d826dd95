"""Reading history files: EDN and JSON, collections and op-per-line, and the
one-line errors for files that hold no history."""

from __future__ import annotations

from pathlib import Path

import pytest

from glome.bench.edn import Keyword
from glome.check.reading import HistoryError, parse_history, read_history

JEPSEN_LINES = """{:type :invoke, :f :read, :process 2, :time 53137939465, :index 0}
{:type :invoke, :f :transfer, :process 3, :index 1, :value {:from 5, :to 2, :amount 2}}
{:type :ok, :f :read, :process 2, :time 53137940000, :index 2, :value {0 10, 1 90}}
"""


def test_edn_op_per_line_as_jepsen_writes_history_edn() -> None:
    ops = parse_history(JEPSEN_LINES)
    assert [op["type"] for op in ops] == ["invoke", "invoke", "ok"]
    assert ops[1]["value"] == {"from": 5, "to": 2, "amount": 2}
    assert ops[2]["value"] == {0: 10, 1: 90}
    assert [op["index"] for op in ops] == [0, 1, 2]


def test_edn_vector_with_comments_and_no_indices() -> None:
    ops = parse_history(
        "; a Knossos data file\n[{:process 4, :type :invoke, :f :write, :value 2}\n"
        " {:process 4, :type :ok, :f :write, :value 2}] ; the end"
    )
    assert [(op["index"], op["time"], op["f"]) for op in ops] == [
        (0, -1, "write"),
        (1, -1, "write"),
    ]
    assert type(ops[0]["type"]) is str and type(ops[0]["f"]) is str


def test_edn_list_and_tagged_ops() -> None:
    ops = parse_history("(#jepsen.history.Op{:index 7, :type :invoke, :process 0, :f :read})")
    assert ops == [{"index": 7, "type": "invoke", "process": 0, "f": "read", "time": -1}]


def test_edn_values_keep_keywords_strings_nesting_and_sets() -> None:
    (op,) = parse_history(
        '{:type :ok, :process :nemesis, :f :txn, :value [[:append :x 1] [:r "y" #{3 1 2}] '
        "(1 (2)) {:k [nil true]}]}"
    )
    assert op["process"] == "nemesis"
    append, read, listed, mapping = op["value"]
    assert append == ["append", "x", 1] and type(append[1]) is Keyword
    assert read == ["r", "y", [1, 2, 3]] and type(read[1]) is str
    assert listed == [1, [2]] and type(listed) is list and type(listed[1]) is list
    assert mapping == {"k": [None, True]}


def test_json_array_and_json_lines() -> None:
    array = parse_history(
        '[{"type": "invoke", "f": "txn", "value": [["r", "x", null]], "process": 0}]'
    )
    lines = parse_history(
        '{"type": "invoke", "f": "add", "value": 1, "process": 0}\n\n'
        '{"type": "ok", "f": "add", "value": 1, "process": 0}\n'
    )
    assert array[0]["value"] == [["r", "x", None]]
    assert [op["type"] for op in lines] == ["invoke", "ok"]
    assert [op["index"] for op in lines] == [0, 1]


def test_missing_process_is_one_anonymous_process() -> None:
    (op,) = parse_history("{:type :invoke, :f :read}")
    assert op["process"] is None


def test_format_follows_suffix_and_can_be_forced(tmp_path: Path) -> None:
    edn_text = "{:type :invoke, :f :read, :process 0}"
    (tmp_path / "h.edn").write_text(edn_text)
    (tmp_path / "h.json").write_text(edn_text)
    (tmp_path / "h.txt").write_text(edn_text)
    assert read_history(tmp_path / "h.edn")[0]["f"] == "read"
    assert read_history(tmp_path / "h.txt")[0]["f"] == "read"  # sniffed
    assert read_history(tmp_path / "h.json", "edn")[0]["f"] == "read"
    with pytest.raises(HistoryError, match="not JSON, line 1"):
        read_history(tmp_path / "h.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{:type :invoke, :f :read} {:f :read, :process 1}]", "op 1 has no :type"),
        ("{:type :begin}", "op 0 has :type :begin; expected one of :invoke, :ok, :fail, :info"),
        ('{"type": 3}', "op 0 has :type 3"),
        ("{:type :invoke, :f :read", "the file ends inside a collection"),
        ('{:type "ok}', "unterminated string"),
        ("{:type :ok}\n}", "unexpected '}' (line 2)"),
        ("[1 2]", "entry 0 is 1, not an op map"),
        ("{:type :ok, :index 1} {:type :ok}", "op 1 has :index nil"),
        ("{:type :ok, :index 1} {:type :ok, :index 1}", "two ops have :index 1"),
    ],
)
def test_bad_histories_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(HistoryError) as raised:
        parse_history(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no such file"):
        read_history(tmp_path / "absent.edn")
    with pytest.raises(HistoryError, match="is a directory"):
        read_history(tmp_path)
    (tmp_path / "binary.edn").write_bytes(b"\xff\xfe{")
    with pytest.raises(HistoryError, match="not UTF-8"):
        read_history(tmp_path / "binary.edn")
