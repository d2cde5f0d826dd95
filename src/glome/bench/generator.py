"""Workers and the op schedule (docs/maelstrom.md §6.3-6.5): what runs when, and who runs it.

Main phase: the workload's ops, globally staggered at ``--rate`` (each op
scheduled uniform [0, 2/rate) after the previous one, waiting for a free
worker, handed out round-robin as Jepsen's generator context does),
alongside the nemesis: one thread running each fault package's ops, each
package staggered at ``--nemesis-interval`` on its own with its first op at
once, the soonest op first (Jepsen's ``gen/any`` over the packages). Nothing is
issued at or after start + time limit. Final phase (workloads that have one):
each package's final ops (heal, resume, start), wait 10 s for recovery, then
the final ops per worker. Every op is recorded in the history as Jepsen does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from glome.bench.client import Client, indeterminate
from glome.bench.history import INFO, INVOKE, NEMESIS, OK, Op
from glome.bench.loop import Future, Loop, gather, sleep_until, spawn
from glome.bench.nemesis import Nemesis
from glome.bench.workloads import Workload

SECOND = 1_000_000_000
RECOVERY_S = 10


class History:
    """The test's history: ops get a dense index and ns since the test start."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self.clock = clock
        self.start_ns = clock()
        self.ops: list[Op] = []
        self.counts = {OK: 0, "fail": 0, INFO: 0}

    def start_clock(self) -> None:
        """Count op times from now: Jepsen's relative time starts once the nodes are up
        and initialised, before the clients' setup (docs/maelstrom.md §6.3)."""
        self.start_ns = self.clock()

    def append(self, op: Op) -> Op:
        op["index"] = len(self.ops)
        op["time"] = self.clock() - self.start_ns
        self.ops.append(op)
        if op["process"] != NEMESIS and op["type"] in self.counts:
            self.counts[op["type"]] += 1
        return op


class Worker:
    """One Jepsen worker thread: a process id, a node, and a (lazily opened) client."""

    def __init__(self, thread: int, node: str) -> None:
        self.thread = thread
        self.node = node
        self.process = thread
        self.client: Client | None = None
        self.client_process = -1
        self.busy = False


class Scheduler:
    """Runs the phases of one test on the event loop."""

    def __init__(
        self,
        loop: Loop,
        workload: Workload,
        nodes: list[str],
        concurrency: int,
        open_client: Callable[[], Client],
        history: History,
        rng: random.Random,
        rate: float,
        time_limit_s: float,
        nemeses: list[tuple[Nemesis, random.Random]] | None = None,
        nemesis_interval_s: float = 10,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.loop = loop
        self.workload = workload
        self.open_client = open_client
        self.history = history
        self.rng = rng
        self.rate = rate
        self.time_limit_ns = int(time_limit_s * SECOND)
        #: the fault packages, each with the random stream of its own stagger
        self.nemeses = nemeses or []
        self.nemesis_interval_ns = int(nemesis_interval_s * SECOND)
        self.log = log
        self.concurrency = concurrency
        self.workers = [Worker(t, nodes[t % len(nodes)]) for t in range(concurrency)]
        self._free_waiters: list[Future] = []
        self._in_flight: list[Future] = []
        self._next_thread = 0
        self.phase = "setup"

    # -- workers ----------------------------------------------------------
    def _next_free(self) -> Worker | None:
        """Jepsen's ``some-free-process``: the first free worker at or after the
        rotating thread index, wrapping around; None when all are busy."""
        start = self._next_thread
        for worker in self.workers[start:]:
            if not worker.busy:
                return worker
        for worker in self.workers[:start]:
            if not worker.busy:
                return worker
        return None

    def _rotate(self) -> None:
        """Every thread taking an op moves the index on by one; the nemesis is the
        last of concurrency + 1 threads, so clients see the rotation skip a beat."""
        self._next_thread = (self._next_thread + 1) % (self.concurrency + 1)

    def _free_worker(self) -> Future:
        future = Future(self.loop)
        worker = self._next_free()
        if worker is not None:
            future.set_result(worker)
        else:
            self._free_waiters.append(future)
        return future

    def _release(self, worker: Worker) -> None:
        worker.busy = False
        waiters, self._free_waiters = self._free_waiters, []
        for waiter in waiters:
            waiter.set_result(None)

    def _start(self, worker: Worker, op: Op) -> None:
        worker.busy = True
        self._rotate()
        task = spawn(self.loop, self._perform(worker, op))
        self._in_flight.append(task)

    async def _perform(self, worker: Worker, op: Op) -> None:
        replaced = worker.client_process != worker.process
        if worker.client is not None and replaced and not self.workload.reusable_client:
            worker.client.close()
            worker.client = None
        if worker.client is None:
            worker.client = self.open_client()
        worker.client_process = worker.process
        invocation = self.history.append({"process": worker.process, "type": INVOKE, **op})
        try:
            completion = await self.workload.invoke(worker.client, worker.node, invocation)
        except Exception as error:  # Jepsen's worker: anything thrown makes the op info
            completion = indeterminate(invocation, error)
        completion = {
            key: value for key, value in completion.items() if key not in ("index", "time")
        }
        self.history.append(completion)
        if completion["type"] == INFO:
            worker.process += self.concurrency
        self._release(worker)

    async def _all_idle(self) -> None:
        while True:
            pending = [task for task in self._in_flight if not task.done()]
            self._in_flight = []
            if not pending:
                return
            await gather(self.loop, pending)

    # -- phases -----------------------------------------------------------
    async def run(self) -> None:
        start = self.loop.now()
        cutoff = start + self.time_limit_ns
        self.phase = "main"
        tasks = [spawn(self.loop, self._main_phase(start, cutoff))]
        if self.nemeses:
            tasks.append(spawn(self.loop, self._nemesis_phase(start, cutoff)))
        await gather(self.loop, tasks)
        await self._all_idle()
        if self.workload.final_phase:
            await self._final_phase()

    async def _main_phase(self, start: int, cutoff: int) -> None:
        if self.rate <= 0:
            await sleep_until(self.loop, cutoff)
            return
        spread = 2 * SECOND / self.rate
        next_time = start
        while True:
            if next_time >= cutoff:
                return  # the time limit ends the phase; nothing waits for an op past it
            await sleep_until(self.loop, next_time)
            worker = await self._wait_for_worker(cutoff)
            if worker is None:
                return
            # Jepsen's stagger: the op's time is when its scheduler actually woke
            # (or when a worker freed up, if none was free), and the next one
            # follows it by uniform [0, 2/rate). So wake-up delays slow the
            # schedule, as Jepsen's interpreter re-times each op: at --rate 1000 a
            # real-time run issues a few % fewer ops. Virtual time wakes exactly.
            op_time = self.loop.now()
            if op_time >= cutoff:
                return
            self._start(worker, self.workload.next_op(worker.thread))
            next_time = op_time + int(self.rng.random() * spread)

    async def _wait_for_worker(self, cutoff: int) -> Worker | None:
        """The next free worker, or None if none frees up before the cutoff."""
        while True:
            worker = self._next_free()
            if worker is not None:
                return worker
            freed = self._free_worker()
            timer = self.loop.call_at(cutoff, freed.set_result)  # sets None
            await freed
            timer.cancel()
            if self.loop.now() >= cutoff:
                return None

    async def _nemesis_phase(self, start: int, cutoff: int) -> None:
        """The nemesis thread: the soonest op of any package, one at a time; each package's
        next op follows its last by uniform [0, 2 x interval)."""
        due = [start for _ in self.nemeses]
        while True:
            index = min(range(len(due)), key=due.__getitem__)
            if due[index] >= cutoff:
                return
            await sleep_until(self.loop, due[index])
            now = self.loop.now()
            nemesis, rng = self.nemeses[index]
            await self._nemesis_op(nemesis, *nemesis.next_op())
            due[index] = now + int(rng.random() * 2 * self.nemesis_interval_ns)

    async def _nemesis_op(self, nemesis: Nemesis, f: str, value: Any) -> None:
        self._rotate()
        self.history.append({"process": NEMESIS, "type": INFO, "f": f, "value": value})
        result = await nemesis.apply(f, value)
        self.history.append({"process": NEMESIS, "type": INFO, "f": f, "value": result})

    async def _final_phase(self) -> None:
        self.phase = "final"
        for nemesis, _ in self.nemeses:
            for f, value in nemesis.final_ops():
                await self._nemesis_op(nemesis, f, value)
        self.log("Waiting for recovery...")
        self.phase = "recovery"
        await sleep_until(self.loop, self.loop.now() + RECOVERY_S * SECOND)
        self.phase = "final"
        timeout_s = self.workload.final_phase_timeout_s
        cutoff = None if timeout_s is None else self.loop.now() + int(timeout_s * SECOND)
        streams = [spawn(self.loop, self._final_ops(worker, cutoff)) for worker in self.workers]
        await gather(self.loop, streams)
        await self._all_idle()

    async def _final_ops(self, worker: Worker, cutoff: int | None) -> None:
        """One worker's final ops, one after another, until the workload has no more
        for it or the phase's time limit passes (ops in flight then still complete)."""
        while True:
            delay_s = self.workload.final_delay(worker.thread)
            if delay_s > 0:
                await sleep_until(self.loop, self.loop.now() + int(delay_s * SECOND))
            if cutoff is not None and self.loop.now() >= cutoff:
                return
            op = self.workload.final_op(worker.thread)
            if op is None:
                return
            worker.busy = True
            await self._perform(worker, op)
