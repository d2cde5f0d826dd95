"""Verdicts, exit codes, the store layout and the files in it
(docs/maelstrom.md §9.5, §9.6), and EDN output."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from glome.bench import edn, results
from glome.bench.results import (
    create_store,
    edn_results,
    exit_code,
    format_results,
    load_history,
    merge_valid,
    resolve_test,
    verdict_line,
    write_history,
    write_results,
)

PLUS_ONE = timezone(timedelta(hours=1))
MOMENT = datetime(2025, 12, 27, 12, 21, 37, 189_456, tzinfo=PLUS_ONE)

# -------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("values", "merged"),
    [
        ((), True),
        ((True, True), True),
        ((True, "unknown", True), "unknown"),
        (("unknown", False), False),
        ((False, True, "unknown"), False),
    ],
)
def test_merge_valid_priority(values, merged):
    assert merge_valid(*values) == merged


@pytest.mark.parametrize("bad", [None, 1, 0, "yes"])
def test_merge_valid_rejects_unknown_verdicts(bad):
    with pytest.raises(ValueError, match="not a known valid"):
        merge_valid(True, bad)


def non_ascii(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if ord(c) > 127]


def test_verdict_lines_are_maelstroms_to_the_code_point():
    good, bad, unknown = verdict_line(True), verdict_line(False), verdict_line("unknown")
    assert good == "Everything looks good! ヽ(‘ー`)ノ"
    assert non_ascii(good) == ["U+30FD", "U+2018", "U+30FC", "U+30CE"]
    assert bad == "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"
    assert non_ascii(bad) == [
        "U+FF89", "U+0CA5", "U+76CA", "U+0CA5", "U+FF09", "U+FF89", "U+253B", "U+2501", "U+253B",
    ]  # fmt: skip
    assert unknown == "Errors occurred during analysis, but no anomalies found. ಠ~ಠ"
    assert non_ascii(unknown) == ["U+0CA0", "U+0CA0"]
    assert "`" in good  # the ASCII backtick, not a look-alike


def test_exit_codes():
    assert [exit_code(True), exit_code(False), exit_code("unknown")] == [0, 1, 2]
    assert exit_code(edn.Keyword("unknown")) == 2


def test_console_text_is_results_then_a_blank_line_then_one_verdict():
    text = format_results({"workload": {"valid?": False}, "valid?": False})
    assert text == (
        "{:workload {:valid? false}, :valid? false}\n\n\nAnalysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"
    )
    verdicts = [line for line in text.splitlines() if line in results.VERDICT_LINES.values()]
    assert verdicts == [verdict_line(False)]


def test_console_text_shows_a_top_level_error_before_the_verdict():
    text = format_results({"valid?": "unknown", "error": "history unreadable"})
    assert text.endswith("\n\nhistory unreadable\n\n" + verdict_line("unknown"))


# ------------------------------------------------------------------ store


def test_store_directory_name_and_links(tmp_path):
    root = tmp_path / "store"
    store = create_store("broadcast", root, MOMENT)
    assert store == root / "broadcast" / "20251227T122137.189+0100"
    assert store.is_dir()
    for link, target in [
        (root / "latest", "broadcast/20251227T122137.189+0100"),
        (root / "current", "broadcast/20251227T122137.189+0100"),
        (root / "broadcast" / "latest", "20251227T122137.189+0100"),
    ]:
        assert link.is_symlink() and str(link.readlink()) == target  # relative, like Jepsen's
        assert link.resolve() == store.resolve()


def test_a_newer_test_moves_the_links_and_same_millisecond_tests_do_not_collide(tmp_path):
    root = tmp_path / "store"
    first = create_store("echo", root, MOMENT)
    second = create_store("echo", root, MOMENT)
    third = create_store("g-set", root, MOMENT + timedelta(seconds=1))
    assert second.name == "20251227T122137.190+0100" and first != second
    assert (root / "echo" / "latest").resolve() == second.resolve()
    assert (root / "latest").resolve() == third.resolve()
    assert resolve_test(-1, root) == third and resolve_test(0, root) == first
    assert resolve_test(-2, root) == second


def test_resolve_test_by_path_and_missing_tests(tmp_path):
    store = create_store("echo", tmp_path / "store", MOMENT)
    write_history(store, [])
    assert resolve_test(str(store), tmp_path / "store") == store
    with pytest.raises(FileNotFoundError):
        resolve_test(str(tmp_path), tmp_path / "store")
    with pytest.raises(FileNotFoundError):
        resolve_test(-5, tmp_path / "store")


# ---------------------------------------------------------------- history


HISTORY = [
    {"index": 0, "time": 10, "type": "invoke", "process": 0, "f": "broadcast", "value": 3},
    {
        "index": 1,
        "time": 20,
        "type": "info",
        "process": 0,
        "f": "broadcast",
        "value": 3,
        "error": "net-timeout",
    },
    {"index": 2, "time": 30, "type": "info", "process": "nemesis", "f": "start-partition",
     "value": "majority"},
    {"index": 6, "time": 33, "type": "info", "process": "nemesis", "f": "start-partition",
     "value": ["isolated", {"n1": ["n2"], "n2": ["n1"]}]},
    {"index": 3, "time": 40, "type": "invoke", "process": 1, "f": "read", "value": None,
     "final?": True},
    {"index": 4, "time": 50, "type": "fail", "process": 1, "f": "read", "value": None,
     "final?": True, "error": ["key-does-not-exist", "key does not exist"]},
    {"index": 5, "time": 60, "type": "ok", "process": 2, "f": "echo",
     "value": {"type": "echo_ok", "echo": "Please echo 7", "in_reply_to": 1}},
]  # fmt: skip


def test_history_files(tmp_path):
    write_history(tmp_path, HISTORY)
    assert load_history(tmp_path) == HISTORY
    assert (tmp_path / "history.txt").read_text().splitlines() == [
        "0\t:invoke\t:broadcast\t3",
        "0\t:info\t:broadcast\t3\t:net-timeout",
        ":nemesis\t:info\t:start-partition\t:majority",
        ':nemesis\t:info\t:start-partition\t[:isolated {"n1" ["n2"], "n2" ["n1"]}]',
        "1\t:invoke\t:read\tnil",
        "1\t:fail\t:read\tnil\t[:key-does-not-exist key does not exist]",
        '2\t:ok\t:echo\t{:type "echo_ok", :echo "Please echo 7", :in_reply_to 1}',
    ]
    edn_lines = (tmp_path / "history.edn").read_text().splitlines()
    assert (
        edn_lines[0] == "{:index 0, :time 10, :type :invoke, :process 0, :f :broadcast, :value 3}"
    )
    assert edn_lines[5] == (
        "{:index 4, :time 50, :type :fail, :process 1, :f :read, :value nil, :final? true, "
        ':error [:key-does-not-exist "key does not exist"]}'
    )


# ---------------------------------------------------------------- results


RESULTS = {
    "stats": {"valid?": True, "count": 2},
    "net": {"servers": {"msg-count": 384, "msgs-per-op": 2.0210526}, "valid?": True},
    "workload": {
        "valid?": True,
        "lost": edn.Seq([]),
        "stable-latencies": {"0": 0, "0.5": 12, "0.95": 40, "0.99": 41, "1": 45},
    },
    "availability": {"valid?": "unknown", "error": "boom"},
    "valid?": "unknown",
    "glome": {"seed": 42},
}


def test_results_json_keeps_maelstroms_key_names(tmp_path):
    write_results(tmp_path, RESULTS)
    loaded = json.loads((tmp_path / "results.json").read_text())
    assert loaded == RESULTS == results.load_results(tmp_path)
    assert loaded["workload"]["stable-latencies"]["0.95"] == 40
    assert loaded["net"]["servers"]["msgs-per-op"] == 2.0210526


def test_results_edn_is_real_edn_laid_out_like_jepsen(tmp_path):
    write_results(tmp_path, RESULTS)
    text = (tmp_path / "results.edn").read_text()
    assert text == (
        "{:stats {:valid? true, :count 2},\n"
        " :net {:servers {:msg-count 384, :msgs-per-op 2.0210526},\n"
        "       :valid? true},\n"
        " :workload {:valid? true,\n"
        "            :lost (),\n"
        "            :stable-latencies {0 0, 0.5 12, 0.95 40, 0.99 41, 1 45}},\n"
        ' :availability {:valid? :unknown, :error "boom"},\n'
        " :valid? :unknown,\n"
        " :glome {:seed 42}}\n"
    )


# -------------------------------------------------------------------- edn


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nil"),
        (True, "true"),
        (-3, "-3"),
        (0.5, "0.5"),
        (1.0, "1.0"),
        (1e20, "1.0E20"),
        (12345678.0, "1.2345678E7"),
        (0.0001, "1.0E-4"),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        (edn.Keyword("valid?"), ":valid?"),
        ([1, "a"], '[1 "a"]'),
        (edn.Seq([1, 2]), "(1 2)"),
        ({"a": 1, "not a keyword": 2, 3: 4}, '{:a 1, "not a keyword" 2, 3 4}'),
    ],
)
def test_edn_values(value, text):
    assert edn.dumps(value) == text


def test_edn_sets_and_print_mode():
    assert edn.dumps(frozenset([1])) == "#{1}"
    assert edn.dumps(["a", edn.Keyword("b")], readably=False) == "[a :b]"


def test_edn_pretty_breaks_a_long_sequence_at_every_element():
    """As Maelstrom's docs show a txn op: one element a line once the whole does not fit."""
    read, append = [edn.Keyword("r"), 9, list(range(1, 8))], [edn.Keyword("append"), 9, 6]
    text = edn.pretty({"an-op-too-long-for-one-line": {"value": [read, append] * 3}})
    assert text.splitlines()[:3] == [
        "{:an-op-too-long-for-one-line {:value [[:r 9 [1 2 3 4 5 6 7]]",
        "                                       [:append 9 6]",
        "                                       [:r 9 [1 2 3 4 5 6 7]]",
    ]
    assert edn.pretty({"k": [list(range(30))]}).splitlines()[:2] == ["{:k [[0", "      1"]


def test_float32_prints_the_shortest_round_trip():
    assert edn.float32(384 / 190) == 2.0210526
    assert edn.float32(2 / 3) == 0.6666667
    assert edn.single(2 / 3) < 0.6666667


ECHO_RESULTS = {
    "perf": {"latency-graph": {"valid?": True}, "rate-graph": {"valid?": True}, "valid?": True},
    "timeline": {"valid?": True},
    "exceptions": {"valid?": True},
    "stats": {
        "valid?": True,
        "count": 12,
        "ok-count": 12,
        "fail-count": 0,
        "info-count": 0,
        "by-f": {
            "echo": {"valid?": True, "count": 12, "ok-count": 12, "fail-count": 0, "info-count": 0}
        },
    },
    "net": {
        "stats": {
            "all": {"send-count": 26, "recv-count": 26, "msg-count": 26},
            "clients": {"send-count": 26, "recv-count": 26, "msg-count": 26},
            "servers": {"send-count": 0, "recv-count": 0, "msg-count": 0},
        },
        "valid?": True,
    },
    "workload": {"valid?": True, "errors": edn.Seq()},
    "valid?": True,
}

# The echo results printed in Maelstrom's guide (doc/02-echo), from an older
# version that nested the net counts under :stats; what matters is the layout.
ECHO_RESULTS_AS_MAELSTROM_PRINTS_THEM = """\
{:perf {:latency-graph {:valid? true},
        :rate-graph {:valid? true},
        :valid? true},
 :timeline {:valid? true},
 :exceptions {:valid? true},
 :stats {:valid? true,
         :count 12,
         :ok-count 12,
         :fail-count 0,
         :info-count 0,
         :by-f {:echo {:valid? true,
                       :count 12,
                       :ok-count 12,
                       :fail-count 0,
                       :info-count 0}}},
 :net {:stats {:all {:send-count 26, :recv-count 26, :msg-count 26},
               :clients {:send-count 26,
                         :recv-count 26,
                         :msg-count 26},
               :servers {:send-count 0, :recv-count 0, :msg-count 0}},
       :valid? true},
 :workload {:valid? true, :errors ()},
 :valid? true}

\n\
Everything looks good! ヽ(‘ー`)ノ"""


def test_maps_keyed_by_test_values_keep_string_keys():
    unique_ids = {"workload": {"valid?": False, "duplicated": {"n1-3": 2, 7: 2}}}
    assert edn.pretty(edn_results(unique_ids)) == (
        '{:workload {:valid? false, :duplicated {"n1-3" 2, 7 2}}}'
    )


def test_console_layout_matches_maelstroms_published_output():
    assert format_results(ECHO_RESULTS) == ECHO_RESULTS_AS_MAELSTROM_PRINTS_THEM


@pytest.mark.parametrize(
    ("latencies", "printed"),
    [
        ([0, 86, 170, 193, 224], ":stable-latencies {0 0, 0.5 86, 0.95 170, 0.99 193, 1 224},"),
        ([0, 452, 656, 748, 791], ":stable-latencies {0 0,"),
    ],
)
def test_latency_maps_break_where_maelstroms_do(latencies, printed):
    """doc/03-broadcast/02-performance: the second map no longer fits in 72 columns."""
    quantiles = dict(zip(["0", "0.5", "0.95", "0.99", "1"], latencies, strict=True))
    workload = {"valid?": True, "stable-latencies": quantiles, "attempt-count": 1}
    lines = edn.pretty(edn_results({"workload": workload})).splitlines()
    assert lines[1] == " " * 12 + printed
