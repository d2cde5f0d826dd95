"""The live status line of ``glome test`` on a terminal (nothing when piped).

Elapsed over the time limit, ops ok/fail/info, messages routed and the faults
in force, redrawn four times a second on one line. A caller that draws its
own display (``glome challenge``) installs a ``StatusWatcher`` with
``watching``: the status then goes to the watcher instead of the console,
whether or not the console is a terminal, and the watcher also learns the
moment the workload's phases ended (where analysis begins).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from glome.bench.loop import Loop

if TYPE_CHECKING:
    from glome.bench.options import TestOptions

REDRAW_NS = 250_000_000


class StatusWatcher(Protocol):
    def update(self, line: str) -> None:
        """The current status line of the running test."""

    def finished(self) -> None:
        """The workload's phases are over; teardown and analysis follow."""


_watcher: StatusWatcher | None = None


@contextmanager
def watching(watcher: StatusWatcher) -> Iterator[None]:
    """Send the status of every run started inside the block to ``watcher``."""
    global _watcher
    previous, _watcher = _watcher, watcher
    try:
        yield
    finally:
        _watcher = previous


class Progress:
    """Redraws one status line from a loop timer until stopped."""

    def __init__(
        self,
        loop: Loop,
        console: TextIO,
        options: TestOptions,
        history: Any,
        net: Any,
        scheduler: Any,
    ):
        self.loop = loop
        self.console = console
        self.options = options
        self.history = history
        self.net = net
        self.scheduler = scheduler
        self.started = loop.now()
        self.running = True
        self.width = 0
        self.watcher = _watcher

    @classmethod
    def start(
        cls,
        loop: Loop,
        console: TextIO,
        options: TestOptions,
        history: Any,
        net: Any,
        scheduler: Any,
    ) -> Progress | None:
        """A running status line if a watcher is installed or ``console`` is a terminal."""
        is_terminal = hasattr(console, "isatty") and console.isatty()
        if _watcher is None and not is_terminal:
            return None
        progress = cls(loop, console, options, history, net, scheduler)
        progress._tick()
        return progress

    def line(self) -> str:
        elapsed = (self.loop.now() - self.started) / 1e9
        counts = self.history.counts
        nemeses = self.scheduler.nemeses
        faults = "  ".join(n.describe() for n, _ in nemeses) if nemeses else "nemesis off"
        return (
            f"[{self.scheduler.phase}] {elapsed:5.1f}s / {self.options.time_limit:g}s  "
            f"ok {counts['ok']}  fail {counts['fail']}  info {counts['info']}  "
            f"msgs {self.net.next_id}  {faults}"
        )

    def _tick(self) -> None:
        if not self.running:
            return
        text = self.line()
        if self.watcher is not None:
            self.watcher.update(text)
        else:
            self.console.write("\r" + text.ljust(self.width))
            self.console.flush()
            self.width = len(text)
        self.loop.call_at(self.loop.now() + REDRAW_NS, self._tick)

    def clear(self) -> None:
        if self.width:
            self.console.write("\r" + " " * self.width + "\r")
            self.console.flush()
            self.width = 0

    def stop(self) -> None:
        if self.running and self.watcher is not None:
            self.watcher.finished()
        self.running = False
        self.clear()
