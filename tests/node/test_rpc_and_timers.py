"""RPCs to a fake service and to peers, KV clients, timeouts and timers, on both backends."""

from __future__ import annotations

import sys

import pytest

from glome import protocol, simulation
from support.fixture_nodes import fixture_node
from support.lockstep import LockstepNode

MS = 1_000_000
SERVICE_NODE = fixture_node("service_node.py")


def serve(node, expected_type, reply_body):
    """Play a service: take the node's next request, check its type, answer it."""
    request = node.recv()
    assert request["body"]["type"] == expected_type, request
    assert isinstance(request["body"]["msg_id"], int)
    node.send(request["dest"], {**reply_body, "in_reply_to": request["body"]["msg_id"]})
    return request


def test_kv_read_write_cas_against_a_fake_lin_kv(spawn):
    node = spawn("service_node.py")
    node.init()
    node.send("c1", {"type": "kv_write", "key": "k", "value": 3, "msg_id": 2})
    request = serve(node, "write", {"type": "write_ok"})
    assert (
        request["dest"] == "lin-kv"
        and request["body"]["key"] == "k"
        and request["body"]["value"] == 3
    )
    assert node.recv()["body"] == {"type": "kv_write_ok", "in_reply_to": 2}

    node.send("c1", {"type": "kv_read", "key": "k", "msg_id": 3})
    serve(node, "read", {"type": "read_ok", "value": 3})
    assert node.recv()["body"] == {"type": "kv_read_ok", "value": 3, "in_reply_to": 3}

    node.send("c1", {"type": "kv_cas", "key": "k", "from": 3, "to": 4, "create": True, "msg_id": 4})
    request = serve(node, "cas", {"type": "cas_ok"})
    assert {k: request["body"][k] for k in ("key", "from", "to", "create_if_not_exists")} == {
        "key": "k",
        "from": 3,
        "to": 4,
        "create_if_not_exists": True,
    }
    assert node.recv()["body"] == {"type": "kv_cas_ok", "in_reply_to": 4}


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (protocol.PRECONDITION_FAILED, "current value 5 is not 3"),
        (protocol.KEY_DOES_NOT_EXIST, "key does not exist"),
    ],
)
def test_kv_errors_surface_as_typed_errors(spawn, code, text):
    node = spawn("service_node.py")
    node.init()
    node.send("c1", {"type": "kv_cas", "key": "k", "from": 3, "to": 4, "msg_id": 2})
    request = serve(node, "cas", {"type": "error", "code": code, "text": text})
    assert "create_if_not_exists" not in request["body"]
    # the handler does not catch it, so the node answers with the same code
    assert node.recv()["body"] == {"type": "error", "code": code, "text": text, "in_reply_to": 2}


def test_kv_read_default_replaces_a_missing_key(spawn):
    node = spawn("service_node.py")
    node.init()
    node.send("c1", {"type": "kv_read", "key": "nope", "default": 0, "msg_id": 2})
    serve(
        node,
        "read",
        {"type": "error", "code": protocol.KEY_DOES_NOT_EXIST, "text": "key does not exist"},
    )
    assert node.recv()["body"] == {"type": "kv_read_ok", "value": 0, "in_reply_to": 2}


def test_tso(spawn):
    node = spawn("service_node.py")
    node.init()
    node.send("c1", {"type": "ts", "msg_id": 2})
    request = serve(node, "ts", {"type": "ts_ok", "ts": 41})
    assert request["dest"] == "lin-tso"
    assert node.recv()["body"] == {"type": "ts_ok", "ts": 41, "in_reply_to": 2}


def test_kv_timeout_raises_timeout_and_late_reply_is_dropped(spawn):
    node = spawn("service_node.py")
    node.init()
    node.send("c1", {"type": "kv_read", "key": "k", "msg_id": 2})
    request = node.recv()  # the read to lin-kv, left unanswered
    reply = node.recv(timeout=3)["body"]
    assert (
        reply["type"] == "error" and reply["code"] == protocol.TIMEOUT and reply["in_reply_to"] == 2
    )
    late = {"type": "read_ok", "value": 1, "in_reply_to": request["body"]["msg_id"]}
    node.send("lin-kv", late)
    node.send("lin-kv", late)
    assert node.silent_for(0.3)
    assert node.request("c1", {"type": "ping", "msg_id": 3})["n"] == "n0"


def test_node_to_node_rpc_with_a_timeout_frees_its_state(spawn):
    node = spawn("service_node.py")
    node.init("n0", ["n0", "n1", "n2"])
    node.send("c1", {"type": "ask", "peers": ["n1", "n2"], "timeout": 0.2, "msg_id": 2})
    first = node.recv()
    assert first["dest"] == "n1" and first["body"]["type"] == "ping"
    node.send("n1", {"type": "pong", "n": "n1", "in_reply_to": first["body"]["msg_id"]})
    node.send(
        "n1", {"type": "pong", "n": "dup", "in_reply_to": first["body"]["msg_id"]}
    )  # duplicate
    second = node.recv()
    assert second["dest"] == "n2"  # never answered: times out
    body = node.recv(timeout=3)["body"]
    assert body == {"type": "ask_ok", "answers": ["n1", "timeout"], "pending": 0, "in_reply_to": 2}


def test_gather_waits_for_concurrent_rpcs(spawn):
    node = spawn("service_node.py")
    node.init("n0", ["n0", "n1", "n2"])
    node.send("c1", {"type": "ask_all", "peers": ["n1", "n2"], "msg_id": 2})
    requests = [node.recv(), node.recv()]  # both sent before any reply
    for request in reversed(requests):
        node.send(
            request["dest"],
            {"type": "pong", "n": request["dest"], "in_reply_to": request["body"]["msg_id"]},
        )
    assert node.recv()["body"] == {"type": "ask_all_ok", "answers": ["n1", "n2"], "in_reply_to": 2}


def lockstep_service(env: dict[str, str], nodes: list[LockstepNode]) -> LockstepNode:
    node = LockstepNode([sys.executable, str(SERVICE_NODE)], env, 1, "n0")
    nodes.append(node)
    node.init(0, ["n0", "n1", "n2"])
    return node


def test_an_rpc_times_out_exactly_its_timeout_after_it_was_sent(backend_env, lockstep_nodes):
    """On the virtual clock (support.lockstep): the second ping, sent at 100 ms with a
    200 ms timeout, times out at 300 ms and not a nanosecond before."""
    node = lockstep_service(backend_env, lockstep_nodes)
    ask = {"type": "ask", "peers": ["n1", "n2"], "timeout": 0.2, "msg_id": 2}
    (ping,), report = node.step(0, ask)
    assert ping["dest"] == "n1" and simulation.parse_report(report) == ("idle", 200 * MS)
    pong = {"type": "pong", "n": "n1", "in_reply_to": ping["body"]["msg_id"]}
    (ping,), report = node.deliver(100 * MS, {"src": "n1", "dest": "n0", "body": pong})
    assert ping["dest"] == "n2" and simulation.parse_report(report) == ("idle", 300 * MS)
    assert node.step(300 * MS - 1)[0] == []
    (answer,), report = node.step(300 * MS)
    assert answer["body"] == {"type": "ask_ok", "answers": ["n1", "timeout"], "pending": 0,
                              "in_reply_to": 2}  # fmt: skip
    assert simulation.parse_report(report) == ("idle", None)


def test_every_and_after_timers_fire_on_time_and_a_cancelled_one_stops(backend_env, lockstep_nodes):
    """Three ticks 50 ms apart, the periodic timer cancelled, one ``after`` 50 ms later."""
    node = lockstep_service(backend_env, lockstep_nodes)
    reply, report = node.request(0, {"type": "ticks"})
    assert reply["type"] == "ticks_ok" and simulation.parse_report(report) == ("idle", 50 * MS)
    expected = [{"type": "tick", "n": 1}, {"type": "tick", "n": 2}, {"type": "tick", "n": 3},
                {"type": "done"}]  # fmt: skip
    for n, body in enumerate(expected, start=1):
        assert node.step(n * 50 * MS - 1)[0] == []
        sent, report = node.step(n * 50 * MS)
        assert [message["body"] for message in sent] == [body]
    assert simulation.parse_report(report) == ("idle", None)  # nothing left: it was cancelled


def test_node_reports_its_backend(spawn, backend):
    node = spawn("service_node.py")
    node.init()
    assert node.request("c1", {"type": "backend", "msg_id": 2})["backend"] == backend


def test_timers_set_before_init_start_at_init(spawn):
    node = spawn("heartbeat_node.py")
    assert node.silent_for(0.3)  # no id yet: the timer waits for init
    node.init()
    beats = [node.recv(timeout=2) for _ in range(3)]
    assert [beat["body"] for beat in beats] == [{"type": "beat", "n": n} for n in (1, 2, 3)]
    assert all(beat["dest"] == "c9" for beat in beats)
