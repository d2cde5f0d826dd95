"""glome's lock-step simulation protocol, and a node's virtual clock (docs/simulation.md).

Under ``glome test --sim`` the bench and every node process advance together
on one virtual clock. The bench starts each node with ``GLOME_SIM`` (the
protocol version), ``GLOME_SIM_SEED`` and ``GLOME_SIM_NODE`` in its
environment, then speaks in *steps*: the Maelstrom messages due for the node
at virtual time T, followed by one control line ``{"glome_sim":"step","now":T}``.
The node handles them, fires every timer due at or before T, writes what it
sends, and ends the step with one report line: ``{"glome_sim":"idle","next":N}``
(its next timer, or null) or, from inside ``time.sleep``,
``{"glome_sim":"sleep","until":U}``. A node announces that it speaks the
protocol with ``"glome_sim": 1`` in its ``init_ok`` body.

This module holds what both sides share (the names, the two control lines and
their parsers) and the node side's virtual time: ``install`` makes the
``time`` module read the virtual clock and seeds every source of randomness
from the run's seed and the node's id, so that a node on glome's runtime needs
no code change to run deterministically.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

import orjson

#: the protocol version a node announces in ``init_ok`` and the bench sets in GLOME_SIM
VERSION = 1
#: environment variables the bench sets for each node process under --sim
ENV_VERSION = "GLOME_SIM"
ENV_SEED = "GLOME_SIM_SEED"
ENV_NODE = "GLOME_SIM_NODE"
#: how many times this node's process was started before (a restart after a kill)
ENV_INCARNATION = "GLOME_SIM_INCARNATION"
ENV_NAMES = (ENV_VERSION, ENV_SEED, ENV_NODE, ENV_INCARNATION)
#: the key of the control lines, and of the announcement in ``init_ok``
KEY = "glome_sim"
#: every control line starts with these bytes, which no Maelstrom message does
CONTROL_PREFIX = b'{"glome_sim":'
#: the wall-clock time a node reads at virtual time 0: 2026-01-01T00:00:00Z
EPOCH_NS = 1_767_225_600 * 1_000_000_000
SECOND_NS = 1_000_000_000


class ProtocolError(Exception):
    """A control line that breaks the protocol."""


# ------------------------------------------------------------------ the lines


def step_line(now_ns: int) -> bytes:
    """The bench's line that ends a step: everything above it arrived at ``now_ns``."""
    return b'{"glome_sim":"step","now":%d}\n' % now_ns


def idle_line(next_ns: int | None) -> bytes:
    """The node's report that it finished the step; ``next_ns``: its next timer."""
    if next_ns is None:
        return b'{"glome_sim":"idle","next":null}\n'
    return b'{"glome_sim":"idle","next":%d}\n' % next_ns


def sleep_line(until_ns: int) -> bytes:
    """The node's report that it blocks (``time.sleep``) until ``until_ns``."""
    return b'{"glome_sim":"sleep","until":%d}\n' % until_ns


def is_control(line: bytes) -> bool:
    return line.startswith(CONTROL_PREFIX)


def _parse(line: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        parsed = None
    if type(parsed) is not dict:
        raise ProtocolError(f"not a JSON object: {line[:200]!r}")
    return parsed


def _time_field(parsed: dict[str, Any], key: str, line: bytes, nullable: bool) -> int | None:
    value = parsed.get(key)
    if value is None and nullable and key in parsed:
        return None
    if type(value) is not int or value < 0:
        kind = "a non-negative integer (ns)" + (" or null" if nullable else "")
        raise ProtocolError(f"{key!r} must be {kind}: {line[:200]!r}")
    return value


def parse_step(line: bytes) -> int:
    """The virtual time of a step line."""
    parsed = _parse(line)
    if parsed.get(KEY) != "step":
        raise ProtocolError(f"expected a step line, got {line[:200]!r}")
    now = _time_field(parsed, "now", line, nullable=False)
    assert now is not None
    return now


def parse_report(line: bytes) -> tuple[str, int | None]:
    """``("idle", next_ns or None)`` or ``("sleep", until_ns)`` from a node's report."""
    parsed = _parse(line)
    kind = parsed.get(KEY)
    if kind == "idle":
        return "idle", _time_field(parsed, "next", line, nullable=True)
    if kind == "sleep":
        return "sleep", _time_field(parsed, "until", line, nullable=False)
    raise ProtocolError(f'a node reports "idle" or "sleep", not {line[:200]!r}')


def seconds_to_ns(seconds: float) -> int:
    """The first virtual ns at or after ``seconds`` (a float duration or time).

    The smallest integer n with n / 1e9 >= seconds, so that code comparing float
    seconds (a ``time.sleep``) finds its time come when woken at n.
    """
    ns = math.ceil(seconds * SECOND_NS)
    while ns / SECOND_NS < seconds:
        ns += 1
    while ns > 0 and (ns - 1) / SECOND_NS >= seconds:
        ns -= 1
    return ns


# ------------------------------------------------------------- the node side


class VirtualClock:
    """The node's view of virtual time: set by each step, read by the ``time`` module."""

    def __init__(self) -> None:
        self.now_ns = 0
        #: blocks until the given virtual ns (the runtime's lock-step sleep); before the
        #: runtime runs, a sleep just moves this process's clock on
        self.sleeper: Callable[[int], None] | None = None

    def monotonic(self) -> float:
        return self.now_ns / SECOND_NS

    def monotonic_ns(self) -> int:
        return self.now_ns

    def time(self) -> float:
        return (EPOCH_NS + self.now_ns) / SECOND_NS

    def time_ns(self) -> int:
        return EPOCH_NS + self.now_ns

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        until = self.now_ns + seconds_to_ns(seconds)
        if until <= self.now_ns:
            return
        if self.sleeper is None:
            self.now_ns = until
        else:
            self.sleeper(until)


def requested() -> bool:
    """Whether this process was started by ``glome test --sim``."""
    return bool(os.environ.get(ENV_VERSION))


def install() -> VirtualClock:
    """Make ``time`` read a virtual clock and seed randomness from the run (see module doc).

    ``random``'s global generator is seeded from GLOME_SIM_SEED, GLOME_SIM_NODE and
    GLOME_SIM_INCARNATION (so a restarted process draws anew); ``os.urandom`` (behind
    ``secrets``, ``uuid.uuid4`` and ``random.SystemRandom``) returns bytes from a second
    generator seeded the same way. Code that bound
    ``time.time`` and friends to its own names before this ran keeps the real ones.
    """
    version = os.environ.get(ENV_VERSION, "")
    if version != str(VERSION):
        raise ProtocolError(
            f"{ENV_VERSION}={version!r}: this glome speaks simulation protocol {VERSION}"
        )
    seed = os.environ.get(ENV_SEED, "0")
    node = os.environ.get(ENV_NODE, "")
    incarnation = os.environ.get(ENV_INCARNATION, "0")
    clock = VirtualClock()
    time.time = clock.time
    time.time_ns = clock.time_ns
    time.monotonic = clock.monotonic
    time.monotonic_ns = clock.monotonic_ns
    time.perf_counter = clock.monotonic
    time.perf_counter_ns = clock.monotonic_ns
    # narrower than typeshed's (float | SupportsIndex): nodes sleep for int or float seconds
    time.sleep = clock.sleep  # type: ignore[assignment]
    random.seed(f"{seed}:{node}:{incarnation}")
    entropy = random.Random(f"{seed}:{node}:{incarnation}:urandom")
    os.urandom = entropy.randbytes
    random._urandom = entropy.randbytes  # type: ignore[attr-defined]  # SystemRandom, secrets
    return clock


class StepReader:
    """Reads a node's stdin a step at a time: the message bytes, then the step's time."""

    def __init__(self, fd: int, read_size: int = 1 << 20) -> None:
        self._fd = fd
        self._read_size = read_size
        self._buffer = bytearray()
        self._searched = 0  # no control line starts before this offset

    def next_step(self) -> tuple[bytes, int] | None:
        """The messages of the next step (whole lines) and its virtual time; None at the
        end of input (``leftover`` then holds any unfinished step)."""
        buffer = self._buffer
        while True:
            start = self._find_control()
            if start >= 0:
                end = buffer.find(b"\n", start)
                if end >= 0:
                    now = parse_step(bytes(buffer[start:end]))
                    messages = bytes(buffer[:start])
                    del buffer[: end + 1]
                    self._searched = 0
                    return messages, now
            data = os.read(self._fd, self._read_size)
            if not data:
                return None
            buffer += data

    def leftover(self) -> bytes:
        """Input read after the last step line (an unfinished step at end of input)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def _find_control(self) -> int:
        buffer = self._buffer
        if self._searched == 0 and buffer.startswith(CONTROL_PREFIX):
            return 0
        found = buffer.find(b"\n" + CONTROL_PREFIX, max(0, self._searched - 1))
        if found < 0:
            self._searched = max(0, len(buffer) - len(CONTROL_PREFIX))
            return -1
        return found + 1
