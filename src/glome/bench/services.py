"""Maelstrom's built-in services (docs/maelstrom.md §5): lin-kv, seq-kv, lww-kv and lin-tso.

Each is a network id that handles one request at a time in delivery order and
answers with ``in_reply_to`` set to the request's msg_id (no msg_id of its
own). Unknown request types get no reply, as in Maelstrom. The behaviours are
Maelstrom's as written, including seq-kv's per-sender stale reads and
lww-kv's two replicas that never merge.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import orjson

from glome.bench import edn
from glome.bench.net import Message, Network
from glome.protocol import KEY_DOES_NOT_EXIST, PRECONDITION_FAILED

Body = dict[str, Any]
State = dict[Any, Any]

SEQ_KV_HISTORY = 32  # states seq-kv keeps for stale reads


def pr_str(value: Any) -> str:
    """A JSON value printed as Clojure's ``pr-str`` would (for error texts)."""
    return edn.dumps(value, keyword_keys=False)


def _key(value: Any) -> Any:
    """A hashable form of a JSON value; distinguishes 1, 1.0 and True as JSON does."""
    if isinstance(value, (list, dict)):
        return ("json", orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    return (type(value).__name__, value)


def _truthy(value: Any) -> bool:
    """Clojure truthiness: everything but false and nil."""
    return value is not None and value is not False


def _json_equal(a: Any, b: Any) -> bool:
    return _key(a) == _key(b)


def _does_not_exist() -> Body:
    return {"type": "error", "code": KEY_DOES_NOT_EXIST, "text": "key does not exist"}


def kv_apply(state: State, body: Body) -> tuple[State, Body]:
    """The key-value state machine of lin-kv and seq-kv; returns (new state, reply)."""
    kind = body.get("type")
    key = _key(body.get("key"))
    if kind == "read":
        if key in state:
            return state, {"type": "read_ok", "value": state[key]}
        return state, _does_not_exist()
    if kind == "write":
        if key in state and _json_equal(state[key], body.get("value")):
            return state, {"type": "write_ok"}
        return {**state, key: body.get("value")}, {"type": "write_ok"}
    if kind == "cas":
        if key in state:
            current = state[key]
            if _json_equal(current, body.get("from")):
                if _json_equal(current, body.get("to")):
                    return state, {"type": "cas_ok"}
                return {**state, key: body.get("to")}, {"type": "cas_ok"}
            text = f"current value {pr_str(current)} is not {pr_str(body.get('from'))}"
            return state, {"type": "error", "code": PRECONDITION_FAILED, "text": text}
        if _truthy(body.get("create_if_not_exists")):
            return {**state, key: body.get("to")}, {"type": "cas_ok"}
        return state, _does_not_exist()
    raise ValueError(f"unknown request type {kind!r}")


class Service:
    """A network id answering requests one at a time."""

    name = ""

    def attach(self, net: Network) -> None:
        self.net = net
        net.register(self.name, self._receive)

    def _receive(self, message: Message, _deadline: int) -> None:
        _, src, _, body = message
        try:
            reply = self.handle(src, body)
        except (ValueError, TypeError, KeyError):
            return  # Maelstrom logs "Error in service worker!" and sends nothing
        if self.net.has(src):
            self.net.send(self.name, src, {**reply, "in_reply_to": body.get("msg_id")})

    def handle(self, src: str, body: Body) -> Body:
        raise NotImplementedError


class LinKV(Service):
    name = "lin-kv"

    def __init__(self) -> None:
        self.state: State = {}

    def handle(self, src: str, body: Body) -> Body:
        self.state, reply = kv_apply(self.state, body)
        return reply


class SeqKV(Service):
    """Sequentially consistent: reads may come from any state no older than the
    sender's last observed one; state changes always apply to the newest state."""

    name = "seq-kv"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.states: deque[State] = deque([{}], maxlen=SEQ_KV_HISTORY)
        self.last_index = 0
        self.seen: dict[str, int] = {}

    def handle(self, src: str, body: Body) -> Body:
        floor = self.seen.get(src, 0)
        index = floor + self.rng.randint(0, self.last_index - floor)
        position = (index - self.last_index - 1) % len(self.states)
        old = self.states[position]
        new, reply = kv_apply(old, body)
        if new is old:
            self.seen[src] = index
            return reply
        new, reply = kv_apply(self.states[-1], body)
        self.states.append(new)
        self.last_index += 1
        self.seen[src] = self.last_index
        return reply


class LwwKV(Service):
    """Two replicas, each request served by one at random; they never merge.

    Maelstrom computes a merge of two replicas and then discards it, so the
    observable behaviour is exactly this. cas on a missing key is always error
    20 (create_if_not_exists is ignored) and the 22 text prints ``from`` raw.
    """

    name = "lww-kv"
    REPLICAS = 2

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.replicas: list[tuple[int, State]] = [(0, {}) for _ in range(self.REPLICAS)]

    def handle(self, src: str, body: Body) -> Body:
        chosen = self.rng.randrange(self.REPLICAS)
        clock, values = self.replicas[chosen]
        kind = body.get("type")
        key = _key(body.get("key"))
        if kind == "read":
            if key in values:
                return {"type": "read_ok", "value": values[key][1]}
            return _does_not_exist()
        if kind == "write":
            self.replicas[chosen] = (clock + 1, {**values, key: (clock, body.get("value"))})
            return {"type": "write_ok"}
        if kind == "cas":
            if key not in values:
                return _does_not_exist()
            current = values[key][1]
            if _json_equal(current, body.get("from")):
                self.replicas[chosen] = (clock + 1, {**values, key: (clock, body.get("to"))})
                return {"type": "cas_ok"}
            text = f"current value {pr_str(current)} is not {_raw(body.get('from'))}"
            return {"type": "error", "code": PRECONDITION_FAILED, "text": text}
        raise ValueError(f"unknown request type {kind!r}")


def _raw(value: Any) -> str:
    """Clojure's ``str`` of a value: strings bare, nil empty, the rest as pr-str."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return pr_str(value)


class LinTSO(Service):
    name = "lin-tso"

    def __init__(self) -> None:
        self.next_ts = 0

    def handle(self, src: str, body: Body) -> Body:
        if body.get("type") != "ts":
            raise ValueError("lin-tso only answers ts")
        ts = self.next_ts
        self.next_ts += 1
        return {"type": "ts_ok", "ts": ts}


def start_services(net: Network, rng: random.Random) -> list[Service]:
    """Register the four services, as Maelstrom does on the primary node."""
    services: list[Service] = [LwwKV(rng), SeqKV(rng), LinKV(), LinTSO()]
    for service in services:
        service.attach(net)
    return services
