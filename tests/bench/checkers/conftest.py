"""A small builder for hand-made histories, shared by the checker tests."""

from __future__ import annotations

from typing import Any

import pytest

from glome.bench.history import CheckContext, Op

MS = 1_000_000


class HistoryBuilder:
    """Appends ops with dense indexes; time advances 1 ms per op unless given."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.now = 0
        self.open: dict[Any, Op] = {}

    def _append(self, op: Op, at_ms: float | None) -> Op:
        self.now = int(at_ms * MS) if at_ms is not None else self.now + MS
        op["index"], op["time"] = len(self.ops), self.now
        self.ops.append(op)
        return op

    def invoke(self, process: Any, f: str, value: Any = None, at_ms: float | None = None) -> Op:
        op = self._append({"type": "invoke", "process": process, "f": f, "value": value}, at_ms)
        self.open[process] = op
        return op

    def complete(
        self,
        process: Any,
        type_: str,
        value: Any = "same",
        at_ms: float | None = None,
        **extra: Any,
    ) -> Op:
        invocation = self.open.pop(process)
        op = {**invocation, "type": type_, **extra}
        op.pop("index"), op.pop("time")
        if value != "same":
            op["value"] = value
        return self._append(op, at_ms)

    def call(self, process: Any, f: str, value: Any, type_: str, result: Any = "same") -> Op:
        self.invoke(process, f, value)
        return self.complete(process, type_, result)

    def nemesis(self, f: str, value: Any = None) -> Op:
        return self._append({"type": "info", "process": "nemesis", "f": f, "value": value}, None)


@pytest.fixture
def build() -> HistoryBuilder:
    return HistoryBuilder()


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(options=None)
