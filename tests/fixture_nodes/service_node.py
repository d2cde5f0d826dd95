"""A test node exercising the runtime's API: RPCs, KV clients, timers, errors."""

from __future__ import annotations

from typing import Any

from glome import errors
from glome.kv import KV, LIN_KV, TSO
from glome.node import BACKEND, Message, Node

node = Node()
store = KV(node, LIN_KV, timeout=0.3)
oracle = TSO(node, timeout=0.3)
gossip_seen: list[Any] = []


@node.on("backend")
def backend(msg: Message) -> dict[str, Any]:
    return {"type": "backend_ok", "backend": BACKEND}


@node.on("kv_read")
async def kv_read(msg: Message) -> dict[str, Any]:
    body = msg["body"]
    if "default" in body:
        value = await store.read(body["key"], default=body["default"])
    else:
        value = await store.read(body["key"])
    return {"type": "kv_read_ok", "value": value}


@node.on("kv_write")
async def kv_write(msg: Message) -> dict[str, Any]:
    await store.write(msg["body"]["key"], msg["body"]["value"])
    return {"type": "kv_write_ok"}


@node.on("kv_cas")
async def kv_cas(msg: Message) -> dict[str, Any]:
    body = msg["body"]
    await store.cas(
        body["key"], body["from"], body["to"], create_if_not_exists=body.get("create", False)
    )
    return {"type": "kv_cas_ok"}


@node.on("ts")
async def ts(msg: Message) -> dict[str, Any]:
    return {"type": "ts_ok", "ts": await oracle.ts()}


@node.on("ask")
async def ask(msg: Message) -> dict[str, Any]:
    """Ask the peers in order; report each answer or the error it raised."""
    answers = []
    for peer in msg["body"]["peers"]:
        try:
            reply = await node.rpc(peer, {"type": "ping"}, timeout=msg["body"]["timeout"])
            answers.append(reply["n"])
        except errors.RPCError as error:
            answers.append(error.name)
    return {"type": "ask_ok", "answers": answers, "pending": len(node._pending)}


@node.on("ask_all")
async def ask_all(msg: Message) -> dict[str, Any]:
    calls = [node.rpc(peer, {"type": "ping"}, timeout=1.0) for peer in msg["body"]["peers"]]
    replies = await node.gather(*calls)
    return {"type": "ask_all_ok", "answers": [reply["n"] for reply in replies]}


@node.on("ping")
def ping(msg: Message) -> dict[str, Any]:
    print("a stray print must not reach stdout")
    return {"type": "pong", "n": node.id}


@node.on("conflict")
def conflict(msg: Message) -> None:
    raise errors.TxnConflict("somebody else won")


@node.on("boom")
def boom(msg: Message) -> None:
    raise RuntimeError("boom")


@node.on("boom_later")
async def boom_later(msg: Message) -> None:
    await node.sleep(0.01)
    raise ValueError("boom later")


@node.on("not_a_dict")
def not_a_dict(msg: Message) -> list[int]:
    return [1, 2]


@node.on("gossip")
def gossip(msg: Message) -> None:
    gossip_seen.append(msg["body"]["value"])


@node.on("seen")
def seen(msg: Message) -> dict[str, Any]:
    return {"type": "seen_ok", "values": gossip_seen}


@node.on("ticks")
def ticks(msg: Message) -> dict[str, Any]:
    """Send three ticks to the asker 50 ms apart, then one 'after' message."""
    client = msg["src"]
    count = [0]

    def tick() -> None:
        count[0] += 1
        node.send(client, {"type": "tick", "n": count[0]})
        if count[0] == 3:
            timer.cancel()
            node.after(0.05, lambda: node.send(client, {"type": "done"}))

    timer = node.every(0.05, tick)
    return {"type": "ticks_ok"}


if __name__ == "__main__":
    raise SystemExit(node.run())
