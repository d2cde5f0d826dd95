"""Maelstrom's RPC client (docs/maelstrom.md §6.1) and its outcome mapping (docs/maelstrom.md §6.2).

A client is a network id ``c<k>`` with at most one request in flight. It
takes messages only while it waits for a reply (Maelstrom's client reads its
queue only inside an RPC); a message that does not answer the request in
flight is dropped. Errors become the exceptions below, which the workloads
map to ``fail`` or ``info`` exactly as Maelstrom's ``with-errors`` does.

Messages for a client that is not waiting stay queued until its next request
reads and drops them, as in Maelstrom -- whose queues have no limit, so a
node that floods an idle client grows it without bound. ``IdleBacklog``
keeps glome bounded: past ``IDLE_BACKLOG_LIMIT`` queued messages it drops
them at once, and says so.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from glome.bench.history import FAIL, INFO, Op
from glome.bench.loop import Future, Loop
from glome.bench.net import Message, Network
from glome.bench.workloads import response_schemas
from glome.protocol import ResponseSchema, error_code, response_violation

DEFAULT_TIMEOUT_S = 5.0
IDLE_BACKLOG_LIMIT = 100_000  # messages queued for clients, about 50 MB


class ClientError(Exception):
    """An RPC that went wrong; ``data`` is what Maelstrom's exception carries."""

    def __init__(self, message: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.data = data


class RPCTimeout(ClientError):
    def __init__(self) -> None:
        super().__init__(
            "Client read timeout",
            {"type": "timeout", "name": "timeout", "definite?": False, "code": 0},
        )


class ErrorReply(ClientError):
    """The node answered with ``{"type": "error", ...}``."""

    def __init__(self, body: dict[str, Any]) -> None:
        code = body.get("code")
        row = error_code(code) if isinstance(code, int) else error_code(-1)
        self.name = row.name
        self.definite = row.definite
        self.text = body.get("text")
        self.body = body
        data = {
            "type": "rpc-error",
            "code": code,
            "name": row.name,
            "definite?": row.definite,
            "body": body,
        }
        super().__init__(f"throw+: {data}", data)


class MalformedResponse(ClientError):
    def __init__(
        self, dest: str, request: dict[str, Any], schema: ResponseSchema, body: Any, why: str
    ):
        reply_type, fields = schema
        expected = {"type": reply_type, **dict.fromkeys(fields, "..."), "in_reply_to": "Int"}
        super().__init__(
            f"Malformed RPC response. Maelstrom sent node {dest} the following request:\n\n"
            f"{request}\n\nAnd expected a response of the form:\n\n{expected}\n\n... but instead "
            f"received\n\n{body}\n\nThis is malformed because:\n\n{why}\n\n"
            "See doc/protocol.md for more guidance.",
            {"type": "malformed-rpc-response", "body": body},
        )


class Client:
    """One ``c<k>`` network id with Maelstrom's RPC discipline."""

    def __init__(self, loop: Loop, net: Network, client_id: str) -> None:
        self.loop = loop
        self.net = net
        self.id = client_id
        self._msg_ids = itertools.count(1)
        self._waiting: tuple[int, Future] | None = None
        net.register(client_id, self._receive, pull=True)

    def close(self) -> None:
        """Leave the network: later messages to this id poison their sender
        (docs/maelstrom.md §10.2)."""
        self.net.unregister(self.id)

    def drop_backlog(self) -> None:
        """Read and drop what waits for this client while it is idle, as its next
        request would (the messages count as received then)."""
        if self._waiting is None and self.net.has(self.id):
            self.net.set_open(self.id, True)
            self.net.set_open(self.id, False)

    def _receive(self, message: Message, _deadline: int) -> None:
        waiting = self._waiting
        body = message[3]
        if waiting is not None and body.get("in_reply_to") == waiting[0]:
            self._waiting = None
            self.net.set_open(self.id, False)
            waiting[1].set_result(body)

    async def call(
        self, dest: str, body: dict[str, Any], timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send ``body`` with a fresh msg_id; the reply body, or ClientError."""
        msg_id = next(self._msg_ids)
        request = {**body, "msg_id": msg_id}
        reply = Future(self.loop)
        self._waiting = (msg_id, reply)
        self.net.send(self.id, dest, request)
        timer = self.loop.call_at(
            self.loop.now() + int(timeout_s * 1e9), lambda: self._time_out(msg_id, reply)
        )
        self.net.set_open(self.id, True)
        answer = await reply
        timer.cancel()
        if answer.get("type") == "error":
            raise ErrorReply(answer)
        return answer

    def _time_out(self, msg_id: int, reply: Future) -> None:
        if self._waiting is not None and self._waiting[0] == msg_id:
            self._waiting = None
            if self.net.has(self.id):
                self.net.set_open(self.id, False)
            reply.set_exception(RPCTimeout())

    async def rpc(
        self,
        workload: str,
        dest: str,
        body: dict[str, Any],
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> dict[str, Any]:
        """``call`` plus validation against the workload's closed response schema."""
        answer = await self.call(dest, body, timeout_s)
        schema = response_schemas()[workload][body["type"]]
        why = response_violation(schema, answer)
        if why:
            raise MalformedResponse(dest, body, schema, answer, why)
        return answer


class IdleBacklog:
    """Watches how many messages wait for clients; past the limit, idle clients drop them.

    Clients are never partitioned, so every message to or from a client that was
    sent but not yet received waits in a client's queue (or was left behind by a
    client that closed, which only a misbehaving node makes common): the count is
    the network's client sends minus its client receipts.
    """

    def __init__(self, net: Network, log: Callable[[str], None]) -> None:
        self.net = net
        self._log = log
        self._clients: weakref.WeakSet[Client] = weakref.WeakSet()
        self._baseline = 0  # what was left behind at the last drop
        self.dropped = 0

    def watch(self, client: Client) -> None:
        self._clients.add(client)

    def _waiting_messages(self) -> int:
        router = self.net.router
        return router.send_clients - router.recv_clients

    def check(self) -> None:
        """Run once per loop tick: cheap unless the limit is passed."""
        if self._waiting_messages() - self._baseline <= IDLE_BACKLOG_LIMIT:
            return
        before = self._waiting_messages()
        for client in list(self._clients):
            client.drop_backlog()
        self._baseline = self._waiting_messages()
        if not self.dropped:
            self._log(
                f"\nWARNING: nodes sent more than {IDLE_BACKLOG_LIMIT} messages to clients that "
                "were not waiting for them. Maelstrom would queue them without limit until each "
                "client's next request read and dropped them; glome drops them now, to keep its "
                "memory bounded. They are counted under glome.idle-client-drops in the results.\n"
            )
        self.dropped += before - self._baseline


async def with_errors(
    op: Op, idempotent: Collection[str], action: Callable[[], Awaitable[Op]]
) -> Op:
    """Maelstrom's ``with-errors``: timeouts and RPC errors become fail or info."""
    try:
        return await action()
    except RPCTimeout:
        return {**op, "type": FAIL if op["f"] in idempotent else INFO, "error": "net-timeout"}
    except ErrorReply as error:
        definite = error.definite or op["f"] in idempotent
        return {**op, "type": FAIL if definite else INFO, "error": [error.name, error.text]}


def indeterminate(op: Op, error: BaseException) -> Op:
    """An op whose client threw something unhandled: info with exception data (Jepsen)."""
    data = error.data if isinstance(error, ClientError) else {}
    message = str(error)
    exception = {
        "via": [{"type": "clojure.lang.ExceptionInfo", "message": message, "data": data}],
        "cause": message,
        "data": data,
    }
    return {**op, "type": INFO, "exception": exception, "error": f"indeterminate: {message}"}
