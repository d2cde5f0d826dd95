"""Workload registry and the interface every workload implements.

As in Maelstrom's workload namespaces, one module holds a workload's client
(how an op becomes RPCs and how the reply becomes a completion), its op
stream, its final-phase ops and its checker, and declares its names, its
reply schemas and the workload-specific options it reads. ``REGISTRY`` lists
those modules, one line each, and is the only table to edit for a new
workload: the names ``-w`` accepts, the name -> module lookup of ``create``
and the schemas the client validates replies against are all built from it.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glome.bench.client import Client
    from glome.bench.history import CheckContext, Op
    from glome.bench.options import TestOptions
    from glome.protocol import ResponseSchema

#: Every workload module, one line each. A module declares the workloads it runs
#: as ``RESPONSE_SCHEMAS``: workload name (``-w NAME``) -> request type -> the
#: closed reply schema (glome.protocol) Maelstrom's client validates; it may
#: declare ``OPTIONS``, the TestOptions fields of workload-specific options it
#: reads (their specs are in glome.bench.options, whose order --help keeps); and
#: it builds a workload with ``create(name, options, rng)``. The modules, and
#: their checkers, are imported by the first call below, so that importing this
#: package (or glome.bench.options) stays cheap.
REGISTRY: tuple[str, ...] = (
    "glome.bench.workloads.echo",
    "glome.bench.workloads.unique_ids",
    "glome.bench.workloads.broadcast",
    "glome.bench.workloads.g_set",
    "glome.bench.workloads.counter",
    "glome.bench.workloads.kafka",
    "glome.bench.workloads.lin_kv",
    "glome.bench.workloads.txn",
)


@functools.cache
def _modules() -> dict[str, ModuleType]:
    """Workload name -> the module that runs it (importing every registered one)."""
    table: dict[str, ModuleType] = {}
    for module_name in REGISTRY:
        module = import_module(module_name)
        for name in module.RESPONSE_SCHEMAS:
            if name in table:
                raise RuntimeError(f"workload {name!r} is declared twice in the registry")
            table[name] = module
    return table


@functools.cache
def names() -> tuple[str, ...]:
    """Every workload name, sorted: what ``-w`` accepts."""
    return tuple(sorted(_modules()))


@functools.cache
def response_schemas() -> dict[str, dict[str, ResponseSchema]]:
    """Workload name -> request type -> the closed schema its reply must match."""
    return {name: module.RESPONSE_SCHEMAS[name] for name, module in _modules().items()}


class UnsupportedWorkload(Exception):
    """A workload Maelstrom has but this version of glome cannot run yet."""


class Workload:
    """Base class: override what the workload needs."""

    name = ""
    #: whether a final phase (heal, 10 s recovery, final ops) follows the main phase
    final_phase = False
    #: whether a worker keeps its client after an indeterminate op (docs/maelstrom.md §6.4)
    reusable_client = False

    def __init__(self, options: TestOptions, rng: random.Random) -> None:
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

    def __init__(self, options: TestOptions, rng: random.Random) -> None:
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


def create(name: str, options: TestOptions, rng: random.Random) -> Workload:
    module = _modules().get(name)
    if module is None:
        raise UnsupportedWorkload(
            f"workload {name!r} is not available in this version of glome test "
            f"(available: {', '.join(names())})"
        )
    factory: Callable[[str, TestOptions, random.Random], Workload] = module.create
    return factory(name, options, rng)
