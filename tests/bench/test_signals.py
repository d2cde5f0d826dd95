"""Ctrl-C (SIGINT) and SIGTERM during ``glome test``: every node is killed, the history
so far and partial results marked as interrupted are stored, and the exit code is
128 + the signal (130, 143), as for the JVM that runs Maelstrom."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time

import pytest

from glome.bench import cli, options, runner

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def interrupt(bench, signum: int, *, after_s: float, pids: int = 2, repeat_s: float = 0) -> int:
    """Wait for ``pids`` node pids, then ``after_s``; send ``signum`` (again every
    2 ms for ``repeat_s``) and return glome's exit code."""
    proc = bench.process
    bench.wait_for_pids(pids)
    time.sleep(after_s)
    proc.send_signal(signum)
    deadline = time.monotonic() + repeat_s
    while time.monotonic() < deadline and proc.poll() is None:
        proc.send_signal(signum)
        time.sleep(0.002)
    return proc.wait(timeout=20)


def assert_partial_store(bench, signal_name: str) -> dict:
    """The history so far in all three forms, and results that only say "interrupted"."""
    store = bench.store()
    results = json.loads((store / "results.json").read_text())
    assert set(results) == {"valid?", "glome"}  # nothing Maelstrom lacks outside glome
    assert results["valid?"] == "unknown"
    glome = results["glome"]
    assert glome["interrupted"] == signal_name
    assert ":valid? :unknown" in (store / "results.edn").read_text()
    ops = (store / "history.jsonl").read_text().splitlines()
    assert len(ops) == glome["history-ops"]
    assert len((store / "history.txt").read_text().splitlines()) == len(ops)
    assert len((store / "history.edn").read_text().splitlines()) == len(ops)
    test = json.loads((store / "test.json").read_text())
    assert test["glome"]["interrupted"] == signal_name
    stderr = bench.output("stderr")
    assert f"Interrupted by {signal_name}: every node process has been killed." in stderr
    assert f"are in store/echo/{store.name}" in stderr
    return glome


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_keeps_the_history_and_kills_the_nodes(bench, signum):
    """Mid-run, the signal stops the run where it is; analysis would judge a cut-off
    history (e.g. echoes in flight as unanswered), so there is no verdict: valid?
    is unknown and glome.interrupted names the signal. ``glome analyze`` refuses
    the partial store, saying it was interrupted."""
    bench.start("--node-count", "2", "--time-limit", "30", "--rate", "20")
    assert interrupt(bench, signum, after_s=1.5) == EXIT_CODES[signum]
    glome = assert_partial_store(bench, signum.name)
    assert glome["history-ops"] > 5  # the ops of the run so far
    bench.assert_no_node_left()
    analyze = subprocess.run(
        [sys.executable, "-m", "glome", "analyze"], cwd=bench.cwd, capture_output=True, text=True
    )
    assert analyze.returncode == 254
    assert f"holds a test interrupted by {signum.name}: its history is partial" in analyze.stderr


def test_sigterm_kills_nodes_that_ignore_it_and_their_children(bench):
    """Nodes are killed with SIGKILL, to their whole process group: a node that
    ignores SIGTERM, hangs, and has started a child of its own, goes all the same."""
    bench.start(
        "--node-count", "2", "--time-limit", "30", "--rate", "20", node_args=("--hang-after", "3")
    )
    assert interrupt(bench, signal.SIGTERM, after_s=0.2, pids=4) == 143
    assert_partial_store(bench, "SIGTERM")
    assert len(bench.node_pids()) == 4
    bench.assert_no_node_left()


def test_ctrl_c_again_and_again_during_the_cleanup_leaves_no_node(bench):
    """A second (and third...) Ctrl-C while glome kills five nodes and writes the
    store is ignored: the cleanup it would cut short is what kills the nodes."""
    bench.start("--node-count", "5", "--time-limit", "30", "--rate", "20")
    assert interrupt(bench, signal.SIGINT, after_s=1.0, pids=5, repeat_s=2) == 130
    assert_partial_store(bench, "SIGINT")
    bench.assert_no_node_left()


def test_ctrl_c_during_init_kills_the_silent_nodes(bench):
    """Interrupted while waiting for init_ok: no op has run, the history is empty,
    and the nodes that never answered are killed."""
    bench.start("--node-count", "2", "--time-limit", "30", node_args=("--no-init",))
    assert interrupt(bench, signal.SIGINT, after_s=0.5) == 130
    assert assert_partial_store(bench, "SIGINT")["history-ops"] == 0
    bench.assert_no_node_left()


def test_an_interrupted_analysis_can_be_redone(bench, monkeypatch):
    """A signal while the checkers run (simulated in-process: the checker raises what
    the signal handler would) finds the run over and the history complete: the
    results say interrupted, but test.json stays a finished test's, so ``glome
    analyze`` gives the verdict afterwards."""

    def interrupted_checker(workload, options):
        def check(history, ctx):
            raise runner.Interrupted(signal.SIGINT)

        return check

    monkeypatch.chdir(bench.cwd)
    monkeypatch.setattr(runner, "checker_for", interrupted_checker)
    argv = ["-w", "echo", "--bin", str(bench.node), "--node-count", "1", "--time-limit", "1"]
    chosen = options.parse_test_args([*argv, "--", "--pid-dir", str(bench.pid_dir)])
    outcome = runner.run(chosen, console=io.StringIO())
    assert outcome.exit_code == 130
    assert outcome.results == {"glome": outcome.glome, "valid?": "unknown"}
    bench.assert_no_node_left()
    monkeypatch.undo()
    monkeypatch.chdir(bench.cwd)
    assert cli.analyze_main([]) == 0
    assert json.loads((bench.store() / "results.json").read_text())["valid?"] is True
