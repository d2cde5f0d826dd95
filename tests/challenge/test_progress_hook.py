"""The status hook of glome test's progress line: a watcher gets the status, a log nothing."""

from __future__ import annotations

import io
from types import SimpleNamespace

from glome.bench import progress
from glome.bench.loop import Loop, monotonic_ns, sleep_until


class Watcher:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.finished_count = 0

    def update(self, line: str) -> None:
        self.lines.append(line)

    def finished(self) -> None:
        self.finished_count += 1


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def start(loop: Loop, console: io.StringIO) -> progress.Progress | None:
    options = SimpleNamespace(time_limit=5)
    history = SimpleNamespace(counts={"ok": 3, "fail": 1, "info": 0})
    net = SimpleNamespace(next_id=42)
    scheduler = SimpleNamespace(phase="main", nemeses=[])
    return progress.Progress.start(loop, console, options, history, net, scheduler)


def run_for(loop: Loop, seconds: float) -> None:
    loop.run_until(sleep_until(loop, monotonic_ns() + int(seconds * 1e9)))


def test_a_watcher_gets_the_status_instead_of_the_console_and_the_end_once() -> None:
    loop, console, watcher = Loop(), Terminal(), Watcher()
    with progress.watching(watcher):
        shown = start(loop, console)
    assert shown is not None
    run_for(loop, 0.6)
    shown.stop()
    shown.stop()  # the runner stops it again in its teardown
    loop.close()
    assert len(watcher.lines) >= 2
    assert "ok 3  fail 1  info 0  msgs 42  nemesis off" in watcher.lines[0]
    assert watcher.finished_count == 1
    assert console.getvalue() == ""
    after = Loop()
    assert start(after, io.StringIO()) is None  # outside the block: no watcher any more
    after.close()


def test_without_a_watcher_a_terminal_gets_the_line_and_a_log_nothing() -> None:
    loop = Loop()
    terminal = Terminal()
    shown = start(loop, terminal)
    assert shown is not None
    shown.stop()
    assert "ok 3  fail 1" in terminal.getvalue()
    assert start(loop, io.StringIO()) is None
    loop.close()
