"""The store the txn test nodes share: one node, transactions on a dict of keys.

``execute`` runs a transaction alone, reads seeing its own earlier writes;
register writes replace a key's value, appends extend its list. ``serve``
answers ``txn`` requests with a handler; each test node changes one thing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from glome.node import Node

Txn = list[list[Any]]
Data = dict[Any, Any]


def apply_mop(data: Data, mop: list[Any]) -> list[Any]:
    """Perform one micro-op on ``data``; the micro-op as the reply shows it."""
    f, k, v = mop
    if f == "r":
        value = data.get(k)
        return [f, k, list(value) if isinstance(value, list) else value]
    if f == "append":
        data[k] = [*data.get(k, []), v]
    else:
        data[k] = v
    return [f, k, v]


def execute(data: Data, txn: Txn) -> Txn:
    return [apply_mop(data, mop) for mop in txn]


#: the node process; a handler may await its timers (``NODE.sleep``)
NODE = Node()


def serve(handle: Callable[[Txn], Txn | Awaitable[Txn]]) -> None:
    node = NODE

    @node.on("txn")
    async def txn(msg: dict[str, Any]) -> dict[str, Any]:
        done = handle(msg["body"]["txn"])
        if not isinstance(done, list):
            done = await done
        return {"type": "txn_ok", "txn": done}

    node.run()
