"""Kafka histories op by op, shaped exactly as the Maelstrom kafka client records them.

For tests and examples: each event gets the next ``index`` and a time one
``step`` later than the previous event, so the realtime order is the order of
the calls. ``invoke``/``complete`` build overlapping ops; ``send``, ``poll``,
``assign`` and ``crash`` invoke and complete at once.
"""

from __future__ import annotations

from typing import Any

from glome.bench.checkers.kafka.transactions import ASSIGN, POLL, SEEK_TO_BEGINNING, SEND
from glome.bench.history import INFO, INVOKE, OK, Op

Messages = dict[str, list[list[Any]]]


class HistoryBuilder:
    def __init__(self, step: int = 1_000_000) -> None:
        self.history: list[Op] = []
        self.step = step

    def _append(self, op: Op) -> Op:
        op["index"] = len(self.history)
        op["time"] = (len(self.history) + 1) * self.step
        self.history.append(op)
        return op

    def invoke(self, process: Any, f: str, value: Any, **extra: Any) -> Op:
        return self._append({"type": INVOKE, "process": process, "f": f, "value": value, **extra})

    def complete(self, invocation: Op, kind: str = OK, value: Any = None, error: Any = None) -> Op:
        """The completion of ``invocation``; ``value`` defaults to the invocation's."""
        op = {key: val for key, val in invocation.items() if key not in ("index", "time")}
        op["type"] = kind
        if value is not None:
            op["value"] = value
        if error is not None:
            op["error"] = error
        return self._append(op)

    def send(
        self, process: Any, key: str, message: Any, offset: int | None = None, kind: str = OK
    ) -> Op:
        """A send; an ok one needs the offset the service acknowledged."""
        invocation = self.invoke(process, SEND, [[SEND, key, message]])
        if kind == OK:
            return self.complete(invocation, OK, [[SEND, key, [offset, message]]])
        return self.complete(invocation, kind, error="net-timeout" if kind == INFO else "failed")

    def poll(self, process: Any, messages: Messages, kind: str = OK) -> Op:
        invocation = self.invoke(process, POLL, [[POLL]])
        if kind == OK:
            return self.complete(invocation, OK, [[POLL, messages]])
        return self.complete(invocation, kind, error="net-timeout")

    def assign(
        self, process: Any, keys: list[str], seek_to_beginning: bool = False, kind: str = OK
    ) -> Op:
        extra = {SEEK_TO_BEGINNING: True} if seek_to_beginning else {}
        return self.complete(self.invoke(process, ASSIGN, keys, **extra), kind)

    def crash(self, process: Any) -> Op:
        return self.complete(self.invoke(process, "crash", None), INFO)
