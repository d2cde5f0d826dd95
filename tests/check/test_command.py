"""``glome check`` end to end, as a command: output lines, exit codes, the
one-line errors for bad input, and the files ``--directory`` writes."""

from __future__ import annotations

import json
from pathlib import Path

from check.helpers import check, verdicts, write
from check.histories import call, history, op
from check.test_models import CAS_REGISTER, LIST_APPEND, MUTEX, SET
from glome.bench import edn
from support.glome_command import run_glome

VALID = CAS_REGISTER["written-then-read"][0]
INVALID = CAS_REGISTER["stale-read"][0]


def test_all_valid_exits_0_with_one_line_per_file(tmp_path: Path) -> None:
    write(tmp_path, "a.edn", VALID)
    write(tmp_path, "b.edn", VALID)
    done = check(tmp_path, "--model", "cas-register", "a.edn", "b.edn")
    assert done.returncode == 0
    assert done.stdout == "a.edn\ttrue\nb.edn\ttrue\n"
    assert done.stderr == ""


def test_any_invalid_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "good.edn", VALID)
    write(tmp_path, "bad.edn", INVALID)
    write(tmp_path, "unread.edn", SET["never-read"][0])
    done = check(tmp_path, "-m", "cas-register", "good.edn", "bad.edn")
    assert (done.returncode, done.stdout) == (1, "good.edn\ttrue\nbad.edn\tfalse\n")
    write(tmp_path, "lost.edn", SET["lost"][0])
    mixed = check(tmp_path, "-m", "set", "unread.edn", "lost.edn")
    assert (mixed.returncode, verdicts(mixed)) == (
        1,
        {"unread.edn": "unknown", "lost.edn": "false"},
    )


def test_unknown_and_none_invalid_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "unread.edn", SET["never-read"][0])
    write(tmp_path, "fine.edn", SET["all-there"][0])
    done = check(tmp_path, "-m", "set", "fine.edn", "unread.edn")
    assert (done.returncode, verdicts(done)) == (2, {"fine.edn": "true", "unread.edn": "unknown"})


def test_json_histories(tmp_path: Path) -> None:
    ops = [
        {"type": "invoke", "f": "write", "value": 1, "process": 0},
        {"type": "ok", "f": "write", "value": 1, "process": 0},
        {"type": "invoke", "f": "read", "value": None, "process": 1},
        {"type": "ok", "f": "read", "value": 2, "process": 1},
    ]
    write(tmp_path, "array.json", json.dumps(ops))
    write(tmp_path, "lines.jsonl", "\n".join(json.dumps(o) for o in ops[:2]))
    done = check(tmp_path, "-m", "cas-register", "array.json", "lines.jsonl")
    assert verdicts(done) == {"array.json": "false", "lines.jsonl": "true"}


def test_bad_input_exits_254_with_one_line_and_checks_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "good.edn", VALID)
    write(tmp_path, "broken.edn", "[{:type :invoke, :f :read")
    write(tmp_path, "typeless.edn", history(op(0, "invoke", "read"), "{:process 0, :f :read}"))
    done = check(
        tmp_path, "-m", "cas-register", "missing.edn", "broken.edn", "typeless.edn", "good.edn"
    )
    assert done.returncode == 254
    assert done.stdout == "good.edn\ttrue\n"
    assert done.stderr.splitlines() == [
        "glome check: missing.edn: no such file",
        "glome check: broken.edn: not EDN: the file ends inside a collection or string "
        "(a bracket left open?)",
        "glome check: typeless.edn: op 1 has no :type: {:process 0, :f :read}",
    ]


def test_usage_errors_exit_254_in_one_line(tmp_path: Path) -> None:
    write(tmp_path, "h.edn", VALID)
    cases = {
        ("--model", "queue", "h.edn"): "unknown model 'queue'; known models: cas-register, ",
        ("h.edn",): "the following arguments are required: -m/--model",
        ("-m", "cas-register"): "the following arguments are required: FILE",
        ("-m", "cas-register", "-g", "2", "h.edn"): "--group-size does not apply to cas-register",
        ("-m", "long-fork", "h.edn"): "long-fork needs --group-size N",
        ("-m", "list-append", "-c", "snapshot", "h.edn"): "unknown consistency model snapshot",
        ("-m", "list-append", "-a", "G9", "h.edn"): "unknown anomaly G9",
        ("-m", "multi-register", "--initial-value", "3", "h.edn"): "--initial-value for multi",
        ("-m", "cas-register", "--initial-value", "[1", "h.edn"): "not an EDN value",
        ("-m", "list-append", "-s", "soon", "h.edn"): "invalid float value: 'soon'",
    }
    for arguments, message in cases.items():
        done = check(tmp_path, *arguments)
        assert done.returncode == 254, arguments
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith("glome check: ") and message in done.stderr, done.stderr


def test_help_lists_every_model(tmp_path: Path) -> None:
    done = check(tmp_path, "--help")
    assert done.returncode == 0
    for model in ("cas-register", "multi-register", "long-fork", "txn-list-append", "kafka"):
        assert f"\n  {model} " in done.stdout
    assert "check" in run_glome(tmp_path, "--help").stdout


def test_directory_holds_each_files_whole_result(tmp_path: Path) -> None:
    write(tmp_path, "stale.edn", INVALID)
    (tmp_path / "other").mkdir()
    write(tmp_path / "other", "stale.edn", VALID)
    done = check(tmp_path, "-m", "cas-register", "-d", "out", "stale.edn", "other/stale.edn")
    assert done.returncode == 1
    first, second = tmp_path / "out" / "stale.edn", tmp_path / "out" / "stale.edn.2"
    result = json.loads((first / "results.json").read_text())
    assert result["valid?"] is False
    assert result["op"] == {
        "process": 1,
        "type": "ok",
        "f": "read",
        "value": 1,
        "index": 5,
        "time": -1,
    }
    assert result["final-paths"] and result["configs"]
    text = (first / "results.edn").read_text()
    assert text.startswith("{:valid? false,") and ":type :ok" in text
    assert edn.loads(text)["previous-ok"]["value"] == 2
    assert (first / "linear.svg").read_text().startswith("<svg")
    assert json.loads((second / "results.json").read_text())["valid?"] is True


def test_directory_holds_elle_cycles(tmp_path: Path) -> None:
    write(tmp_path, "g1c.edn", LIST_APPEND["G1c"][0])
    done = check(tmp_path, "-m", "list-append", "--directory", "out", "g1c.edn")
    assert done.returncode == 1
    result = json.loads((tmp_path / "out" / "g1c.edn" / "results.json").read_text())
    assert result["anomaly-types"] == ["G1c"]
    (case,) = result["anomalies"]["G1c"]
    assert [step["type"] for step in case["steps"]] == ["wr", "wr"]
    assert "G1c" in case["explanation"]
    assert (tmp_path / "out" / "g1c.edn" / "elle" / "G1c.txt").exists()


def test_mutex_explanation_speaks_of_the_lock(tmp_path: Path) -> None:
    write(tmp_path, "twice.edn", MUTEX["held-twice"][0])
    check(tmp_path, "-m", "mutex", "-d", "out", "twice.edn")
    result = json.loads((tmp_path / "out" / "twice.edn" / "results.json").read_text())
    assert result["op"]["f"] == "acquire" and result["op"]["value"] is None
    (path,) = result["final-paths"]
    assert path[-1]["model"] == {"inconsistent": "already held"}
    assert path[0]["model"] == {"locked?": True}
    assert "cas" not in json.dumps(result)


def test_a_value_nothing_wrote_is_explained(tmp_path: Path) -> None:
    write(tmp_path, "garbage.edn", history(call(0, "write", 1), call(1, "read", result=7)))
    check(tmp_path, "-m", "cas-register", "-d", "out", "garbage.edn")
    result = json.loads((tmp_path / "out" / "garbage.edn" / "results.json").read_text())
    assert result["valid?"] is False
    assert result["op"]["value"] == 7
