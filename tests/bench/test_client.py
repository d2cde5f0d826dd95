"""RPC outcomes (docs/maelstrom.md §6.1-6.2): timeouts, error replies, malformed replies,
and how each becomes ok, fail or info."""

from __future__ import annotations

import random

import pytest

from glome.bench.client import (
    Client,
    ErrorReply,
    MalformedResponse,
    RPCTimeout,
    indeterminate,
    with_errors,
)
from glome.bench.loop import Loop, spawn
from glome.bench.net import Journal, Latency, Network


def run(coroutine):
    loop = Loop()
    return loop.run_until(spawn(loop, coroutine))


OP = {"process": 0, "type": "invoke", "f": "broadcast", "value": 1}


async def _raise(error):
    raise error


@pytest.mark.parametrize(
    ("error", "idempotent", "kind", "error_value"),
    [
        (RPCTimeout(), (), "info", "net-timeout"),
        (RPCTimeout(), ("broadcast",), "fail", "net-timeout"),
        (
            ErrorReply({"type": "error", "code": 11, "text": "busy"}),
            (),
            "fail",
            ["temporarily-unavailable", "busy"],
        ),
        (ErrorReply({"type": "error", "code": 13, "text": "boom"}), (), "info", ["crash", "boom"]),
        (ErrorReply({"type": "error", "code": 1000}), (), "info", ["unknown", None]),
        (ErrorReply({"type": "error", "code": 1000}), ("broadcast",), "fail", ["unknown", None]),
    ],
)
def test_with_errors(error, idempotent, kind, error_value):
    result = run(with_errors(OP, idempotent, lambda: _raise(error)))
    assert result["type"] == kind and result["error"] == error_value
    assert result["value"] == 1  # the invocation's value is kept


def test_indeterminate_ops_carry_exception_data():
    op = indeterminate(OP, RPCTimeout())
    assert op["type"] == "info"
    assert op["error"] == "indeterminate: Client read timeout"
    assert op["exception"]["via"][0]["type"] == "clojure.lang.ExceptionInfo"


class EchoService:
    """A recipient that answers like a node would, optionally badly."""

    def __init__(self, net, reply):
        self.net = net
        self.reply = reply
        net.register("n1", self.receive)

    def receive(self, message, _due):
        _, src, _, body = message
        reply = self.reply(body)
        if reply is not None:
            self.net.send("n1", src, reply)


def network(loop):
    return Network(loop, Latency(0, "constant", random.Random(1)), Journal(None))


def test_rpc_matches_replies_by_in_reply_to_and_validates_them():
    loop = Loop()
    net = network(loop)
    EchoService(net, lambda b: {"type": "echo_ok", "echo": b["echo"], "in_reply_to": b["msg_id"]})
    client = Client(loop, net, "c0")
    reply = loop.run_until(spawn(loop, client.rpc("echo", "n1", {"type": "echo", "echo": "hi"})))
    assert reply == {"type": "echo_ok", "echo": "hi", "in_reply_to": 1}


def test_rpc_extra_keys_are_malformed():
    loop = Loop()
    net = network(loop)
    EchoService(net, lambda b: {**b, "type": "broadcast_ok", "in_reply_to": b["msg_id"]})
    client = Client(loop, net, "c0")
    with pytest.raises(MalformedResponse) as error:
        loop.run_until(
            spawn(loop, client.rpc("broadcast", "n1", {"type": "broadcast", "message": 3}))
        )
    assert "disallowed key" in str(error.value)


def test_rpc_times_out_and_ignores_unrelated_messages():
    loop = Loop()
    net = network(loop)
    EchoService(net, lambda b: {"type": "echo_ok", "echo": "x", "in_reply_to": 999})
    client = Client(loop, net, "c0")
    with pytest.raises(RPCTimeout):
        loop.run_until(spawn(loop, client.call("n1", {"type": "echo", "echo": "x"}, 0.05)))
    assert net.stats()["clients"]["recv-count"] == 2  # the stray reply was delivered


def test_a_closed_client_is_gone_from_the_network():
    loop = Loop()
    net = network(loop)
    client = Client(loop, net, "c0")
    client.close()
    assert not net.has("c0")
