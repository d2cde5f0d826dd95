"""``glome test`` / ``glome analyze`` end to end with small nodes: exit codes, store,
poisoned stdout, crashes, seeds, and cleanup on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from support.fixture_nodes import fixture_node
from support.glome_command import run_glome as glome

ECHO = fixture_node("echo_node.py")
FLOOD = fixture_node("flood_broadcast.py")


def echo_test(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``glome test -w echo`` on one echo node, with more options."""
    return glome(cwd, "test", "-w", "echo", "--bin", ECHO, "--node-count", "1", *args)


def results(cwd: Path) -> dict:
    return json.loads((cwd / "store" / "latest" / "results.json").read_text())


def test_no_plots_keeps_the_verdict_and_skips_the_drawings(tmp_path):
    """--no-plots (what sweeps use) writes history and results but no perf PNGs,
    timeline.html or messages.svg; the verdict is the same."""
    run = echo_test(tmp_path, "--time-limit", "1", "--seed", "42", "--no-plots")
    assert run.returncode == 0, run.stderr
    store = tmp_path / "store" / "latest"
    assert (store / "history.jsonl").exists() and results(tmp_path)["valid?"] is True
    drawn = ["latency-raw.png", "latency-quantiles.png", "timeline.html", "messages.svg"]
    assert [name for name in drawn if (store / name).exists()] == []


def test_echo_passes_and_stores_everything(tmp_path):
    run = echo_test(tmp_path, "--time-limit", "2", "--seed", "42")
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("Everything looks good! ヽ(‘ー`)ノ")
    store = tmp_path / "store" / "latest"
    for name in (
        "results.json",
        "results.edn",
        "history.jsonl",
        "history.txt",
        "test.json",
        "net-journal.jsonl",
        "node-logs/n0.log",
        "latency-raw.png",
        "latency-quantiles.png",  # rate.png needs a whole 10 s bucket, as in Jepsen
        "timeline.html",
        "messages.svg",
    ):
        assert (store / name).exists(), name
    assert (tmp_path / "store" / "echo" / "latest").exists()
    # nodes run in the temp directory, as Maelstrom's do; their stderr is logged
    log = (store / "node-logs" / "n0.log").read_text()
    assert f"cwd: {os.path.realpath(tempfile.gettempdir())}" in log
    data = results(tmp_path)
    assert data["valid?"] is True
    assert data["glome"]["seed"] == 42
    assert data["perf"] == {
        "latency-graph": {"valid?": True},
        "rate-graph": {"valid?": True},
        "valid?": True,
    }
    assert data["timeline"] == {"valid?": True}
    assert data["glome"]["scheduling"] in ("realtime", "ordinary")
    assert data["glome"]["analysis-s"] > 0
    assert set(data["glome"]["lateness"]) >= {"p50-ms", "p99-ms", "max-ms"}
    ops = data["stats"]["count"]
    assert 4 <= ops <= 30  # rate 5/s for 2 s
    # 2 messages per op, plus init and init_ok
    assert data["net"]["all"]["msg-count"] == 2 * ops + 2


def test_analyze_reruns_the_checkers(tmp_path):
    echo_test(tmp_path, "--time-limit", "1")
    before = results(tmp_path)
    (tmp_path / "store" / "latest" / "results.json").unlink()
    run = glome(tmp_path, "analyze")
    assert run.returncode == 0, run.stderr
    after = results(tmp_path)
    assert after["stats"] == before["stats"] and after["net"] == before["net"]


def test_bad_options_exit_254(tmp_path):
    assert glome(tmp_path, "test", "-w", "echo").returncode == 254  # no --bin
    assert glome(tmp_path, "test", "--bin", ECHO, "--rate", "-1").returncode == 254
    assert glome(tmp_path, "test", "--bin", ECHO, "--bogus").returncode == 254


def test_missing_binary_aborts_with_255(tmp_path):
    run = glome(
        tmp_path, "test", "-w", "echo", "--bin", str(tmp_path / "nope"), "--time-limit", "1"
    )
    assert run.returncode == 255
    assert "no such file" in run.stderr


def test_a_malformed_line_stops_reading_the_node(tmp_path):
    run = echo_test(tmp_path, "--time-limit", "2", "--rate", "10", "--", "--bad-line-after", "2")
    assert "stops reading n0's STDOUT" in run.stdout
    assert "not well-formed JSON" in run.stdout
    data = results(tmp_path)
    assert data["glome"]["poisoned-nodes"][0]["node"] == "n0"
    # every later echo goes unanswered: timeouts are echo errors
    assert data["valid?"] is False and run.returncode == 1
    assert data["stats"]["info-count"] >= 1


def test_a_message_to_an_unknown_client_stops_reading_the_node(tmp_path):
    run = echo_test(tmp_path, "--time-limit", "2", "--rate", "10", "--", "--ghost-after", "2")
    assert "Invalid source/dest" in run.stdout and "c999" in run.stdout
    assert results(tmp_path)["glome"]["poisoned-nodes"][0]["node"] == "n0"
    assert run.returncode == 1


def test_a_node_that_exits_early_aborts_with_a_crash_report(tmp_path):
    run = echo_test(tmp_path, "--time-limit", "5", "--rate", "10", "--", "--exit-after", "3")
    assert run.returncode == 255
    assert "Node n0 crashed with exit status 3" in run.stderr
    assert "exiting on purpose" in run.stderr
    assert not (tmp_path / "store" / "latest" / "results.json").exists()


def test_a_malformed_topology_reply_aborts_with_255(tmp_path):
    args = ["-w", "broadcast", "--bin", FLOOD, "--node-count", "2", "--time-limit", "5"]
    run = glome(tmp_path, "test", *args, "--", "--malformed-topology-ok")
    assert run.returncode == 255
    assert "Client setup failed" in run.stderr and "Malformed RPC response" in run.stderr


def test_the_seed_makes_the_op_stream_reproducible(tmp_path):
    values = []
    for attempt in range(2):
        cwd = tmp_path / str(attempt)
        cwd.mkdir()
        echo_test(cwd, "--time-limit", "2", "--seed", "7")
        lines = (cwd / "store" / "latest" / "history.jsonl").read_text().splitlines()
        values.append([json.loads(line)["value"] for line in lines if '"invoke"' in line][:5])
    assert values[0] == values[1] and len(values[0]) == 5


def test_sigterm_kills_every_node(tmp_path):
    marker = f"marker-{uuid.uuid4()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glome",
            "test",
            "-w",
            "broadcast",
            "--bin",
            FLOOD,
            "--node-count",
            "3",
            "--time-limit",
            "30",
            marker,
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _running(marker, proc.pid):
        time.sleep(0.1)
    assert _running(marker, proc.pid), "nodes never started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 143
    # the bench reaps its nodes before it exits: none may be left, however long we look
    assert not _running(marker, proc.pid)


def _running(marker: str, bench_pid: int) -> bool:
    """Whether a node process of this test runs (the bench's own command line, which
    names the node and the marker too, does not count)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == bench_pid:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and b"flood_broadcast" in cmdline:
            return True
    return False


@pytest.mark.parametrize("workload", ["g-set", "g-counter", "pn-counter", "unique-ids"])
def test_workloads_run_end_to_end(tmp_path, workload):
    node = fixture_node("workload_node.py")
    extra = ["--", "--set"] if workload == "g-set" else []
    args = ["-w", workload, "--bin", str(node), "--node-count", "2", "--time-limit", "2"]
    run = glome(tmp_path, "test", *args, "--rate", "20", *extra)
    data = results(tmp_path)
    assert data["workload"]["valid?"] is True, data["workload"]
    assert run.returncode == 0, run.stdout[-2000:]
