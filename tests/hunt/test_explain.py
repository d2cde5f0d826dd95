"""Explained failures: ``glome test`` (and ``glome analyze``, ``glome challenge``) show the
evidence behind an invalid verdict, from the results, the history and the network journal.

The planted-bug broadcast node forgets an acknowledged value on a few seeds; its run is
made once and read by several tests. Other workloads' invalid runs come from the suite's
broken fixture nodes; unique-ids and echo, which no fixture breaks, from stores written here.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest

from glome.bench import explain
from glome.bench import results as store_results
from glome.bench.options import parse_test_args
from glome.bench.workloads import echo, unique_ids
from support.fixture_nodes import fixture_node
from support.glome_command import run_glome
from support.planted_bug import BUG_NODE, EARLY_SEED, FLAGS, PASSING_SEED

HEADER = "Why the run is invalid"
VERDICT = "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"
SVG = "{http://www.w3.org/2000/svg}"


def seconds(ns: int) -> str:
    return f"{ns / 1e9:.3f} s"


def explanation_of(stdout: str) -> str:
    """The explanation glome printed: after the results, before the verdict (still last)."""
    assert stdout.rstrip().endswith(VERDICT), stdout[-2000:]
    return stdout[stdout.index(HEADER) : stdout.rindex(VERDICT)].strip()


def journal(store: Path) -> list[list[Any]]:
    return [orjson.loads(line) for line in (store / "net-journal.jsonl").read_bytes().splitlines()]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The planted bug's run on its earliest failing seed: what it printed, and its store."""
    cwd = tmp_path_factory.mktemp("planted")
    run = run_glome(cwd, "test", "--bin", BUG_NODE, *FLAGS, "--sim", "--seed", str(EARLY_SEED))
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, (cwd / "store" / "latest").resolve()


def test_a_lost_broadcast_is_explained_by_its_add_the_reads_and_its_messages(planted):
    stdout, store = planted
    text = explanation_of(stdout)
    (value,) = store_results.load_results(store)["workload"]["lost"]
    history = store_results.load_history(store)
    invoke, ok = (op for op in history if op["f"] == "broadcast" and op["value"] == value)
    node = f"n{invoke['process'] % 5}"  # one worker per node: process p works n(p mod 5)
    assert f"workload lost: 1 value: {value}" in text
    assert (
        f"broadcast {value} by process {invoke['process']} on {node}: "
        f"invoked {seconds(invoke['time'])}, ok {seconds(ok['time'])}"
    ) in text
    assert "returned by 0 of" in text and "missing from all 5 final reads:" in text
    # the journal's messages of that add: the client's request and the node's reply
    sends = [entry for entry in journal(store) if entry[1] == "send"]
    (request,) = [m for m in sends if m[3]["body"].get("message") == value]
    (reply,) = [
        m
        for m in sends
        if m[3]["dest"] == request[3]["src"]
        and m[3]["body"].get("in_reply_to") == request[3]["body"]["msg_id"]
    ]
    client = request[3]["src"]
    assert f"#{request[2]} {seconds(request[0])} {client} → {node} broadcast" in text
    assert f"#{reply[2]} {seconds(reply[0])} {node} → {client} broadcast_ok" in text
    assert f"no message between nodes carried {value}" in text
    assert (store / "explanation.txt").read_text().strip() == text
    assert len(text.splitlines()) <= explain.LINES


def test_explanation_json_holds_the_same_evidence(planted):
    _, store = planted
    data = json.loads((store / "explanation.json").read_text())
    assert data["error"] is None and data["evidence"] == "evidence.svg"
    (lost,) = data["anomalies"]
    assert (lost["checker"], lost["anomaly"], lost["count"]) == ("workload", "lost", 1)
    (finding,) = lost["findings"]
    (op,) = finding["ops"]
    assert [m["body"]["type"] for m in op["messages"]] == ["broadcast", "broadcast_ok"]
    (value,) = finding["values"]
    assert [m["id"] for m in value["carriers"]] == [op["messages"][0]["id"]]


def test_evidence_svg_highlights_the_messages_that_carried_the_value(planted):
    _, store = planted
    (value,) = store_results.load_results(store)["workload"]["lost"]
    svg = ET.parse(store / "evidence.svg").getroot()
    highlighted = [
        group.find(f"{SVG}rect/{SVG}title").text
        for group in svg.iter(f"{SVG}g")
        if group.get("class") == "highlighted"
    ]
    assert len(highlighted) == 2
    assert f":message {value}" in highlighted[0] and "broadcast_ok" in highlighted[1]
    skipped = [group for group in svg.iter(f"{SVG}g") if group.get("class") == "skip"]
    assert skipped  # the run before the add and between the window and the final reads


def test_glome_analyze_explains_as_glome_test_does(planted, tmp_path):
    stdout, store = planted
    again = run_glome(tmp_path, "analyze", str(store))
    assert again.returncode == 1, again.stderr[-2000:]
    # the same evidence; only the header and the diagram's line name the store's path
    assert (
        explanation_of(again.stdout).splitlines()[1:-1] == explanation_of(stdout).splitlines()[1:-1]
    )


def test_an_error_while_explaining_leaves_the_verdict_and_exit_code_alone(planted, tmp_path):
    _, store = planted
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    journal_file = copy / "net-journal.jsonl"
    journal_file.write_bytes(b"not a journal line\n" + journal_file.read_bytes())
    again = run_glome(tmp_path, "analyze", str(copy))
    assert again.returncode == 1
    assert again.stdout.rstrip().endswith(VERDICT)
    assert "\ncould not explain: ValueError" in again.stdout
    assert (copy / "explanation.txt").read_text().startswith("could not explain: ")


def test_a_journal_too_large_to_search_leaves_the_ops_and_says_why(planted, tmp_path, monkeypatch):
    """A flooding node writes gigabytes of journal; the explanation then shows the ops
    and the reads without reading it, and says so (instead of taking minutes)."""
    _, store = planted
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    monkeypatch.setattr(explain, "JOURNAL_SEARCH_LIMIT", 1024)
    text = explain.explain(copy).text
    assert "missing from all 5 final reads:" in text and "client messages" not in text
    assert "(no messages shown: net-journal.jsonl holds" in text
    assert not (copy / explain.EVIDENCE_SVG).exists()


def test_the_challenge_report_shows_an_invalid_runs_explanation(planted, tmp_path):
    _, store = planted
    (value,) = store_results.load_results(store)["workload"]["lost"]
    seed = str(EARLY_SEED)
    run = run_glome(tmp_path, "challenge", "3c", "--bin", BUG_NODE, "--sim", "--seed", seed)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    page = (tmp_path / "store" / "report.html").read_text()
    section = page[page.index('<details class="explanation" open>') :]
    assert f"workload lost: 1 value: {value}" in section[: section.index("</details>")]
    folder = (tmp_path / "store" / "broadcast" / "latest").resolve().name.replace("+", "%2B")
    assert f'href="broadcast/{folder}/evidence.svg"' in section


def test_a_valid_run_prints_and_stores_no_explanation(tmp_path):
    seed = str(PASSING_SEED)
    flags = (*FLAGS, "--time-limit", "5", "--sim", "--seed", seed)
    run = run_glome(tmp_path, "test", "--bin", BUG_NODE, *flags)
    assert run.returncode == 0, run.stdout[-2000:]
    assert HEADER not in run.stdout and "could not explain" not in run.stdout
    store = tmp_path / "store" / "latest"
    assert not any((store / name).exists() for name in explain.OUTPUTS)


MEMORY_NODE = fixture_node("memory_workloads.py")
#: broken fixture nodes' runs (3 s, --sim, seed 1): their flags, and what the explanation says
OTHER_RUNS = {
    "txn": (
        (
            *("-w", "txn-rw-register", "--bin", fixture_node("txn_no_isolation.py")),
            *("--node-count", "1", "--concurrency", "2n", "--rate", "300"),
            *("--consistency-models", "serializable"),
        ),
        ("workload G1b: ", "txn [[", "by process", "on n0: invoked", "→ n0 txn {"),
    ),
    "lin-kv": (
        (
            *("-w", "lin-kv", "--bin", fixture_node("lin_kv_proxy.py"), "--node-count", "2"),
            *("--concurrency", "2n", "--rate", "60", "--", "--stale-reads"),
        ),
        (
            *("workload nonlinearizable: 1 key: 0", "no linearization accepts this read"),
            *("a final path: ", "can't read", '→ n0 read {"key":0'),
        ),
    ),
    "g-set": (
        ("-w", "g-set", "--bin", MEMORY_NODE, "--node-count", "2", "--rate", "20", "--", "g-set"),
        (
            *("workload lost: ", "acknowledged, then missing from later reads"),
            *('→ n0 add {"element"', "missing from 1 of 2 final reads"),
        ),
    ),
    "pn-counter": (
        (
            *("-w", "pn-counter", "--bin", MEMORY_NODE, "--node-count", "2", "--rate", "20"),
            *("--", "pn-counter"),
        ),
        ("workload wrong-final-read: final reads", "acceptable: ", 'read_ok {"value":'),
    ),
}


@pytest.mark.parametrize("name", OTHER_RUNS)
def test_other_workloads_invalid_runs_are_explained(tmp_path, name):
    flags, expected = OTHER_RUNS[name]
    run = run_glome(tmp_path, "test", "--time-limit", "3", "--sim", "--seed", "1", *flags)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    text = explanation_of(run.stdout)
    assert "could not explain" not in text
    for words in expected:
        assert words in text, text
    assert (tmp_path / "store" / "latest" / "evidence.svg").is_file()


# ---------------------------------------------------- stores written by hand


def write_store(store: Path, workload: str, history: list[dict], results: dict) -> None:
    """A one-node store, as glome test leaves it, with a journal of every op's RPC."""
    store.mkdir()
    options = parse_test_args(["-w", workload, "--bin", "node", "--node-count", "1", "--sim"])
    store_results.write_test(store, {"options": options.to_dict()})
    store_results.write_history(store, history)
    store_results.write_results(store, {"workload": results, "valid?": results["valid?"]})
    init = {"type": "init", "node_id": "n0", "node_ids": ["n0"], "msg_id": 1}
    lines = [[0, "send", 0, {"src": "c0", "dest": "n0", "body": init}], [0, "recv", 0]]
    lines += [[0, "send", 1, {"src": "n0", "dest": "c0", "body": {"type": "init_ok"}}]]
    lines += [[0, "recv", 1]]
    for invocation, completion in zip(history[::2], history[1::2], strict=True):
        ids = len(lines) // 2, len(lines) // 2 + 1
        client = f"c{1 + invocation['process']}"
        request = {"type": invocation["f"], "msg_id": invocation["index"]}
        reply = {"type": f"{invocation['f']}_ok", "in_reply_to": invocation["index"]}
        lines += [
            [invocation["time"], "send", ids[0], {"src": client, "dest": "n0", "body": request}]
        ]
        lines += [[invocation["time"], "recv", ids[0]]]
        lines += [
            [completion["time"], "send", ids[1], {"src": "n0", "dest": client, "body": reply}]
        ]
        lines += [[completion["time"], "recv", ids[1]]]
    (store / "net-journal.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))


def op_pair(index: int, process: int, f: str, sent: Any, got: Any) -> list[dict]:
    """An op's invocation (at ``index`` µs) and its ok completion half a µs later."""
    invocation = {"index": index, "time": index * 1000, "type": "invoke", "process": process}
    completion = {**invocation, "index": index + 1, "time": index * 1000 + 500, "type": "ok"}
    return [{**invocation, "f": f, "value": sent}, {**completion, "f": f, "value": got}]


def test_a_duplicated_unique_id_is_explained_by_the_ops_that_got_it(tmp_path):
    history = op_pair(0, 0, "generate", None, 5) + op_pair(2, 1, "generate", None, 5)
    write_store(tmp_path / "s", "unique-ids", history, unique_ids.check(history))
    text = explain.explain(tmp_path / "s").text
    assert "workload duplicated: 1 id: 5" in text and "id 5 was returned 2 times" in text
    assert "generate 5 by process 0 on n0" in text and "generate 5 by process 1 on n0" in text
    assert "#2 0.000 s c1 → n0 generate" in text and "#5 0.000 s n0 → c2 generate_ok" in text


def test_an_echo_that_does_not_echo_is_explained_by_its_op(tmp_path):
    reply = {"type": "echo_ok", "echo": "Please echo 2"}
    history = op_pair(0, 0, "echo", "Please echo 1", reply)
    write_store(tmp_path / "s", "echo", history, echo.check(history))
    text = explain.explain(tmp_path / "s").text
    assert "workload mismatch: 1 reply" in text
    assert 'sent "Please echo 1", got back {"type":"echo_ok","echo":"Please echo 2"}' in text
    assert "#2 0.000 s c1 → n0 echo" in text
