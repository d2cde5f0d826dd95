"""Small helpers to write lin-kv histories by hand in tests."""

from __future__ import annotations

from typing import Any

from glome.bench.history import Op


def build(*events: tuple[Any, str, str, Any]) -> list[Op]:
    """(process, type, f, [key, value]) events in history order, indexed and timed."""
    return [
        {"index": i, "time": i * 1000, "type": kind, "process": process, "f": f, "value": value}
        for i, (process, kind, f, value) in enumerate(events)
    ]


def write(process: Any, key: Any, value: Any, outcome: str = "ok") -> list[tuple]:
    """A write invoked and completed back to back."""
    return [(process, "invoke", "write", [key, value]), (process, outcome, "write", [key, value])]


def read(process: Any, key: Any, value: Any, outcome: str = "ok") -> list[tuple]:
    return [(process, "invoke", "read", [key, None]), (process, outcome, "read", [key, value])]


def cas(process: Any, key: Any, old: Any, new: Any, outcome: str = "ok") -> list[tuple]:
    return [
        (process, "invoke", "cas", [key, [old, new]]),
        (process, outcome, "cas", [key, [old, new]]),
    ]


def sequential(*ops: list[tuple]) -> list[Op]:
    """Ops one after another, none concurrent."""
    return build(*(event for op in ops for event in op))
