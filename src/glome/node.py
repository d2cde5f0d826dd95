"""glome's node runtime: Maelstrom's protocol over stdin/stdout, on one thread.

    from glome.node import Node

    node = Node()

    @node.on("echo")
    def echo(msg):
        return {"type": "echo_ok", "echo": msg["body"]["echo"]}

    node.run()

A handler gets the whole message (a dict with ``src``, ``dest``, ``body``) and
returns the reply body, or None for no reply; ``in_reply_to`` is added for it.
An ``async def`` handler may ``await node.rpc(...)``, ``node.sleep(...)`` or
``node.gather(...)`` first. Raising a ``glome.errors.RPCError`` answers with
that error code; any other exception answers ``crash`` (13) and prints the
traceback to stderr. Replies carry no ``msg_id``: Maelstrom's reply schemas
are closed and make it optional.

The rest of the API: ``node.id`` and ``node.ids`` (set at init, when
``@node.on_init`` hooks run), ``node.reply(msg, body)``, ``node.send(dest,
body)`` (fire and forget), ``node.rpc(dest, body, timeout)`` (a ``Future``:
await it, or ``add_done_callback``), ``node.every(seconds, fn)`` and
``node.after(seconds, fn)`` (timers counted from init; ``fn`` may be ``async``;
both return a ``Timer`` with ``cancel()``), ``node.spawn(coro)``,
``node.sleep(seconds)``, ``node.gather(*futures)`` and ``node.log(text, level)``.
``field(msg, key, kind)`` reads a request's body field, answering a missing or
mistyped one as malformed (12) rather than as a crash.

The loop polls the raw file descriptors: each wake-up reads whatever stdin
holds, hands it to the core (``glome._fast.node``, compiled when built), fires
due timers, and writes all output produced with one ``write``. stdout is
non-blocking: what a full pipe refuses is kept and written when it drains,
while input keeps being read -- until ``OUTPUT_BACKLOG_LIMIT`` bytes wait: then
the node stops reading until its reader catches up, so a reader that stalls
leaves the node's memory bounded and the backlog backs up to the writer. An
input line over the core's ``line_limit`` (64 MiB) is skipped, and answered as
a malformed request when its sender and msg_id can be read. At end of input the
node writes what is pending and ``run`` returns 0. ``print()`` inside a node
writes to stderr, so nothing but protocol JSON ever reaches stdout.

Logging goes to stderr, never stdout. ``GLOME_LOG`` sets the threshold
(``debug``, ``info``, ``warning``, ``error`` or ``off``); unset, only warnings
and errors appear: malformed input and handler crashes.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import inspect
import itertools
import math
import os
import re
import reprlib
import secrets
import select
import sys
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from glome import simulation
from glome._fast import load
from glome.errors import Crash, MalformedRequest, NotSupported, RPCError, Timeout, error_from_body

#: under ``glome test --sim``, this process's virtual clock (docs/simulation.md); it
#: is installed before anything below reads the time or draws a random number
SIM_CLOCK = simulation.install() if simulation.requested() else None

if TYPE_CHECKING:
    from glome._fast import node as _core
else:
    _core = load("node")

#: the backend of the per-chunk core in this process: "compiled" or "pure"
BACKEND = "pure" if _core.__name__.rsplit(".", 1)[-1].startswith("_pure_") else "compiled"

Message = dict[str, Any]
Body = dict[str, Any]
Handler = Callable[[Message], "Body | Awaitable[Body | None] | None"]
H = TypeVar("H", bound=Callable[..., Any])

#: Maelstrom clients' own default RPC timeout (docs/maelstrom.md §6.1)
DEFAULT_RPC_TIMEOUT = 5.0
READ_SIZE = 1 << 20
PIPE_SIZE = 1 << 20
OUTPUT_BACKLOG_LIMIT = 16 << 20  # unwritten output bytes past which input waits
LOGGED_LINE_LIMIT = 300  # characters of a bad input line quoted in the log

# Logged messages are shown to a bounded depth and width: a plain repr of a hostile
# message nested a thousand deep raises RecursionError, and of a huge one costs its size.
_LOGGED_MESSAGE = reprlib.Repr()
_LOGGED_MESSAGE.maxlevel = 8
_LOGGED_MESSAGE.maxdict = _LOGGED_MESSAGE.maxlist = 12
_LOGGED_MESSAGE.maxstring = _LOGGED_MESSAGE.maxother = _LOGGED_MESSAGE.maxlong = 80

LOG_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "off": 100}


def _log_threshold() -> int:
    """GLOME_LOG's level; an unknown value (e.g. ``1``) means everything."""
    setting = os.environ.get("GLOME_LOG", "").strip().lower()
    if not setting:
        return LOG_LEVELS["warning"]
    return LOG_LEVELS.get(setting, LOG_LEVELS["debug"])


LOG_THRESHOLD = _log_threshold()

# Recover who to answer from a line that is not JSON: only ids shaped like
# Maelstrom's (n1, c12, lin-kv), so garbage never names a destination.
_RAW_SRC = re.compile(rb'"src"\s*:\s*"([A-Za-z0-9_.:-]{1,64})"')
_RAW_MSG_ID = re.compile(rb'"msg_id"\s*:\s*(-?\d{1,18})(?![\d.eE])')


def _write_stderr(text: str) -> None:
    """Write all of ``text`` to stderr, even if it shares a non-blocking file with stdout."""
    data = text.encode("utf-8", "replace")
    while data:
        try:
            data = data[os.write(2, data) :]
        except BlockingIOError:
            select.select([], [2], [])
        except OSError:
            return  # stderr is gone: nowhere left to complain


class Future:
    """A value that arrives later: an RPC reply, a timeout, a sleep, a task's result.

    ``await`` it in an ``async def`` handler, or ``add_done_callback`` from plain
    code. Callbacks run synchronously when the outcome is set; the first outcome wins.
    """

    __slots__ = ("_callbacks", "_done", "_error", "_value")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return self._done

    def result(self) -> Any:
        """The value, or raise the error; RuntimeError while pending."""
        if not self._done:
            raise RuntimeError("the future is still pending")
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self) -> BaseException | None:
        return self._error

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def set_result(self, value: Any) -> None:
        self._settle(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._settle(None, error)

    def _settle(self, value: Any, error: BaseException | None) -> None:
        if self._done:
            return
        self._done, self._value, self._error = True, value, error
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def __await__(self) -> Generator[Future, None, Any]:
        if not self._done:
            yield self
        return self.result()


class Task(Future):
    """Runs a coroutine, resuming it whenever the future it awaits settles."""

    __slots__ = ("_coro",)

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        super().__init__()
        self._coro = coro
        self._step(None)

    def _step(self, awaited: Future | None) -> None:
        try:
            if awaited is None:
                yielded = self._coro.send(None)
            elif awaited._error is not None:
                yielded = self._coro.throw(awaited._error)
            else:
                yielded = self._coro.send(awaited._value)
        except StopIteration as stop:
            self.set_result(stop.value)
            return
        except Exception as exc:
            self.set_exception(exc)
            return
        if isinstance(yielded, Future):
            yielded.add_done_callback(self._step)
            return
        refused = Future()
        refused.set_exception(
            TypeError(
                f"glome tasks await glome futures (node.rpc, node.sleep, ...), not {yielded!r}"
            )
        )
        self._step(refused)


class Timer:
    """A pending call of ``fn`` at ``deadline`` (and every ``interval`` if set).

    Times are whole nanoseconds of ``time.monotonic_ns``: a periodic timer's ticks
    then land exactly on multiples of its interval, where float seconds would drift
    by rounding (0.1 + 0.05 is not 0.15), which the virtual clock would show."""

    __slots__ = ("cancelled", "deadline", "fn", "interval")

    def __init__(self, fn: Callable[[], Any], delay: float, interval: float | None) -> None:
        self.fn = fn
        #: ns: the delay until the timer is started, then a monotonic_ns time; a positive
        #: delay is at least 1 ns, so a timer that re-arms itself always lets time move
        self.deadline = max(round(delay * 1e9), 1 if delay > 0 else 0)
        self.interval = None if interval is None else round(interval * 1e9)
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def _refuse_init(message_type: str) -> None:
    """init belongs to the runtime: no handler or mirror may take it."""
    if message_type == "init":
        raise ValueError("the runtime answers init itself; use node.on_init to set up")


def envelope_problem(msg: Any) -> str | None:
    """Why ``msg`` is not a well-formed Maelstrom message, or None."""
    if not isinstance(msg, dict):
        return f"a message must be a JSON object, not {type(msg).__name__}"
    for key in ("src", "dest"):
        if not isinstance(msg.get(key), str):
            return f"{key!r} must be a string"
    body = msg.get("body")
    if not isinstance(body, dict):
        return "'body' must be an object"
    if not isinstance(body.get("type"), str):
        return "'body.type' must be a string"
    msg_id = body.get("msg_id")
    if "msg_id" in body and (not isinstance(msg_id, int) or isinstance(msg_id, bool)):
        return "'body.msg_id' must be an integer"
    return None


#: ``msg["body"][key]``, checked as ``checked_field`` says: the core's, which takes the
#: common case (a dict body holding a ``kind`` at ``key``) without a Python frame
field = _core.field


def checked_field(msg: Message, key: str, kind: type | tuple[type, ...] = object) -> Any:
    """``msg["body"][key]``, checked: a request without it, or with a value that is not
    a ``kind``, is the sender's mistake, answered as malformed (12) and not as a crash.

    ``field`` hands every case but the common one here."""
    body = msg["body"]
    if key not in body:
        raise MalformedRequest(f"{body.get('type')!r} requests need {key!r}")
    value = body[key]
    if not isinstance(value, kind):
        raise MalformedRequest(f"{key!r} of {body.get('type')!r} cannot be {_show(value)}")
    return value


class Node:
    """One Maelstrom node: handlers by message type, RPCs, timers and the event loop."""

    def __init__(self) -> None:
        #: this node's id and every node's id (in Maelstrom's order), known after init
        self.id: str | None = None
        self.ids: list[str] = []
        self._core = _core.Core(self._dispatch, self._on_invalid_line, self._on_handler_error)
        self._async_handlers: dict[str, Handler] = {}
        self._init_hooks: list[Callable[[], Any]] = []
        self._pending: dict[int, tuple[Future, Timer]] = {}
        # A random start keeps a restarted process (same node id) from taking a late
        # reply meant for its predecessor as the answer to one of its own requests.
        self._msg_ids = itertools.count(1 + secrets.randbits(31))
        self._timers: list[tuple[int, int, Timer]] = []
        self._timer_order = itertools.count()
        self._cancelled_timers = 0
        self._unstarted_timers: list[Timer] = []

    # --- registration --------------------------------------------------------

    def on(self, message_type: str) -> Callable[[H], H]:
        """Decorator: handle messages whose ``body.type`` is ``message_type``."""
        _refuse_init(message_type)

        def register(handler: H) -> H:
            if inspect.iscoroutinefunction(handler):
                self._core.handlers.pop(message_type, None)
                self._async_handlers[message_type] = handler
            else:
                self._async_handlers.pop(message_type, None)
                self._core.handlers[message_type] = handler
            return handler

        return register

    def mirror(self, message_type: str, reply_type: str, required: tuple[str, ...] = ()) -> None:
        """Answer every ``message_type`` request with its own body, ``type`` set to
        ``reply_type`` and ``msg_id`` left out (a request without a ``required`` key is
        malformed): an echo declared rather than written as a handler, so that the
        compiled core answers it without decoding it."""
        _refuse_init(message_type)
        self._async_handlers.pop(message_type, None)
        self._core.mirror(message_type, reply_type, required)

    def on_init(self, hook: H) -> H:
        """Decorator: call ``hook()`` once ``node.id`` and ``node.ids`` are set, before init_ok."""
        self._init_hooks.append(hook)
        return hook

    # --- messages ------------------------------------------------------------

    def reply(self, msg: Message, body: Body) -> None:
        """Answer ``msg`` with ``body`` (``in_reply_to`` is added)."""
        self._core.reply_to(msg["src"], msg["body"].get("msg_id"), body)

    def send(self, dest: str, body: Body) -> None:
        """Send ``body`` to ``dest`` without expecting a reply (no ``msg_id``)."""
        self._core.send(dest, body)

    def rpc(self, dest: str, body: Body, timeout: float = DEFAULT_RPC_TIMEOUT) -> Future:
        """Send a request; the future holds the reply body or raises its typed error.

        No reply within ``timeout`` seconds raises ``errors.Timeout``; a reply that
        arrives later, or twice, is dropped.
        """
        msg_id = next(self._msg_ids)
        self._core.send(dest, {**body, "msg_id": msg_id})
        future = Future()
        timer = self._schedule(Timer(partial(self._rpc_timed_out, msg_id), timeout, None))
        self._pending[msg_id] = (future, timer)
        return future

    def _rpc_timed_out(self, msg_id: int) -> None:
        future, _ = self._pending.pop(msg_id)
        future.set_exception(Timeout(f"no reply to message {msg_id} in time"))

    def _settle_rpc(self, body: Body) -> bool:
        """Resolve the RPC that ``body`` answers; False when none is waiting for it."""
        in_reply_to = body["in_reply_to"]
        if type(in_reply_to) is not int:
            return False
        entry = self._pending.pop(in_reply_to, None)
        if entry is None:
            return False
        future, timer = entry
        timer.cancel()
        self._cancelled_timers += 1
        if body["type"] == "error":
            future.set_exception(error_from_body(body))
        else:
            future.set_result(body)
        return True

    # --- coroutines ------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> Task:
        """Run ``coro`` in the background; a failure is logged with its traceback."""
        task = Task(coro)
        task.add_done_callback(self._log_task_failure)
        return task

    def _log_task_failure(self, task: Future) -> None:
        error = task.exception()
        if error is not None:
            self._log_exception("a background task failed", error)

    def sleep(self, seconds: float) -> Future:
        """A future that settles after ``seconds``."""
        future = Future()
        self.after(seconds, partial(future.set_result, None))
        return future

    @staticmethod
    def gather(*futures: Future) -> Future:
        """A future of all results in order; it fails with the first error."""
        combined = Future()
        results: list[Any] = [None] * len(futures)
        remaining = [len(futures)]

        def settle(index: int, future: Future) -> None:
            if future._error is not None:
                combined.set_exception(future._error)
                return
            results[index] = future._value
            remaining[0] -= 1
            if remaining[0] == 0:
                combined.set_result(results)

        if not futures:
            combined.set_result(results)
        for index, future in enumerate(futures):
            future.add_done_callback(partial(settle, index))
        return combined

    # --- timers ----------------------------------------------------------------

    def after(self, seconds: float, fn: Callable[[], Any]) -> Timer:
        """Call ``fn()`` once after ``seconds`` (counted from init if it has not come yet)."""
        return self._start_after_init(Timer(fn, seconds, None))

    def every(self, seconds: float, fn: Callable[[], Any]) -> Timer:
        """Call ``fn()`` every ``seconds``, first after one period (counted from init)."""
        if seconds <= 0:
            raise ValueError("a periodic timer needs a positive period")
        return self._start_after_init(Timer(fn, seconds, seconds))

    def _start_after_init(self, timer: Timer) -> Timer:
        if self.id is None:
            self._unstarted_timers.append(timer)
            return timer
        return self._schedule(timer)

    def _schedule(self, timer: Timer) -> Timer:
        timer.deadline += time.monotonic_ns()
        heapq.heappush(self._timers, (timer.deadline, next(self._timer_order), timer))
        return timer

    def _fire_due_timers(self) -> None:
        timers = self._timers
        now = time.monotonic_ns()
        while timers and timers[0][0] <= now:
            _, _, timer = heapq.heappop(timers)
            if timer.cancelled:
                self._cancelled_timers = max(0, self._cancelled_timers - 1)
                continue
            self._call_timer(timer)
            if timer.interval is not None and not timer.cancelled:
                timer.deadline += timer.interval
                if timer.deadline <= now:  # fell behind: skip the missed ticks
                    timer.deadline = now + timer.interval
                heapq.heappush(timers, (timer.deadline, next(self._timer_order), timer))
        if self._cancelled_timers > 1024 and self._cancelled_timers * 2 > len(timers):
            timers[:] = [entry for entry in timers if not entry[2].cancelled]
            heapq.heapify(timers)
            self._cancelled_timers = 0

    def _call_timer(self, timer: Timer) -> None:
        try:
            result = timer.fn()
        except Exception as exc:
            self._log_exception("a timer callback failed", exc)
            return
        if inspect.iscoroutine(result):
            self.spawn(result)

    def _poll_timeout_ms(self) -> int:
        if not self._timers:
            return -1
        return max(0, math.ceil((self._timers[0][0] - time.monotonic_ns()) / 1_000_000))

    # --- dispatch (everything the core's fast path does not take) ----------------

    def _dispatch(self, msg: Any) -> None:
        problem = envelope_problem(msg)
        if problem is not None:
            self._reject(msg, problem)
            return
        body = msg["body"]
        if "in_reply_to" in body and self._settle_rpc(body):
            return
        kind = body["type"]
        if kind == "init":
            self._init(msg)
            return
        if self._core.node_id is None:
            # Not initialised yet: answer as the id the sender addressed.
            self._core.set_node_id(msg["dest"])
        handler = self._core.handlers.get(kind) or self._async_handlers.get(kind)
        if handler is None:
            if "in_reply_to" in body:
                if self.logs_at("debug"):
                    self.log(f"dropped a reply nobody waits for: {_show(body)}", "debug")
            else:
                self._answer_error(msg, NotSupported(f"no handler for message type {kind!r}"))
            return
        try:
            result = handler(msg)
            if inspect.iscoroutine(result):
                Task(result).add_done_callback(partial(self._finish_async, msg))
            elif result is not None:
                # a plain handler returns its reply body (on() keeps async ones apart)
                self.reply(msg, cast(Body, result))
        except Exception as exc:
            self._on_handler_error(msg, exc)

    def _finish_async(self, msg: Message, task: Future) -> None:
        error = task.exception()
        if error is not None:
            self._on_handler_error(msg, error)
            return
        try:
            result = task.result()
            if result is not None:
                self.reply(msg, result)
        except Exception as exc:
            self._on_handler_error(msg, exc)

    def _init(self, msg: Message) -> None:
        body = msg["body"]
        node_id, node_ids = body.get("node_id"), body.get("node_ids")
        if not isinstance(node_id, str) or not (
            isinstance(node_ids, list) and all(isinstance(i, str) for i in node_ids)
        ):
            self._reject(msg, "init needs a string node_id and a list of string node_ids")
            return
        if self.id is not None:
            self._init_again(msg, node_id, node_ids)
            return
        self.id, self.ids = node_id, node_ids
        self._core.set_node_id(node_id)
        self.log(f"initialised as {node_id} of {node_ids} ({BACKEND} core)", "info")
        try:
            for hook in self._init_hooks:
                hook()
        except Exception as exc:
            self._on_handler_error(msg, exc)
            return
        unstarted, self._unstarted_timers = self._unstarted_timers, []
        for timer in unstarted:
            self._schedule(timer)
        self.reply(msg, _init_ok())

    def _init_again(self, msg: Message, node_id: str, node_ids: list[str]) -> None:
        """Maelstrom inits once: a repeat is acknowledged, never run again, so init hooks
        do not start their timers once more (without bound) or reset the node's state."""
        if (node_id, node_ids) == (self.id, self.ids):
            self.reply(msg, _init_ok())
            return
        self._reject(msg, f"already initialised as {self.id!r} of {_show(self.ids)}")

    def _on_handler_error(self, msg: Message, error: BaseException) -> None:
        if isinstance(error, RPCError):
            self.log(f"answered {msg['body'].get('type')!r} with {error!r}", "debug")
            self._answer_error(msg, error)
            return
        self._log_exception(f"handler for {msg['body'].get('type')!r} crashed", error)
        self._answer_error(msg, Crash(f"{type(error).__name__}: {error}"))

    def _answer_error(self, msg: Message, error: RPCError) -> None:
        """Send ``error`` in reply to ``msg`` when it can be answered at all."""
        src = msg.get("src") if isinstance(msg, dict) else None
        body = msg.get("body") if isinstance(msg, dict) else None
        msg_id = body.get("msg_id") if isinstance(body, dict) else None
        if not isinstance(src, str) or not isinstance(msg_id, int) or isinstance(msg_id, bool):
            return  # nothing to correlate an error with
        if self._core.node_id is None:
            dest = msg.get("dest")
            if not isinstance(dest, str):
                return  # we do not know our own id yet
            self._core.set_node_id(dest)
        self._core.reply_to(src, msg_id, error.body())

    def _reject(self, msg: Any, problem: str) -> None:
        self.log(f"malformed message ({problem}): {_show(msg)}", "warning")
        self._answer_error(msg, MalformedRequest(problem))

    def _on_invalid_line(self, line: bytes) -> None:
        """A line that is not JSON, or the head of one over the core's ``line_limit``."""
        if not line.strip():
            return  # blank lines carry nothing
        if len(line) >= self._core.line_limit:
            what = f"input line is longer than {self._core.line_limit} bytes, dropped"
            problem = f"the request is longer than {self._core.line_limit} bytes"
        else:
            what, problem = "input line is not JSON", "the request is not valid JSON"
        quoted = repr(line[:LOGGED_LINE_LIMIT])
        self.log(f"{what}: {quoted}{'...' if len(line) > LOGGED_LINE_LIMIT else ''}", "warning")
        src, msg_id = _RAW_SRC.search(line), _RAW_MSG_ID.search(line)
        if src and msg_id:
            recovered = {"src": src.group(1).decode(), "body": {"msg_id": int(msg_id.group(1))}}
            self._answer_error(recovered, MalformedRequest(problem))

    # --- logging -----------------------------------------------------------------

    def logs_at(self, level: str) -> bool:
        """Whether ``log(..., level)`` would print: check before building costly messages."""
        return LOG_LEVELS[level] >= LOG_THRESHOLD

    def log(self, text: str, level: str = "info") -> None:
        """Write ``text`` to stderr if GLOME_LOG lets ``level`` through."""
        if LOG_LEVELS[level] >= LOG_THRESHOLD:
            _write_stderr(f"{self.id or '-'} {level}: {text}\n")

    def _log_exception(self, what: str, error: BaseException) -> None:
        if self.logs_at("error"):
            trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            self.log(f"{what}:\n{trace}", "error")

    # --- the event loop ------------------------------------------------------------

    def run(self, stdin: int = 0, stdout: int = 1) -> int:
        """Serve until end of input; return the exit status (0)."""
        if SIM_CLOCK is not None:
            return self._run_simulated(SIM_CLOCK, stdin, stdout)
        core = self._core
        poller = select.poll()
        poller.register(stdin, select.POLLIN)
        watching_stdout = False
        reading_stdin = True
        for fd in (stdin, stdout):
            _widen_pipe(fd)
        was_blocking = os.get_blocking(stdout)
        os.set_blocking(stdout, False)
        # stdout belongs to the protocol: a stray print() in a handler goes to stderr
        python_stdout, sys.stdout = sys.stdout, sys.stderr
        try:
            while True:
                for fd, _ in poller.poll(self._poll_timeout_ms()):
                    if fd != stdin:
                        continue
                    try:
                        data = os.read(stdin, READ_SIZE)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        self.log("end of input", "debug")
                        core.finish()
                        self._drain(stdout)
                        return 0
                    core.feed(data)
                if self._timers:
                    self._fire_due_timers()
                left = core.flush(stdout) if core.pending else 0
                if left and not watching_stdout:
                    poller.register(stdout, select.POLLOUT)
                    watching_stdout = True
                elif not left and watching_stdout:
                    poller.unregister(stdout)
                    watching_stdout = False
                if (left > OUTPUT_BACKLOG_LIMIT) == reading_stdin:
                    reading_stdin = not reading_stdin
                    if reading_stdin:
                        poller.register(stdin, select.POLLIN)
                    else:
                        poller.unregister(stdin)
        except BrokenPipeError:
            self.log("stdout was closed; stopping", "debug")
            return 0
        finally:
            sys.stdout = python_stdout
            os.set_blocking(stdout, was_blocking)

    def _run_simulated(self, clock: simulation.VirtualClock, stdin: int, stdout: int) -> int:
        """Serve in lock-step with ``glome test --sim`` (docs/simulation.md): take a step's
        messages, handle them and every timer due at its time, write what that sent and
        report the next timer. Handling takes no virtual time; ``time.sleep`` does."""
        steps = simulation.StepReader(stdin, READ_SIZE)
        inputs: deque[bytes] = deque()

        def sleep_until(until: int) -> None:
            _write_all(stdout, self._core.take_output() + simulation.sleep_line(until))
            step = steps.next_step()
            if step is None:  # the bench is gone; the main loop sees the end of input next
                clock.now_ns = until
                return
            clock.now_ns = step[1]
            inputs.append(step[0])

        python_stdout, sys.stdout = sys.stdout, sys.stderr
        clock.sleeper = sleep_until
        try:
            while True:
                step = steps.next_step()
                if step is None:
                    self._core.feed(steps.leftover())
                    self._core.finish()
                    _write_all(stdout, self._core.take_output())
                    return 0
                clock.now_ns = step[1]
                inputs.append(step[0])
                while True:
                    while inputs:
                        self._core.feed(inputs.popleft())
                    if not (self._timers and self._timers[0][0] <= clock.now_ns):
                        break
                    self._fire_due_timers()
                report = simulation.idle_line(self._next_timer_ns())
                _write_all(stdout, self._core.take_output() + report)
        except BrokenPipeError:
            return 0
        finally:
            clock.sleeper = None
            sys.stdout = python_stdout

    def _next_timer_ns(self) -> int | None:
        """When the earliest live timer is due, in virtual ns (cancelled ones are dropped)."""
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
            self._cancelled_timers = max(0, self._cancelled_timers - 1)
        return timers[0][0] if timers else None

    def _drain(self, stdout: int) -> None:
        """Write everything still buffered, waiting for the reader as long as it takes."""
        while self._core.flush(stdout):
            select.select([], [stdout], [])


def _init_ok() -> Body:
    """init_ok; under --sim it announces the simulation protocol (docs/simulation.md)."""
    if SIM_CLOCK is None:
        return {"type": "init_ok"}
    return {"type": "init_ok", simulation.KEY: simulation.VERSION}


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a blocking ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _widen_pipe(fd: int) -> None:
    """Ask for a 1 MiB pipe buffer (Linux): fewer wake-ups and writes per message."""
    # not a pipe, not Linux, or above the system's pipe-max-size: keep the default
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)


def _show(msg: Any) -> str:
    """A message as the log quotes it: bounded in depth and length, whatever it holds."""
    return _clip(_LOGGED_MESSAGE.repr(msg))


def _clip(text: str) -> str:
    if len(text) <= LOGGED_LINE_LIMIT:
        return text
    return f"{text[:LOGGED_LINE_LIMIT]}... ({len(text)} characters)"
