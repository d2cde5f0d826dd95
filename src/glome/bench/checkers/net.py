"""Maelstrom's net checker (docs/maelstrom.md §4.5): message counts and messages per operation.

The engine counts sends, receives and distinct messages per category as it
routes (``ctx.net_stats``). msgs-per-op divides the distinct message count of
``all`` and of ``servers`` by the number of client invocations (final reads,
kafka crash/assign ops included), stored as a 32-bit float: 384 messages over
190 ops is 2.0210526. With no client invocation there is no msgs-per-op.
As in Maelstrom, this checker also draws the Lamport diagram of the first
messages (``messages.svg``) from the journal, when the test has a store.
"""

from __future__ import annotations

from typing import Any

from glome.bench import lamport
from glome.bench.edn import float32
from glome.bench.history import INVOKE, CheckContext, Op, is_client_op
from glome.bench.net import JOURNAL_FILE

CATEGORIES = ("all", "clients", "servers")
PER_OP_CATEGORIES = ("all", "servers")


def client_invocations(history: list[Op]) -> int:
    return sum(1 for op in history if op["type"] == INVOKE and is_client_op(op))


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    if ctx.net_stats is None:
        raise ValueError("no network statistics were recorded for this test")
    if ctx.store is not None and ctx.plots and (ctx.store / JOURNAL_FILE).exists():
        lamport.write_svg(ctx.store / JOURNAL_FILE, ctx.store / "messages.svg")
    result: dict[str, Any] = {name: dict(ctx.net_stats[name]) for name in CATEGORIES}
    op_count = client_invocations(history)
    if op_count:
        for name in PER_OP_CATEGORIES:
            result[name]["msgs-per-op"] = float32(result[name]["msg-count"] / op_count)
    result["valid?"] = True
    return result
