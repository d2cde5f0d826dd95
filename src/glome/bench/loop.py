"""The bench's single-threaded event loop: pipes, deadlines and coroutines.

Maelstrom runs a thread per node pipe, per client and per service. Python
threads would add scheduling jitter far above the network's latency budget,
so everything here is driven by one selector loop with a heap of deadlines.
Clients, the generator and the nemesis are plain ``async`` coroutines whose
awaitables are this module's ``Future``; no asyncio, because its per-callback
overhead is several times that of this loop on the routing hot path.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import selectors
import time
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Iterator, Sequence
from functools import partial
from typing import Any

monotonic_ns = time.monotonic_ns

Callback = Callable[[], Any]

MS = 1_000_000
SPIN_NS = 100_000  # the last 100 µs before a deadline are polled, not slept


@contextlib.contextmanager
def delivery_priority() -> Iterator[str]:
    """Run the loop ahead of every ordinary process while the test runs.

    The loop delivers messages at their deadlines; when nodes (or anything
    else on the machine) keep the CPU busy, an ordinary process waits its
    turn and deliveries come late, which distorts what the test measures.
    Where allowed, the loop takes the lowest real-time priority (SCHED_FIFO
    1; children do not inherit it, so nodes stay ordinary); otherwise it
    keeps its policy. Yields which it got, for the results.
    """
    try:
        previous = (os.sched_getscheduler(0), os.sched_getparam(0))
        os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(1))
    except (AttributeError, OSError):
        yield "ordinary"
        return
    try:
        yield "realtime"
    finally:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, previous[0], previous[1])


class Timer:
    """A scheduled callback; ``cancel()`` makes it a no-op."""

    __slots__ = ("callback", "when")

    def __init__(self, when: int, callback: Callback | None) -> None:
        self.when = when
        self.callback = callback

    def cancel(self) -> None:
        self.callback = None


class Loop:
    """Selector + deadline heap + ready queue, with hooks run at the end of each tick."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._timers: list[tuple[int, int, Timer]] = []
        self._sequence = itertools.count()
        self._ready: deque[Callback] = deque()
        self._tick_hooks: list[Callback] = []
        self._failure: BaseException | None = None

    # -- scheduling -------------------------------------------------------
    def now(self) -> int:
        """The loop's time in ns: the machine's monotonic clock here, virtual under --sim."""
        return monotonic_ns()

    def call_at(self, when_ns: int, callback: Callback) -> Timer:
        timer = Timer(when_ns, callback)
        heapq.heappush(self._timers, (when_ns, next(self._sequence), timer))
        return timer

    def call_soon(self, callback: Callback) -> None:
        self._ready.append(callback)

    def add_tick_hook(self, hook: Callback) -> None:
        """Run ``hook`` after every tick (used to flush batched pipe writes)."""
        self._tick_hooks.append(hook)

    # -- file descriptors -------------------------------------------------
    def add_reader(self, fd: int, callback: Callback) -> None:
        self._watch(fd, selectors.EVENT_READ, callback)

    def remove_reader(self, fd: int) -> None:
        self._unwatch(fd, selectors.EVENT_READ)

    def add_writer(self, fd: int, callback: Callback) -> None:
        self._watch(fd, selectors.EVENT_WRITE, callback)

    def remove_writer(self, fd: int) -> None:
        self._unwatch(fd, selectors.EVENT_WRITE)

    def _watch(self, fd: int, event: int, callback: Callback) -> None:
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            self._selector.register(fd, event, {event: callback})
            return
        key.data[event] = callback
        self._selector.modify(fd, key.events | event, key.data)

    def _unwatch(self, fd: int, event: int) -> None:
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            return
        key.data.pop(event, None)
        remaining = key.events & ~event
        if remaining:
            self._selector.modify(fd, remaining, key.data)
        else:
            self._selector.unregister(fd)

    # -- running ----------------------------------------------------------
    def fail(self, error: BaseException) -> None:
        """Abort ``run_until``: it raises ``error`` at the end of the current tick."""
        if self._failure is None:
            self._failure = error

    def run_until(self, future: Future) -> Any:
        """Run ticks until ``future`` is done; return its result (or raise its error)."""
        while not future.done():
            self._tick()
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
        return future.result()

    def _tick(self) -> None:
        timers = self._timers
        for key, mask in self._selector.select(self._timeout()):
            self._handle(key, mask)
            # Deadlines that came due while reading are served before the next pipe.
            if timers and timers[0][0] <= monotonic_ns():
                self._run_due()
        self._run_due()

    @staticmethod
    def _handle(key: selectors.SelectorKey, mask: int) -> None:
        """Call the reader and/or writer of a file descriptor the selector found ready."""
        handlers = key.data
        if mask & selectors.EVENT_READ and selectors.EVENT_READ in handlers:
            handlers[selectors.EVENT_READ]()
        if mask & selectors.EVENT_WRITE and selectors.EVENT_WRITE in handlers:
            handlers[selectors.EVENT_WRITE]()

    def _run_due(self) -> None:
        """Run due timers and ready callbacks, then the tick hooks (write batching)."""
        timers = self._timers
        now = self.now()
        while timers and timers[0][0] <= now:
            callback = heapq.heappop(timers)[2].callback
            if callback is not None:
                callback()
        ready = self._ready
        while ready:
            ready.popleft()()
        for hook in self._tick_hooks:
            hook()

    def _timeout(self) -> float | None:
        """How long the selector may block before the next timer is due.

        epoll counts whole milliseconds, rounding up, which would make every
        deadline up to 1 ms late; so block only for whole milliseconds that
        end before the deadline, sleep precisely for the rest when it is short,
        and poll without blocking in the last few microseconds.
        """
        if self._ready:
            return 0
        if not self._timers:
            return None
        wait = self._timers[0][0] - monotonic_ns()
        if wait <= SPIN_NS:
            return 0
        if wait < MS + SPIN_NS:
            time.sleep((wait - SPIN_NS) / 1e9)
            return 0
        return ((wait - SPIN_NS) // MS) / 1000

    def close(self) -> None:
        self._selector.close()


class Future:
    """A result that arrives later; coroutines ``await`` it."""

    __slots__ = ("_callbacks", "_done", "_error", "_loop", "_result")

    def __init__(self, loop: Loop) -> None:
        self._loop = loop
        self._done = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], Any]] = []

    def done(self) -> bool:
        return self._done

    def set_result(self, value: Any = None) -> None:
        if not self._done:
            self._result = value
            self._finish()

    def set_exception(self, error: BaseException) -> None:
        if not self._done:
            self._error = error
            self._finish()

    def _finish(self) -> None:
        self._done = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._loop.call_soon(partial(callback, self))

    def add_done_callback(self, callback: Callable[[Future], Any]) -> None:
        if self._done:
            self._loop.call_soon(lambda: callback(self))
        else:
            self._callbacks.append(callback)

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._result

    def __await__(self) -> Generator[Future, Any, Any]:
        if not self._done:
            yield self
        return self.result()


class Task(Future):
    """Drives a coroutine: each awaited Future resumes it when done."""

    __slots__ = ("_coroutine",)

    def __init__(self, loop: Loop, coroutine: Coroutine[Future, Any, Any]) -> None:
        super().__init__(loop)
        self._coroutine = coroutine
        loop.call_soon(lambda: self._step(None, None))

    def _step(self, value: Any, error: BaseException | None) -> None:
        try:
            coroutine = self._coroutine
            awaited = coroutine.send(value) if error is None else coroutine.throw(error)
        except StopIteration as stop:
            self.set_result(stop.value)
            return
        except Exception as failure:  # the task's own error; whoever awaits it sees it
            self.set_exception(failure)
            return
        awaited.add_done_callback(self._resume)

    def _resume(self, future: Future) -> None:
        if future._error is not None:
            self._step(None, future._error)
        else:
            self._step(future._result, None)


def spawn(loop: Loop, coroutine: Coroutine[Future, Any, Any]) -> Task:
    return Task(loop, coroutine)


def sleep_until(loop: Loop, when_ns: int) -> Future:
    future = Future(loop)
    if when_ns <= loop.now():
        future.set_result(None)
    else:
        loop.call_at(when_ns, future.set_result)
    return future


def gather(loop: Loop, futures: Sequence[Future]) -> Future:
    """A future done when all of ``futures`` are; its result is their results in order."""
    combined = Future(loop)
    remaining = [len(futures)]
    if not futures:
        combined.set_result([])

    def one_done(_: Future) -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            errors = [f._error for f in futures if f._error is not None]
            if errors:
                combined.set_exception(errors[0])
            else:
                combined.set_result([f._result for f in futures])

    for future in futures:
        future.add_done_callback(one_done)
    return combined
