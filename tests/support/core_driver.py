"""Driving a node core (compiled or pure) by hand: everything it hands on, in order.

The twin-agreement tests feed both cores the same chunks and compare these
records, so a difference in any callback, message, error or output byte shows.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

Handler = Callable[[dict[str, Any]], Any]


def drive(
    module: ModuleType,
    chunks: list[bytes],
    handlers: dict[str, Handler],
    node_id: str | None = "n0",
    mirrors: dict[str, tuple[str, tuple[str, ...]]] | None = None,
    show: Callable[[Any], Any] = lambda msg: msg,
    events: list[Any] | None = None,
) -> list[Any]:
    """What ``module.Core`` hands on for ``chunks``: its slow, invalid and failed
    callbacks (messages through ``show``), and its output after each chunk and after
    the end of input. ``mirrors`` maps request types to the reply type and required
    keys the core mirrors them with. The records go to ``events`` (a new list if
    None), where handlers may add their own in between."""
    events = [] if events is None else events
    core = module.Core(
        lambda msg: events.append(("slow", show(msg))),
        lambda line: events.append(("invalid", line)),
        lambda msg, exc: events.append(("failed", show(msg), type(exc).__name__, str(exc))),
    )
    core.handlers.update(handlers)
    for kind, (reply_type, required) in (mirrors or {}).items():
        core.mirror(kind, reply_type, required)
    if node_id is not None:
        core.set_node_id(node_id)
    for chunk in chunks:
        core.feed(chunk)
        events.append(("output", core.take_output()))
    core.finish()
    events.append(("output", core.take_output()))
    return events
