"""What the fuzzers drive, shared by the hypothesis tests and the atheris harnesses.

Each target takes one input, runs it through glome's code on a chosen backend and
raises AssertionError when a property breaks; any other exception escaping is a
crash. The node target goes through the whole runtime (``glome.node.Node``: core
framing and fast dispatch, then the runtime's slow path, RPC table and error
replies); the output target goes through the bench's parser of node output and
the router's bulk line path, compiled against pure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections import Counter
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

import orjson

import glome.node
from glome._fast import load_compiled, load_pure
from glome.bench.process import NodeOutputError, envelope_violation, parse_line
from glome.errors import TemporarilyUnavailable
from glome.kv import KV, LIN_KV
from glome.node import Node

#: message types the test node handles (and two it does not)
NODE_TYPES = ["echo", "quiet", "refuse", "crash", "ask", "kv", "init", "unknown", "topology"]
#: types whose well-formed requests may go unanswered: after an RPC, or never
UNSURE_TYPES = ("ask", "kv", "quiet")  # a tuple: a fuzzed type may be unhashable
PEER = "n1"

INIT_LINE = orjson.dumps(
    {
        "src": "c0",
        "dest": "n0",
        "body": {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0", PEER]},
    }
)


def resident_bytes() -> int:
    """This process's resident set: what malloc'd buffers of the compiled core add to."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def core_module(backend: str) -> ModuleType:
    """The node core of ``backend`` ("compiled" or "pure"), whatever the environment says."""
    return load_compiled("node") if backend == "compiled" else load_pure("node")


def build_node(core: ModuleType) -> Node:
    """A node on ``core`` with sync, async (awaiting RPCs, or a lin-kv read), refusing and
    crashing handlers.

    RPC ids count from 1, so fuzzed replies with small ``in_reply_to`` settle them.
    """
    node = Node()
    node._core = core.Core(node._dispatch, node._on_invalid_line, node._on_handler_error)
    node._msg_ids = itertools.count(1)

    @node.on("echo")
    def echo(msg: dict[str, Any]) -> dict[str, Any]:
        return {"type": "echo_ok", "echo": msg["body"]["echo"]}

    @node.on("quiet")
    def quiet(msg: dict[str, Any]) -> None:
        return None

    @node.on("refuse")
    def refuse(msg: dict[str, Any]) -> None:
        raise TemporarilyUnavailable("not now")

    @node.on("crash")
    def crash(msg: dict[str, Any]) -> Any:
        return msg["body"]["no such field"]

    @node.on("ask")
    async def ask(msg: dict[str, Any]) -> dict[str, Any]:
        first, second = await node.gather(
            node.rpc(PEER, {"type": "question", "q": msg["body"].get("q")}, timeout=60),
            node.rpc(PEER, {"type": "question"}, timeout=60),
        )
        return {"type": "ask_ok", "answers": [first.get("answer"), second.get("answer")]}

    store = KV(node, LIN_KV, timeout=60)

    @node.on("kv")
    async def kv(msg: dict[str, Any]) -> dict[str, Any]:
        return {"type": "kv_ok", "value": await store.read(msg["body"].get("key"), default=None)}

    return node


@contextlib.contextmanager
def logging_everything() -> Iterator[list[str]]:
    """Build every log line the runtime would write (debug included), keep none of them."""
    written: list[str] = []
    with (
        mock.patch.object(glome.node, "LOG_THRESHOLD", glome.node.LOG_LEVELS["debug"]),
        mock.patch.object(glome.node, "_write_stderr", lambda text: written.append(text[:80])),
    ):
        yield written


#: Python's own recursion limit, what a node or bench process runs under
PROCESS_RECURSION_LIMIT = 1000


@contextlib.contextmanager
def process_recursion_limit() -> Iterator[None]:
    """Run with the stack room a fresh process has: hypothesis raises the limit while it
    runs a test, which would hide a RecursionError that kills the real process."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + PROCESS_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(raised)


def expected_replies(stream: bytes, line_limit: int) -> tuple[Counter[tuple[str, int]], int]:
    """Replies the node owes for ``stream``: (dest, in_reply_to) -> how many it must send,
    and how many more it may send (for lines it cannot parse or that are over
    ``line_limit``, replies, ``UNSURE_TYPES``).

    Only a node initialised first owes anything: before init it cannot answer a
    request that does not name it in a string ``dest``."""
    must: Counter[tuple[str, int]] = Counter()
    may = 0
    lines = stream.split(b"\n")
    if lines[0] != INIT_LINE or len(INIT_LINE) > line_limit:
        return must, len(lines)
    for line in lines:
        if len(line) > line_limit:
            may += 1
            continue
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            may += 1
            continue
        body = msg.get("body") if type(msg) is dict else None
        if type(body) is not dict or type(msg.get("src")) is not str:
            continue
        msg_id = body.get("msg_id")
        if type(msg_id) is not int:
            continue
        if "in_reply_to" in body or body.get("type") in UNSURE_TYPES:
            may += 1
        else:
            must[msg["src"], msg_id] += 1
    return must, may


def run_node(
    core: ModuleType, chunks: list[bytes], line_limit: int | None = None
) -> tuple[Node, bytes]:
    """Feed ``chunks`` to a fresh node on ``core`` (lines cut at ``line_limit``, if given),
    then end the input; its node and output."""
    node = build_node(core)
    if line_limit is not None:
        node._core.line_limit = line_limit
    with logging_everything(), process_recursion_limit():
        for chunk in chunks:
            node._core.feed(chunk)
        node._core.finish()
    return node, node._core.take_output()


def answers_without_ids(stream: bytes, line_limit: int) -> Counter[str]:
    """Sender -> how many of its messages carry neither ``msg_id`` nor ``in_reply_to``:
    a handler's reply to one goes back without ``in_reply_to`` (docs/node.md §2.1), so
    each may draw one such message to its sender."""
    senders: Counter[str] = Counter()
    for line in stream.split(b"\n"):
        if len(line) > line_limit:
            continue
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        body = msg.get("body") if type(msg) is dict else None
        src = msg.get("src") if type(msg) is dict else None
        if type(body) is dict and type(src) is str and not {"msg_id", "in_reply_to"} & body.keys():
            senders[src] += 1
    return senders


def check_node(core: ModuleType, chunks: list[bytes], line_limit: int | None = None) -> bytes:
    """Every output line is an envelope the bench accepts, from the node, and every
    request the node can attribute is answered exactly once; a message without
    ``in_reply_to`` is an RPC to a peer or lin-kv, or the answer to a message that
    had no ``msg_id``; the RPC table holds only what ``ask`` and ``kv`` requests
    opened. Returns the output."""
    node, output = run_node(core, chunks, line_limit)
    stream = b"".join(chunks)
    assert output == b"" or output.endswith(b"\n"), output[-200:]
    replies: Counter[tuple[str, int]] = Counter()
    without_ids: Counter[str] = Counter()
    rpcs = 2 * stream.count(b"ask") + stream.count(b"kv")  # each in every such request
    for line in output.splitlines():
        src, dest, body = parse_line(node._core.node_id or "?", line)
        assert src == node._core.node_id, line
        assert type(body.get("type")) is str, line
        if "in_reply_to" in body:
            replies[dest, body["in_reply_to"]] += 1
        elif (dest, body["type"]) not in ((PEER, "question"), (LIN_KV, "read")):
            without_ids[dest] += 1
    allowed = answers_without_ids(stream, node._core.line_limit)
    for dest, count in without_ids.items():
        assert count <= allowed[dest], (dest, count, allowed[dest], output[-500:])
    must, may = expected_replies(stream, node._core.line_limit)
    for key, count in must.items():
        assert replies[key] >= count, (key, count, replies[key], output[-500:])
    assert sum(replies.values()) <= sum(must.values()) + may, (replies, must, may)
    assert len(node._pending) <= rpcs, (len(node._pending), rpcs)
    return output


def check_node_twins(chunks: list[bytes], line_limit: int | None = None) -> None:
    """The compiled and pure cores, inside the whole runtime, write the same bytes."""
    compiled = check_node(core_module("compiled"), chunks, line_limit)
    pure = check_node(core_module("pure"), chunks, line_limit)
    assert compiled == pure, (compiled[-300:], pure[-300:])


# --- the bench's side: node output --------------------------------------------------

OUTPUT_IDS = ["n1", "n2", "c1", "lin-kv"]


def routed_by(router_module: ModuleType, lines: list[bytes]) -> tuple[list[Any], list[int]]:
    """Everything a router does with ``lines`` through its bulk path, in order, and the
    indices of the lines it routed (the caller diagnoses each other line and goes on)."""
    events: list[Any] = []
    router = router_module.Router(
        lambda when, callback: events.append(("timer", when)),
        0,
        None,
        lambda data: events.append(("journal", data)),
        lambda: 1_000,
    )
    for node_id in OUTPUT_IDS:
        client = node_id.startswith("c")
        router.add(node_id, lambda m, due: events.append(("deliver", m, due)), client, not client)
        if client:
            router.set_open(node_id, True)  # a client that waits for replies: deliver to it
    routed: list[int] = []
    start = 0
    while 0 <= start < len(lines):
        stopped = router.route_lines(lines, start)
        events.append(("stopped", stopped))
        routed.extend(range(start, len(lines) if stopped < 0 else stopped))
        start = -1 if stopped < 0 else stopped + 1
    router.flush_journal()
    events.extend(("drain", node_id, router.drain(node_id)) for node_id in OUTPUT_IDS)
    events.append(("counts", router.send_clients, router.send_servers, router.recv_clients))
    return events, routed


def check_output_line(line: bytes) -> None:
    """``parse_line`` refuses only with NodeOutputError, and what it accepts is an
    envelope; what orjson reads as a closed envelope it accepts as exactly that."""
    try:
        with process_recursion_limit():
            accepted = parse_line("n1", line)
    except NodeOutputError as error:
        assert "n1" in str(error)
        accepted = None
    if accepted is not None:
        src, dest, body = accepted
        assert type(src) is str and type(dest) is str and type(body) is dict, accepted
    try:
        fast = folded(orjson.loads(line))
    except orjson.JSONDecodeError:
        return
    if type(fast) is dict and "body" in fast:
        fast["body"] = folded(fast["body"])
    if envelope_violation(fast) is None:
        assert accepted == (fast["src"], fast["dest"], fast["body"]), (accepted, line)
    else:
        assert accepted is None, f"parse_line took what envelope_violation refuses: {line!r}"


def folded(value: Any) -> Any:
    """The map Maelstrom reads a value as (docs/protocol.md): null and [] are {}, an
    array of [string, value] pairs is their map; anything else stays as it is."""
    if value is None or value == []:
        return {}
    pairs = type(value) is list and all(
        type(pair) is list and len(pair) == 2 and type(pair[0]) is str for pair in value
    )
    return {key: item for key, item in value} if pairs else value


def check_output_twins(lines: list[bytes]) -> None:
    """The compiled and pure routers route the same lines the same way, and every line
    their bulk path routes, ``parse_line`` (the per-line path) reads the same way."""
    compiled = routed_by(load_compiled("router"), lines)
    pure = routed_by(load_pure("router"), lines)
    assert compiled == pure, (compiled, pure)
    for index in pure[1]:
        parsed = orjson.loads(lines[index])
        assert parse_line("n1", lines[index]) == (parsed["src"], parsed["dest"], parsed["body"])
