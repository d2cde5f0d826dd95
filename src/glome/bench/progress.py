"""The live status line of ``glome test`` on a terminal (nothing when piped).

Elapsed over the time limit, ops ok/fail/info, messages routed and the active
partition, redrawn four times a second on one line.
"""

from __future__ import annotations

from typing import Any, TextIO

from glome.bench.loop import Loop, monotonic_ns

REDRAW_NS = 250_000_000


class Progress:
    """Redraws one status line from a loop timer until stopped."""

    def __init__(
        self, loop: Loop, console: TextIO, options: Any, history: Any, net: Any, scheduler: Any
    ):
        self.loop = loop
        self.console = console
        self.options = options
        self.history = history
        self.net = net
        self.scheduler = scheduler
        self.started = monotonic_ns()
        self.running = True
        self.width = 0

    @classmethod
    def start(
        cls, loop: Loop, console: TextIO, options: Any, history: Any, net: Any, scheduler: Any
    ) -> Progress | None:
        """A running status line if ``console`` is a terminal, else None."""
        if not (hasattr(console, "isatty") and console.isatty()):
            return None
        progress = cls(loop, console, options, history, net, scheduler)
        progress._tick()
        return progress

    def line(self) -> str:
        elapsed = (monotonic_ns() - self.started) / 1e9
        counts = self.history.counts
        nemesis = self.scheduler.nemesis
        partition = (nemesis.active or "none") if nemesis is not None else "off"
        return (
            f"[{self.scheduler.phase}] {elapsed:5.1f}s / {self.options.time_limit:g}s  "
            f"ok {counts['ok']}  fail {counts['fail']}  info {counts['info']}  "
            f"msgs {self.net.next_id}  partition {partition}"
        )

    def _tick(self) -> None:
        if not self.running:
            return
        text = self.line()
        self.console.write("\r" + text.ljust(self.width))
        self.console.flush()
        self.width = len(text)
        self.loop.call_at(monotonic_ns() + REDRAW_NS, self._tick)

    def clear(self) -> None:
        if self.width:
            self.console.write("\r" + " " * self.width + "\r")
            self.console.flush()
            self.width = 0

    def stop(self) -> None:
        self.running = False
        self.clear()
