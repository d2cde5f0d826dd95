"""Node processes (docs/maelstrom.md §3): spawn, pipe lines in and out, log stderr, report crashes.

Each node binary runs in its own process group so that every child it forks
dies with it. Output lines are parsed and handed to the network; the first
malformed line stops reading that node for good, as Maelstrom's stdout thread
does (docs/maelstrom.md §3.3) -- glome says so loudly, since the symptom (a node that goes
silent) is otherwise baffling. Messages for a node are batched and written
once per loop tick.

Memory stays bounded whatever a node does, where Maelstrom's JVM would grow
until it died: glome keeps at most ``STDIN_BACKLOG_LIMIT`` bytes waiting for
a node's stdin and discards, counts and reports what arrives beyond that
(Maelstrom queues without limit); it gives up on a node's stdout after an
unfinished line of ``MAX_LINE_BYTES`` (Maelstrom reads on); and the crash
report's rings keep at most ``TAIL_LINE_BYTES`` of each line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from glome.bench.loop import Loop
from glome.bench.net import NetError, Network
from glome.protocol import ENVELOPE_KEYS, ENVELOPE_OPTIONAL_KEYS

RING = 32  # lines of stdout/stderr kept for crash reports
TAIL_LINE_BYTES = 4096  # of each of them
MAX_LINE_BYTES = 64 << 20  # an unfinished line longer than this is given up on
STDIN_BACKLOG_LIMIT = 16 << 20  # bytes waiting for a node's stdin before glome discards
READ_SIZE = 1 << 16


class NodeCrashed(Exception):
    """A node exited before teardown: Maelstrom aborts the test (exit 255)."""


class NodeOutputError(Exception):
    """A line on a node's stdout that Maelstrom would refuse."""


def parse_line(node_id: str, line: bytes) -> tuple[str, str, Any]:
    """(src, dest, body) of one stdout line, or NodeOutputError with Maelstrom's text."""
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        parsed = _first_json_value(line)
        if parsed is _UNRELAYABLE:
            raise NodeOutputError(
                f"Node {node_id} printed a line to STDOUT that glome cannot relay: it holds an "
                "integer beyond 64 bits or a lone UTF-16 surrogate (Maelstrom's JSON library "
                "would pass these on; glome's cannot re-encode them):\n"
                + line.decode("utf-8", "replace")[:4096]
            ) from None
        if parsed is _INVALID:
            text = line.decode("utf-8", "replace")
            raise NodeOutputError(
                f"Node {node_id} printed a line to STDOUT which was not well-formed JSON:\n"
                f"{text}\nDid you mean to encode this line as JSON? Or was this line intended "
                "for STDERR? See doc/protocol.md for more guidance."
            ) from None
    # The common case, checked cheaply; anything else gets the full diagnosis.
    if type(parsed) is dict and len(parsed) == 3:
        src = parsed.get("src")
        dest = parsed.get("dest")
        body = parsed.get("body")
        if type(src) is str and type(dest) is str and type(body) is dict:
            return src, dest, body
    parsed = _as_map(parsed)
    if type(parsed) is dict and "body" in parsed:
        parsed["body"] = _as_map(parsed["body"])
    why = envelope_violation(parsed)
    if why:
        raise NodeOutputError(
            f"Malformed network message. Node {node_id} tried to send the following message "
            f"via STDOUT:\n\n{line.decode('utf-8', 'replace')}\n\nThis is malformed because:\n\n"
            f"{why}\n\nSee doc/protocol.md for more guidance."
        )
    return parsed["src"], parsed["dest"], parsed["body"]


_INVALID = object()
_UNRELAYABLE = object()


def _as_map(value: Any) -> Any:
    """What Maelstrom makes of a value it reads as a map (the envelope, and its body):
    it folds the value's entries into a map, so ``null`` and ``[]`` become ``{}`` and
    an array of ``[key, value]`` pairs becomes their map, later pairs winning
    (docs/protocol.md). Anything else is returned as it is, to be refused."""
    if value is None:
        return {}
    if type(value) is list and all(
        type(pair) is list and len(pair) == 2 and type(pair[0]) is str for pair in value
    ):
        return dict(value)
    return value


def _first_json_value(line: bytes) -> Any:
    """Maelstrom's JSON reader stops after the first value on a line; mirror that."""
    try:
        text = line.decode("utf-8").lstrip()
        value, _ = json.JSONDecoder().raw_decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # nesting past ~1000 levels
        return _INVALID
    try:
        orjson.dumps(value)  # the router re-encodes every body it delivers
    except (TypeError, orjson.JSONEncodeError):
        return _UNRELAYABLE
    return value


def envelope_violation(parsed: Any) -> str | None:
    """Why ``parsed`` is not a closed envelope ``{src, dest, body[, id]}``, or None."""
    if type(parsed) is not dict:
        return "the line is not a JSON object"
    extra = parsed.keys() - ENVELOPE_KEYS - ENVELOPE_OPTIONAL_KEYS
    if extra:
        return f"disallowed top-level key(s) {sorted(extra)}"
    missing = [key for key in ("src", "dest", "body") if key not in parsed]
    if missing:
        return f"missing required key(s) {missing}"
    if type(parsed["src"]) is not str:
        return "src must be a string"
    if type(parsed["dest"]) is not str:
        return "dest must be a string"
    if type(parsed["body"]) is not dict:
        return "body must be a JSON object"
    message_id = parsed.get("id")
    if "id" in parsed and (type(message_id) is not int):
        return "id must be an integer"
    return None


def _yield_to_bench(pid: int) -> None:
    """Schedule the node as a batch task: it gets the same CPU share, but waking it
    (each write to its stdin) no longer preempts the bench's loop, which would
    otherwise deliver late whenever nodes are busy."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(pid, os.SCHED_BATCH, os.sched_param(0))


class LineBuffer:
    """Splits a pipe's bytes into lines where Java's readLine does (``\\n``, ``\\r\\n``,
    ``\\r``), as Maelstrom reads both of a node's outputs. The unfinished line is kept
    as chunks and joined once it ends, so a megabyte line is not copied on every read."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0  # bytes of the unfinished line

    def feed(self, data: bytes) -> list[bytes]:
        """The lines ``data`` finishes."""
        if b"\n" not in data and b"\r" not in data:
            self._chunks.append(data)
            self.size += len(data)
            return []
        buffer = b"".join((*self._chunks, data)) if self._chunks else data
        if b"\r" in buffer:
            # keep a trailing \r back, for a \n that may follow in the next read
            keep_cr = buffer.endswith(b"\r")
            buffer = buffer[:-1] if keep_cr else buffer
            lines = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            last = lines.pop() + (b"\r" if keep_cr else b"")
        else:
            lines = buffer.split(b"\n")
            last = lines.pop()
        self._chunks = [last] if last else []
        self.size = len(last)
        return lines

    def unfinished(self) -> bytes:
        return b"".join(self._chunks)

    def take_unfinished(self) -> bytes:
        """The unfinished line, which is then forgotten."""
        line = self.unfinished()
        self._chunks = []
        self.size = 0
        return line


class NodeProcess:
    """One node binary and its three pipes."""

    #: run the node as a batch task, so that waking it never preempts the bench's loop
    batch_scheduling = True

    def __init__(
        self,
        node_id: str,
        argv: list[str],
        cwd: str,
        log_path: Path,
        loop: Loop,
        net: Network,
        on_poison: Callable[[str, str], None],
        on_exit: Callable[[NodeProcess], None],
        echo_stderr: Callable[[str], None] | None = None,
        on_overflow: Callable[[NodeProcess], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``env``: the node's environment (None: the bench's own)."""
        self.node_id = node_id
        self.env = env
        self.argv = argv
        self.cwd = cwd
        self.log_path = log_path
        self.loop = loop
        self.net = net
        self._on_poison = on_poison
        self._on_exit = on_exit
        self._echo_stderr = echo_stderr
        self._on_overflow = on_overflow
        self.stdout_tail: deque[bytes] = deque(maxlen=RING)
        self.stderr_tail: deque[bytes] = deque(maxlen=RING)
        self.poisoned: str | None = None
        self._stdout_lines = LineBuffer()
        self._stderr_lines = LineBuffer()
        self._stdin_queue: deque[bytes | memoryview] = deque()  # not yet taken by the pipe
        self.stdin_backlog = 0  # bytes in _stdin_queue
        self._watching_stdin = False  # the loop calls _write_queued when the pipe has room
        #: messages (and their bytes) discarded because the stdin backlog was full
        self.discarded_messages = 0
        self.discarded_bytes = 0
        self._log: IO[bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_closed = False
        self.killed = False  # for good, at teardown
        #: killed by the nemesis and not yet restarted: what is delivered to it is lost
        self.down = False
        self.paused = False  # stopped by the nemesis (SIGSTOP) until resumed
        #: how many times the process was started before this one (restarts after kills)
        self.incarnation = -1
        self._reaped = True

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        """Spawn the node's process, the first time or again after a kill. Its stderr
        goes on to the same log; its network id, and the queue in it, stay as they were."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the node's lifetime
        self.incarnation += 1
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.cwd,
            start_new_session=True,  # own process group: killpg reaches its children too
            bufsize=0,
            env=self.env,
        )
        if self.batch_scheduling:
            _yield_to_bench(self.proc.pid)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)  # type: ignore[union-attr]
        self.loop.add_reader(self.proc.stdout.fileno(), self._read_stdout)  # type: ignore[union-attr]
        self.loop.add_reader(self.proc.stderr.fileno(), self._read_stderr)  # type: ignore[union-attr]
        self._reaped = False
        self.down = self.paused = False
        if not self.net.has(self.node_id):
            self.net.register(self.node_id, None, batching=True)

    def exited(self) -> int | None:
        """The exit status if the process has exited by itself, else None (a process the
        nemesis killed has not crashed)."""
        return None if self.proc is None or self.down else self.proc.poll()

    def kill(self) -> None:
        """For good, at teardown: SIGKILL the whole process group (Maelstrom's
        destroyForcibly), reap it, close its log and leave the network; once only."""
        if self.proc is None or self.killed:
            return
        self.killed = True
        self.stop_process()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.net.unregister(self.node_id)

    def stop_process(self) -> None:
        """SIGKILL the process group and reap it (once only, since a reaped pid may be
        reused); what it wrote to stderr still goes to its log. The node keeps its place
        in the network: ``start`` brings it back."""
        if self.proc is None or self._reaped:
            return
        self._reaped = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._drain_stderr()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.loop.remove_reader(stream.fileno())
                    self.loop.remove_writer(stream.fileno())
                with contextlib.suppress(OSError):
                    stream.close()
        self._stdin_queue.clear()
        self.stdin_backlog = 0
        self._watching_stdin = False
        self._stdout_lines = LineBuffer()
        self._stderr_lines = LineBuffer()
        self.stderr_closed = False

    # -- faults (the nemesis) ---------------------------------------------
    def crash(self) -> None:
        """The nemesis kills the node: its process dies, and until ``start`` brings it
        back, messages delivered to it are lost (and so are those still waiting for it)."""
        self.stop_process()
        self.net.drain(self.node_id)
        self.down = True
        self.paused = False

    def pause(self) -> None:
        """SIGSTOP the process group: messages for it wait in its pipe."""
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self._signal(signal.SIGCONT)
        self.paused = False

    def _signal(self, signum: int) -> None:
        if self.proc is not None and not self._reaped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signum)

    def crash_report(self, status: int) -> str:
        self._drain_stderr()

        def lines(tail: deque[bytes]) -> str:
            return "\n".join(line.decode("utf-8", "replace") for line in tail)

        stdout = deque(self.stdout_tail, maxlen=RING)
        stderr = deque(self.stderr_tail, maxlen=RING)
        for tail, buffer in ((stdout, self._stdout_lines), (stderr, self._stderr_lines)):
            if buffer.size:
                keep_tail(tail, [buffer.unfinished()])
        return (
            f"Node {self.node_id} crashed with exit status {status}. Before crashing, it wrote "
            f"to STDOUT:\n\n{lines(stdout)}\n\nAnd to STDERR:\n\n"
            f"{lines(stderr)}\n\nFull STDERR logs are available in {self.log_path}"
        )

    # -- input to the node ------------------------------------------------
    def flush(self) -> None:
        """Write what the network delivered to this node since the last flush, in one
        call, and record how late each message was against when it was due."""
        data, dues = self.net.drain(self.node_id)
        if not dues or self.down:
            return  # nothing, or lost: no process reads them
        self.net.router.record_written(dues, self.loop.now())
        pipe_full = bool(self._stdin_queue)  # then this waits its turn behind the rest
        if pipe_full and self.stdin_backlog + len(data) > STDIN_BACKLOG_LIMIT:
            self._discard(len(dues), len(data))
            return
        self._stdin_queue.append(data)
        self.stdin_backlog += len(data)
        if not pipe_full:
            self._write_queued()

    def _discard(self, messages: int, size: int) -> None:
        first = not self.discarded_messages
        self.discarded_messages += messages
        self.discarded_bytes += size
        if first and self._on_overflow is not None:
            self._on_overflow(self)

    def _write_queued(self) -> None:
        """Hand the pipe as much of the queue as it takes now; watch it for the rest."""
        stdin = self.proc.stdin if self.proc else None
        if stdin is None or stdin.closed:
            return
        fd = stdin.fileno()
        queue = self._stdin_queue
        while queue:
            head = queue[0]
            try:
                written = os.write(fd, head)
            except BlockingIOError:
                break
            except OSError:  # the node is gone; Maelstrom swallows these too
                queue.clear()
                self.stdin_backlog = 0
                break
            self.stdin_backlog -= written
            if written < len(head):
                queue[0] = memoryview(head)[written:]  # no copy of a megabyte remainder
                break
            queue.popleft()
        if bool(queue) != self._watching_stdin:
            self._watching_stdin = bool(queue)
            if queue:
                self.loop.add_writer(fd, self._write_queued)
            else:
                self.loop.remove_writer(fd)

    # -- output from the node ---------------------------------------------
    def _read(self, fd: int) -> bytes | None:
        """What the pipe holds now; b"" at end of file (then it is no longer watched)."""
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self.loop.remove_reader(fd)
        return data

    def _read_stdout(self) -> None:
        data = self._read(self.proc.stdout.fileno())  # type: ignore[union-attr]
        if data is None:
            return
        if not data:
            self._on_exit(self)
            return
        lines = self._stdout_lines.feed(data)
        keep_tail(self.stdout_tail, lines)
        self._route(lines)
        if self._stdout_lines.size > MAX_LINE_BYTES and self.poisoned is None:
            self._refuse_endless_line()

    def _route(self, lines: list[bytes]) -> None:
        """Hand the lines to the network; the first bad one stops this node's stdout."""
        net = self.net
        index = 0
        while index < len(lines):
            if not net.log_send:  # else the per-message path, so each send is logged
                index = net.route_lines(lines, index)
                if index < 0:
                    return
            try:  # the bulk path stopped here: diagnose (and route) this line alone
                src, dest, body = parse_line(self.node_id, lines[index])
                # journaled re-encoded: the line may hold more than the message it meant
                net.send(src, dest, body, None)
            except (NodeOutputError, NetError) as error:
                self._poison(str(error))
                return
            index += 1

    def _refuse_endless_line(self) -> None:
        """Maelstrom would read an unending line into memory until it ran out: stop."""
        start = self._stdout_lines.take_unfinished()[:200].decode("utf-8", "replace")
        self._poison(
            f"Node {self.node_id} printed more than {MAX_LINE_BYTES} bytes to STDOUT without "
            f"ending the line. Maelstrom would keep reading it into memory without limit; "
            f"glome gives up on this node's output. The line began:\n{start}"
        )

    def _poison(self, text: str) -> None:
        """Stop reading this node's stdout for the rest of the test (docs/maelstrom.md §3.3)."""
        self.poisoned = text
        self.loop.remove_reader(self.proc.stdout.fileno())  # type: ignore[union-attr]
        self._on_poison(self.node_id, text)

    def _read_stderr(self) -> None:
        data = self._read(self.proc.stderr.fileno())  # type: ignore[union-attr]
        if data is None:
            return
        if not data:
            self.stderr_closed = True
            return
        self._stderr_data(data)

    def _drain_stderr(self) -> None:
        """Whatever stderr the node wrote before teardown still goes to its log."""
        stream = self.proc.stderr if self.proc else None
        if stream is None or stream.closed or self.stderr_closed:
            return
        while True:
            try:
                data = os.read(stream.fileno(), READ_SIZE)
            except OSError:
                return
            if not data:
                return
            self._stderr_data(data)

    def _stderr_data(self, data: bytes) -> None:
        if self._log is not None:
            self._log.write(data)
            self._log.flush()
        lines = self._stderr_lines.feed(data)
        if self._stderr_lines.size > MAX_LINE_BYTES:  # the log has it all; the ring, enough
            lines.append(self._stderr_lines.take_unfinished())
        keep_tail(self.stderr_tail, lines)
        for line in lines:
            if self._echo_stderr is not None:
                self._echo_stderr(f"{self.node_id} stderr: {line.decode('utf-8', 'replace')}")


def keep_tail(tail: deque[bytes], lines: list[bytes]) -> None:
    """Add the last lines to a crash-report ring, each cut to TAIL_LINE_BYTES."""
    for line in lines[-RING:]:
        if len(line) > TAIL_LINE_BYTES:
            line = line[:TAIL_LINE_BYTES] + b" ... (%d more bytes)" % (len(line) - TAIL_LINE_BYTES)
        tail.append(line)
