"""Where a sweep's seeds run: a pool of local worker processes, or a Dask cluster.

Either way a seed runs lean (no plots) in a temporary store that is deleted
afterwards, and only its ``Trial`` comes back, in whatever order seeds finish.
Workers stay alive across seeds, so glome is imported once per worker, not once
per seed; under ``--sim`` a seed's outcome does not depend on which worker ran it
or on what it ran before (the sweep's tests check this).

Stopping (Ctrl-C, or an error): seeds not yet started are cancelled, and local
workers are sent SIGTERM, which their run's ``SignalGuard`` turns into a
teardown that kills the run's nodes; the pool is then joined, so nothing is left
running. A Dask worker runs seeds in threads, where no signal reaches them: its
current seed finishes (one run's length) and its nodes are killed as usual.
"""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import os
import signal
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Event
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from glome.bench.runner import Interrupted, SignalGuard
from glome.hunt.trial import Trial, TrialError, run_trial

LOCAL = "local"
DASK_SCHEME = "dask"
#: how long to wait for a Dask scheduler to answer before giving up on it
CONNECT_TIMEOUT_S = 10
INSTALL_HINT = "pip install 'glome[cluster]'"
SCRATCH_PREFIX = "glome-sweep-"


class ExecutorUnavailable(Exception):
    """The executor asked for cannot start (bad URL, no distributed, no scheduler)."""


class ExecutorBroke(Exception):
    """The executor failed part-way: a worker process died, a cluster lost a seed."""


def dask_address(executor: str) -> str | None:
    """``local`` -> None; ``dask://HOST:PORT`` -> the scheduler's ``tcp://HOST:PORT``."""
    if executor == LOCAL:
        return None
    parts = urlsplit(executor)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != DASK_SCHEME or not parts.hostname or port is None or parts.path.strip("/"):
        raise ExecutorUnavailable(
            f"--executor {executor!r}: expected {LOCAL} or {DASK_SCHEME}://HOST:PORT"
        )
    return f"tcp://{parts.netloc}"


def lean_trial(argv: list[str], seed: int, guard: SignalGuard | None = None) -> Trial:
    """One seed without plots in a temporary store, deleted afterwards: what a sweep keeps
    of a seed is its ``Trial``; a failing one is rerun in full where its store is wanted."""
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
        trial = run_trial(argv, seed, Path(scratch), guard=guard)
    return dataclasses.replace(trial, store=None)


class Executor(ABC):
    """Runs seeds and yields their trials as they finish; a context manager that stops
    everything on the way out (at once when leaving with an exception)."""

    description: str

    @abstractmethod
    def trials(self, argv: list[str], seeds: range) -> Iterator[Trial]:
        """Each seed's lean trial, in the order they finish; raises TrialError when the
        command line cannot run at all, ExecutorBroke when the executor fails."""

    @abstractmethod
    def close(self, *, at_once: bool) -> None:
        """Release the workers; ``at_once``: cancel waiting seeds, stop running ones."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(at_once=kind is not None)


# ------------------------------------------------------------ local processes

#: set in a pool worker by its initializer: the coordinator's "stop now"
_stopping: Event | None = None


def _start_worker(stopping: Event) -> None:
    """A pool worker ignores SIGINT and SIGTERM while idle (nothing to clean up), and
    handles them only inside a run, where its guard kills the run's nodes."""
    global _stopping
    _stopping = stopping
    for signum in SignalGuard.SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _pool_trial(argv: list[str], seed: int) -> Trial | None:
    """One seed in a pool worker; None when the sweep is stopping (it is not a verdict)."""
    guard = SignalGuard()
    guard.install()
    try:
        # checked after install: a stop signalled from here on reaches this run
        if _stopping is not None and _stopping.is_set():
            return None
        trial = lean_trial(argv, seed, guard)
    except Interrupted:  # arrived outside the run, which ended before it
        return None
    finally:
        guard.restore()
    return None if guard.received is not None else trial


class LocalPool(Executor):
    """``jobs`` worker processes on this machine, started once for the whole sweep."""

    def __init__(self, jobs: int) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the coordinator's state
        self.description = _count(jobs, "local worker")
        self._stopping = context.Event()
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_start_worker, initargs=(self._stopping,)
        )

    def trials(self, argv: list[str], seeds: range) -> Iterator[Trial]:
        futures: dict[Future[Trial | None], int] = {
            self._pool.submit(_pool_trial, argv, seed): seed for seed in seeds
        }
        for future in as_completed(futures):
            try:
                trial = future.result()
            except BrokenProcessPool as error:
                raise ExecutorBroke(
                    f"a worker process died while running seed {futures[future]}: {error}"
                ) from error
            if trial is not None:
                yield trial

    def close(self, *, at_once: bool) -> None:
        if at_once:
            self._stopping.set()
            for worker in multiprocessing.active_children():
                if worker.pid is not None:
                    os.kill(worker.pid, signal.SIGTERM)
        self._pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ Dask

#: one run at a time in a Dask worker process, however many threads it has: a run owns
#: process-wide state (the garbage collector's switch, the interpreter's switch interval)
_one_run_at_a_time = threading.Lock()


def remote_trial(seed: int, argv: list[str]) -> Trial:
    """One seed on a Dask worker (which must have glome and the node binaries installed)."""
    with _one_run_at_a_time:
        return lean_trial(argv, seed)


class DaskCluster(Executor):
    """A running Dask distributed cluster, reached through its scheduler."""

    def __init__(self, address: str) -> None:
        try:  # an optional extra, so imported by name and used untyped
            self._distributed: Any = importlib.import_module("distributed")
        except ImportError as error:
            raise ExecutorUnavailable(
                f"--executor {DASK_SCHEME}:// needs Dask's distributed: {INSTALL_HINT}"
            ) from error
        try:
            self._client = self._distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            raise ExecutorUnavailable(f"no Dask scheduler at {address}: {error}") from error
        workers = len(self._client.scheduler_info().get("workers", {}))
        self.description = f"the Dask cluster at {address} ({_count(workers, 'worker')})"
        self._futures: list[Any] = []

    def trials(self, argv: list[str], seeds: range) -> Iterator[Trial]:
        self._futures = self._client.map(remote_trial, seeds, argv=argv, pure=False)
        by_key = {future.key: seed for future, seed in zip(self._futures, seeds, strict=True)}
        for future in self._distributed.as_completed(self._futures):
            try:
                trial: Trial = future.result()
            except TrialError:
                raise
            except Exception as error:
                raise ExecutorBroke(
                    f"seed {by_key[future.key]} failed on the cluster: {error!r}"
                ) from error
            yield trial

    def close(self, *, at_once: bool) -> None:
        if at_once and self._futures:
            self._client.cancel(self._futures)
        self._client.close()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def open_executor(executor: str, jobs: int) -> Executor:
    """The executor ``--executor`` names: ``local`` (``jobs`` processes) or ``dask://``."""
    address = dask_address(executor)
    return LocalPool(jobs) if address is None else DaskCluster(address)
