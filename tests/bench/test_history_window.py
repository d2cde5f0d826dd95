"""The history is written while the loop still routes the nodes' messages, as Jepsen
writes it before its DB teardown (docs/protocol.md, "After the run")."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from glome.bench import runner
from glome.bench.options import TestOptions

WAIT_S = 10.0  # how long the stand-in writer waits for the loop before giving up


def test_the_loop_keeps_running_while_the_history_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = runner.Run(TestOptions(bin="x", workload="echo"), io.StringIO(), tmp_path)
    run.store = tmp_path
    loop_ran = threading.Event()
    written: list[list[Any]] = []

    def write_history(store: Path, ops: list[Any]) -> None:
        # returns only once the loop has fired a timer meanwhile: were the loop
        # blocked while the history is written, it would wait out WAIT_S and fail
        assert loop_ran.wait(WAIT_S), "the loop did not run while the history was written"
        written.append(ops)

    monkeypatch.setattr(runner.store_results, "write_history", write_history)
    run.loop.call_at(run.loop.now() + 1_000_000, loop_ran.set)
    run._write_history_while_nodes_run([{"type": "invoke"}])
    assert written == [[{"type": "invoke"}]]


def test_a_failure_to_write_the_history_reaches_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = runner.Run(TestOptions(bin="x", workload="echo"), io.StringIO(), tmp_path)
    run.store = tmp_path

    def write_history(store: Path, ops: list[Any]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner.store_results, "write_history", write_history)
    with pytest.raises(OSError, match="No space left"):
        run._write_history_while_nodes_run([])
