"""Workload registry and the interface every workload implements.

As in Maelstrom's workload namespaces, one module holds a workload's client
(how an op becomes RPCs and how the reply becomes a completion), its op
stream, its final-phase ops and its checker.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from glome.bench.client import Client
from glome.bench.history import CheckContext, Op

#: workload name -> module implementing it (Maelstrom's ten workloads, docs/maelstrom.md §7)
MODULES: dict[str, str] = {
    "echo": "glome.bench.workloads.echo",
    "unique-ids": "glome.bench.workloads.unique_ids",
    "broadcast": "glome.bench.workloads.broadcast",
    "g-set": "glome.bench.workloads.g_set",
    "g-counter": "glome.bench.workloads.counter",
    "pn-counter": "glome.bench.workloads.counter",
    "lin-kv": "glome.bench.workloads.lin_kv",
    "kafka": "glome.bench.workloads.kafka",
    "txn-rw-register": "glome.bench.workloads.txn",
    "txn-list-append": "glome.bench.workloads.txn",
}


class UnsupportedWorkload(Exception):
    """A workload Maelstrom has but this version of glome cannot run yet."""


class Workload:
    """Base class: override what the workload needs."""

    name = ""
    #: whether a final phase (heal, 10 s recovery, final ops) follows the main phase
    final_phase = False
    #: whether a worker keeps its client after an indeterminate op (docs/maelstrom.md §6.4)
    reusable_client = False

    def __init__(self, options: Any, rng: random.Random) -> None:
        self.options = options
        self.rng = rng
        #: the test's clock in ns; the runner sets its loop's (virtual under --sim)
        self.clock: Callable[[], int] = time.monotonic_ns
        self._final_done: set[int] = set()

    def next_op(self, thread: int) -> Op:
        """The next main-phase op for worker ``thread``: a dict with ``f`` and ``value``.

        Called when the stagger schedule and a free worker allow one more op;
        the thread lets a workload give threads different roles (lin-kv's
        read-only threads).
        """
        raise NotImplementedError

    #: seconds after which the final phase issues no more ops (None: no limit)
    final_phase_timeout_s: float | None = None

    def final_op(self, thread: int) -> Op | None:
        """The next final-phase op of worker ``thread``, or None when it has no more.

        Called again each time that worker's previous final op completes, so a
        workload can keep going until it has seen what it needs (kafka's polls).
        """
        return None

    def final_delay(self, thread: int) -> float:
        """Seconds worker ``thread`` waits before asking for its next final op."""
        return 0.0

    def once_per_thread(self, thread: int, op: Op) -> Op | None:
        """``op`` the first time ``thread`` asks, None afterwards: one final op each."""
        if thread in self._final_done:
            return None
        self._final_done.add(thread)
        return op

    async def setup(self, clients: dict[str, Client]) -> None:
        """Client setup, once per node with its setup client (broadcast sends topology)."""

    async def invoke(self, client: Client, node: str, op: Op) -> Op:
        """Perform ``op`` against ``node``; return the completion (ok/fail/info)."""
        raise NotImplementedError

    def check(self, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        """The workload checker (the ``workload`` key of the results)."""
        raise NotImplementedError


class AddsAndReads(Workload):
    """Broadcast and g-set: adds of 0, 1, 2, ... (in emission order) mixed 50/50
    with reads, and a final phase of one read per worker."""

    final_phase = True
    add_f = "add"
    #: whether final reads carry ``final?`` (broadcast's do, g-set's do not)
    final_flagged = False

    def __init__(self, options: Any, rng: random.Random) -> None:
        super().__init__(options, rng)
        self._values = itertools.count()

    def next_op(self, thread: int) -> Op:
        return mix(
            self.rng,
            [
                lambda: {"f": self.add_f, "value": next(self._values)},
                lambda: {"f": "read", "value": None},
            ],
        )

    def final_op(self, thread: int) -> Op | None:
        if self.final_flagged:
            return self.once_per_thread(thread, {"f": "read", "final?": True, "value": None})
        return self.once_per_thread(thread, {"f": "read", "value": None})


def mix(rng: random.Random, choices: list[Callable[[], Op]]) -> Op:
    """Jepsen's ``gen/mix``: each op comes from a uniformly chosen stream."""
    return rng.choice(choices)()


def create(name: str, options: Any, rng: random.Random) -> Workload:
    module_name = MODULES.get(name)
    if module_name is None:
        raise UnsupportedWorkload(
            f"workload {name!r} is not available in this version of glome test "
            f"(available: {', '.join(sorted(MODULES))})"
        )
    factory: Callable[[str, Any, random.Random], Workload] = import_module(module_name).create
    return factory(name, options, rng)
