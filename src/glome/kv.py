"""Clients for Maelstrom's services: the seq-kv, lin-kv and lww-kv stores and lin-tso.

Use them from ``async def`` handlers or tasks::

    store = KV(node, LIN_KV)

    @node.on("add")
    async def add(msg):
        current = await store.read("total", default=0)
        await store.cas("total", current, current + msg["body"]["delta"],
                        create_if_not_exists=True)
        return {"type": "add_ok"}

Error replies raise the typed errors of ``glome.errors`` (``KeyDoesNotExist``,
``PreconditionFailed``, ...), and no reply in time raises ``Timeout``.
"""

from __future__ import annotations

from typing import Any

from glome.errors import KeyDoesNotExist, Timeout
from glome.node import DEFAULT_RPC_TIMEOUT, Node

SEQ_KV = "seq-kv"
LIN_KV = "lin-kv"
LWW_KV = "lww-kv"
LIN_TSO = "lin-tso"

_ABSENT = object()


class KV:
    """A key-value service (``SEQ_KV``, ``LIN_KV`` or ``LWW_KV``): read, write, cas."""

    def __init__(self, node: Node, service: str, timeout: float = DEFAULT_RPC_TIMEOUT) -> None:
        if service not in (SEQ_KV, LIN_KV, LWW_KV):
            raise ValueError(f"not a key-value service: {service!r}")
        self.node = node
        self.service = service
        self.timeout = timeout

    async def read(self, key: Any, default: Any = _ABSENT) -> Any:
        """The value of ``key``; ``default`` if absent and given, else ``KeyDoesNotExist``."""
        try:
            reply = await self.node.rpc(self.service, {"type": "read", "key": key}, self.timeout)
        except KeyDoesNotExist:
            if default is _ABSENT:
                raise
            return default
        return reply.get("value")

    async def read_until_answered(self, key: Any, default: Any = None) -> Any:
        """``read``, asked again after each timeout until the service answers: services
        are never partitioned, so a node recovering its own state can wait for them."""
        while True:
            try:
                return await self.read(key, default)
            except Timeout:
                continue

    async def write(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``."""
        await self.node.rpc(
            self.service, {"type": "write", "key": key, "value": value}, self.timeout
        )

    async def cas(
        self, key: Any, expected: Any, new: Any, *, create_if_not_exists: bool = False
    ) -> None:
        """Set ``key`` to ``new`` if it holds ``expected`` (``PreconditionFailed`` otherwise).

        With ``create_if_not_exists`` an absent key is created with ``new``; lww-kv
        ignores the flag and answers ``KeyDoesNotExist`` (docs/maelstrom.md §5.5).
        """
        body = {"type": "cas", "key": key, "from": expected, "to": new}
        if create_if_not_exists:
            body["create_if_not_exists"] = True
        await self.node.rpc(self.service, body, self.timeout)


class TSO:
    """lin-tso, the timestamp oracle: strictly increasing integers."""

    def __init__(self, node: Node, timeout: float = DEFAULT_RPC_TIMEOUT) -> None:
        self.node = node
        self.timeout = timeout

    async def ts(self) -> int:
        """The next timestamp."""
        reply = await self.node.rpc(LIN_TSO, {"type": "ts"}, self.timeout)
        return reply["ts"]
