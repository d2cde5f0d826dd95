"""The history a test records and the checkers read (docs/maelstrom.md §6.3).

An operation is a plain dict, the Jepsen op map with keywords written as
strings without the colon, so it round-trips through JSON unchanged:

    index    dense position in the history, from 0
    time     nanoseconds since the test started
    type     "invoke" | "ok" | "fail" | "info"   (nemesis invocations are "info")
    process  worker process id (int) or "nemesis"
    f        the operation, e.g. "read", "broadcast", "txn", "start-partition"
    value    workload-specific payload (JSON-compatible: lists, not tuples)
    error    optional: why it failed / is indeterminate
    exception optional: exception data of an indeterminate op
    final?   optional: True on final-phase reads that set it

A completion is its invocation with type/value/error replaced, so extra keys
(``final?``) carry over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glome.bench.options import TestOptions

Op = dict[str, Any]

INVOKE = "invoke"
OK = "ok"
FAIL = "fail"
INFO = "info"
NEMESIS = "nemesis"

#: Maelstrom's validity values, merged with priority false > unknown > true.
UNKNOWN = "unknown"
Validity = bool | str


@dataclass
class CheckContext:
    """What a checker may know about the test besides its history."""

    options: TestOptions | None  # None under glome check, which has no test
    store: Path | None = None  # the test's store directory, for side files (plots, elle/)
    net_stats: dict[str, dict[str, int]] | None = None  # {"all"|"clients"|"servers": counts}
    #: whether to draw the plots into the store (perf PNGs, timeline.html, messages.svg)
    plots: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


#: A checker takes the history and the context and returns a map with "valid?".
Checker = Callable[[list[Op], CheckContext], dict[str, Any]]


def is_client_op(op: Op) -> bool:
    return op.get("process") != NEMESIS


def pairs(history: list[Op]) -> Iterator[tuple[Op, Op | None]]:
    """(invocation, completion) for every client invocation, in invocation order.

    The completion is None when the process never completed the operation.
    """
    open_by_process: dict[Any, Op] = {}
    ordered: list[list[Op | None]] = []
    slot_by_process: dict[Any, list[Op | None]] = {}
    for op in history:
        if not is_client_op(op):
            continue
        process = op["process"]
        if op["type"] == INVOKE:
            slot: list[Op | None] = [op, None]
            open_by_process[process] = op
            slot_by_process[process] = slot
            ordered.append(slot)
        elif process in open_by_process:
            slot_by_process.pop(process)[1] = op
            del open_by_process[process]
    for invocation, completion in ordered:
        assert invocation is not None
        yield invocation, completion
