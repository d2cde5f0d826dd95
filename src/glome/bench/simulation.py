"""The bench side of ``glome test --sim`` (docs/simulation.md): a virtual clock, nodes in lock-step.

``VirtualLoop`` runs the same timers, coroutines and pipes as the real-time
``Loop``; only its clock differs: an integer of ns that it moves itself, to
the next timer, once nothing is left to do at the current time. Every node
process is a ``SimulatedNode``: what the network delivers to it at time T is
written as one *step* ending in a step line, and the loop waits -- in wall
time, up to a budget -- until every stepped node has reported the end of its
step. Only then are the nodes' outputs routed, in the order of the node list,
so that message ids, latency draws and the history never depend on which
process the machine happened to run first. A node's report names its next
timer; the loop wakes it then with an empty step.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from typing import Any

import orjson

from glome import simulation
from glome.bench.loop import Callback, Loop, Timer
from glome.bench.process import MAX_LINE_BYTES, NodeProcess, keep_tail

SECOND = 1_000_000_000
EXIT_WAIT_S = 5.0  # wall seconds a node that closed its stdout is given to exit


class SimulationError(Exception):
    """A node stalled or broke the lock-step protocol: the run aborts (exit 255)."""


class SimulationRefused(Exception):
    """The binary does not speak glome's simulation protocol: --sim refuses it (exit 254)."""


def refusal(node_id: str, line: str) -> SimulationRefused:
    return SimulationRefused(
        f"--sim runs nodes that speak glome's simulation protocol (docs/simulation.md), and "
        f"node {node_id} does not: its init_ok does not announce "
        f'"{simulation.KEY}": {simulation.VERSION}. Nodes on glome\'s runtime (glome.node) '
        f"speak it with no change; run other nodes without --sim, in real time. Its "
        f"reply was:\n{line}"
    )


def announces(body: dict[str, Any]) -> bool:
    """Whether an init_ok body announces the protocol version this bench speaks."""
    return body.get(simulation.KEY) == simulation.VERSION


class VirtualLoop(Loop):
    """A ``Loop`` on virtual time: it never sleeps, it waits only for stepped nodes."""

    def __init__(self, step_timeout_s: float) -> None:
        super().__init__()
        self._now = 0
        self.step_timeout_s = step_timeout_s
        #: nodes handed a step and not yet reported, with their wall-clock deadlines
        self._stepping: dict[SimulatedNode, float] = {}
        self._settle_hooks: list[Callback] = []

    def now(self) -> int:
        return self._now

    def add_settle_hook(self, hook: Callback) -> None:
        """Run ``hook`` each time the last stepped node reports (to route their output)."""
        self._settle_hooks.append(hook)

    # -- the nodes' steps ---------------------------------------------------
    def stepping(self, node: SimulatedNode) -> None:
        """``node`` was handed a step: time stands still until it reports."""
        self._stepping[node] = time.monotonic() + self.step_timeout_s

    def stepped(self, node: SimulatedNode) -> None:
        """``node`` reported; when it was the last, the settle hooks run."""
        if self._stepping.pop(node, None) is not None and not self._stepping:
            for hook in self._settle_hooks:
                hook()

    def abandon(self, node: SimulatedNode) -> None:
        """Stop waiting for ``node`` (it is being killed); nothing is routed for it."""
        self._stepping.pop(node, None)

    # -- running ----------------------------------------------------------
    def _tick(self) -> None:
        if self._stepping:
            self._wait_for_steps()
            if not self._stepping:
                self._run_due()  # what the settled step set off, at the same time
            return
        timers = self._timers
        if self._ready or (timers and timers[0][0] <= self._now):
            self._run_due()
            return
        for key, mask in self._selector.select(0):  # stray output and stderr
            self._handle(key, mask)
        if self._stepping or self._ready:
            return
        if not timers:
            self.fail(SimulationError("the simulation has nothing left to do (a bench bug)"))
            return
        self._now = max(self._now, timers[0][0])
        self._run_due()

    def _wait_for_steps(self) -> None:
        node, deadline = min(self._stepping.items(), key=lambda item: item[1])
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            self.fail(SimulationError(node.stall_report(self.step_timeout_s)))
            return
        for key, mask in self._selector.select(timeout):
            self._handle(key, mask)


class SimulatedNode(NodeProcess):
    """A node process driven in lock-step by a ``VirtualLoop``.

    ``flush`` hands it a step; its output lines are kept until the loop settles
    and ``route_step`` routes them; a report's next timer becomes a loop timer
    that asks the run (``request_step``) for an empty step.
    """

    batch_scheduling = False  # the loop waits for the node: it should run at once
    loop: VirtualLoop

    def __init__(
        self, *args: Any, request_step: Callable[[SimulatedNode], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._request_step = request_step
        self.in_step = False
        self.reported = False  # whether any report came yet (before it, init_ok is watched)
        self.blocked_until: int | None = None  # inside time.sleep until then
        self._output: list[bytes] = []
        self._wake: Timer | None = None
        self.ended = False

    # -- steps ------------------------------------------------------------
    def flush(self) -> None:
        """Hand the node a step: what was delivered to it, then the step line."""
        if self.down:
            self.net.drain(self.node_id)  # lost: no process reads them
            return
        if self.paused or self.blocked_until is not None or self.ended or self.killed:
            return  # paused or asleep: deliveries wait in the outbox; or gone
        assert not self.in_step, "a node is never handed two steps at once"
        data, dues = self.net.drain(self.node_id)
        now = self.loop.now()
        if dues:
            self.net.router.record_written(dues, now)
        data += simulation.step_line(now)
        self._stdin_queue.append(data)
        self.stdin_backlog += len(data)
        if len(self._stdin_queue) == 1:
            self._write_queued()
        self.in_step = True
        self.loop.stepping(self)

    @property
    def has_step_output(self) -> bool:
        """Whether the node printed anything in its last step (most steps of 25 print nothing)."""
        return bool(self._output)

    def route_step(self) -> None:
        """Route what the node printed during its last step (called when the loop settles)."""
        lines, self._output = self._output, []
        if lines and self.poisoned is None:
            self._route(lines)

    def stall_report(self, budget_s: float) -> str:
        return (
            f"Node {self.node_id} did not finish its step at virtual time "
            f"{self.loop.now() / SECOND:.6f} s within {budget_s:g} s of wall time. Under --sim "
            f"a node must answer each step with a report line (docs/simulation.md); one that "
            f"loops forever, blocks on anything but its input, or does not speak the protocol "
            f"cannot be simulated. It was killed. (--sim-step-timeout sets the budget.)"
        )

    # -- output from the node ---------------------------------------------
    def _read_stdout(self) -> None:
        data = self._read(self.proc.stdout.fileno())  # type: ignore[union-attr]
        if data is None:
            return
        if not data:
            self._end_of_output()
            return
        lines = self._stdout_lines.feed(data)
        keep_tail(self.stdout_tail, lines)
        output = self._output
        for line in lines:
            if simulation.is_control(line):
                self._report(line)  # the step's output is complete: it may be routed now
                output = self._output
            else:
                if not self.reported:
                    self._watch_init_ok(line)
                if self.poisoned is None:
                    output.append(line)
        if self._stdout_lines.size > MAX_LINE_BYTES and self.poisoned is None:
            self._refuse_endless_line()

    def _report(self, line: bytes) -> None:
        try:
            kind, when = simulation.parse_report(line)
        except simulation.ProtocolError as error:
            self._broke_protocol(str(error))
            return
        now = self.loop.now()
        if not self.in_step:
            self._broke_protocol(f"it reported without being handed a step: {line[:200]!r}")
            return
        if when is not None and when <= now:
            self._broke_protocol(
                f"its report asks for virtual time {when} ns, which is not after the step's "
                f"time {now} ns: {line[:200]!r}"
            )
            return
        if kind == "sleep":
            self.blocked_until = when
        self._set_wake(when)
        self.reported = True
        self.in_step = False
        self.loop.stepped(self)

    def _watch_init_ok(self, line: bytes) -> None:
        """Refuse at once a node that answers init without announcing the protocol."""
        with contextlib.suppress(orjson.JSONDecodeError):
            body = orjson.loads(line).get("body")
            if type(body) is dict and body.get("type") == "init_ok" and not announces(body):
                self.loop.fail(refusal(self.node_id, line.decode("utf-8", "replace")))

    def _broke_protocol(self, why: str) -> None:
        self.loop.fail(
            SimulationError(
                f"Node {self.node_id} broke glome's simulation protocol (docs/simulation.md): {why}"
            )
        )

    def _set_wake(self, when: int | None) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if when is not None:
            self._wake = self.loop.call_at(when, self._woken)

    def _woken(self) -> None:
        self._wake = None
        self.blocked_until = None
        self._request_step(self)

    def _end_of_output(self) -> None:
        """The node closed its stdout: wait for it to exit, so that the crash check
        at a virtual time shortly after finds it gone whatever the machine's load."""
        self.ended = True
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=EXIT_WAIT_S)
        if self.in_step:
            self.in_step = False
            self.loop.stepped(self)
        self._on_exit(self)

    def _poison(self, text: str) -> None:
        """As in real time, nothing more the node prints is routed; but its reports are
        still read, or the simulation would wait for it forever."""
        self.poisoned = text
        self._output = []
        self._on_poison(self.node_id, text)

    # -- lifecycle and faults ---------------------------------------------
    def start(self) -> None:
        """Spawn the process, telling it its incarnation, with the protocol's state reset."""
        self.env = {**(self.env or {}), simulation.ENV_INCARNATION: str(self.incarnation + 1)}
        self.in_step = self.reported = self.ended = False
        self.blocked_until = None
        self._output = []
        super().start()

    def stop_process(self) -> None:
        self._set_wake(None)
        if self.in_step:
            self.in_step = False
            self.loop.abandon(self)
        super().stop_process()

    def pause(self) -> None:
        """A paused node gets no steps (it is idle, waiting for input: no signal needed);
        what is delivered to it waits, and its timers wait, until it is resumed."""
        self.paused = True

    def resume(self) -> None:
        """Hand it what waited, at the resume's time, and let its overdue timers fire."""
        self.paused = False
        self._request_step(self)
