"""Memory stays flat over long hostile streams, where it plausibly could grow: the
node's partial-line buffer, envelope-prefix cache, RPC table and timer heap, its
output while nobody reads it, and the bench's router fed node output that it
routes, refuses or journals.

Python-level growth is measured with tracemalloc; the compiled core's own buffers
are malloc'd outside it, so the process's resident set is checked too.
"""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson
import pytest

import glome.node
from fuzz.targets import (
    INIT_LINE,
    OUTPUT_IDS,
    build_node,
    core_module,
    logging_everything,
    resident_bytes,
)
from glome._fast import load_compiled, load_pure

WARMUP_ROUNDS = 10
ROUNDS = 150  # a leak of 25 bytes per message would pass the traced limit
SENDERS_PER_ROUND = 500  # distinct sources: the prefix cache fills and resets within warm-up
ASKS_PER_ROUND = 20
LONG_LINE = 256 * 1024
TRACED_GROWTH_LIMIT = 2 << 20
RSS_GROWTH_LIMIT = 24 << 20


def growth(round_of_input: Callable[[int], int], inputs) -> tuple[int, int]:
    """(tracemalloc growth, RSS growth) in bytes from after warm-up to the last round."""
    for number in range(WARMUP_ROUNDS):
        inputs.tried(round_of_input(number))
    tracemalloc.start()
    try:
        traced_before, rss_before = tracemalloc.get_traced_memory()[0], resident_bytes()
        for number in range(WARMUP_ROUNDS, WARMUP_ROUNDS + ROUNDS):
            inputs.tried(round_of_input(number))
        traced_after, rss_after = tracemalloc.get_traced_memory()[0], resident_bytes()
    finally:
        tracemalloc.stop()
    return traced_after - traced_before, rss_after - rss_before


def hostile_round(number: int) -> list[bytes]:
    """Requests from new senders, asks and their answers, junk, and one long line."""
    lines = [
        orjson.dumps(
            {
                "src": f"c{number}-{i}",
                "dest": "n0",
                "body": {"type": "echo", "echo": i, "msg_id": i},
            }
        )
        for i in range(SENDERS_PER_ROUND)
    ]
    first_rpc = 1 + 2 * ASKS_PER_ROUND * number  # build_node numbers RPCs from 1, two per ask
    for i in range(ASKS_PER_ROUND):
        lines.append(b'{"src":"c1","dest":"n0","body":{"type":"ask","msg_id":%d}}' % i)
    for rpc in range(first_rpc, first_rpc + 2 * ASKS_PER_ROUND):
        lines.append(b'{"src":"n1","dest":"n0","body":{"type":"ok","in_reply_to":%d}}' % rpc)
    lines += [b"\xff\xfe junk", b'{"src":"c1","body":[]}', b"[" * 2000, b"   "]
    lines.append(b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"%b"' % (b"x" * LONG_LINE))
    return lines


@pytest.mark.timeout(120)
def test_node_memory_is_flat_over_hostile_rounds(backend, inputs) -> None:
    node = build_node(core_module(backend))
    node._core.feed(INIT_LINE + b"\n")

    def one_round(number: int) -> int:
        stream = b"\n".join(hostile_round(number)) + b"\n"
        with logging_everything():
            for start in range(0, len(stream), 4096):  # reads of one pipe buffer each
                node._core.feed(stream[start : start + 4096])
                node._fire_due_timers()
        node._core.take_output()
        assert not node._pending, len(node._pending)
        return stream.count(b"\n")

    traced, rss = growth(one_round, inputs)
    print(f"node ({backend}): traced {traced} B, resident {rss} B over {ROUNDS} rounds")
    assert traced < TRACED_GROWTH_LIMIT and rss < RSS_GROWTH_LIMIT, (traced, rss)
    assert len(node._timers) <= 2 * 1024 + 4 * ASKS_PER_ROUND, len(node._timers)
    inputs.report((WARMUP_ROUNDS + ROUNDS) * SENDERS_PER_ROUND)


@pytest.mark.timeout(120)
def test_router_memory_is_flat_over_node_output(backend, inputs) -> None:
    module = load_compiled("router") if backend == "compiled" else load_pure("router")
    journal: list[int] = []
    router = module.Router(lambda when, cb: None, 0, None, lambda data: journal.append(len(data)))
    for node_id in OUTPUT_IDS:
        router.add(node_id, None, False, True)  # every recipient reads: nothing waits

    def one_round(number: int) -> int:
        lines = [
            b'{"src":"n1","dest":"%b","body":{"type":"x","v":%d}}'
            % (OUTPUT_IDS[i % len(OUTPUT_IDS)].encode(), i)
            for i in range(SENDERS_PER_ROUND)
        ]
        lines[::50] = [b'{"src":"n1","dest":"ghost","body":{}}'] * len(lines[::50])
        start = 0
        while 0 <= start < len(lines):
            stopped = router.route_lines(lines, start)
            start = -1 if stopped < 0 else stopped + 1
        for node_id in router.pending():
            router.drain(node_id)
        router.flush_journal()
        journal.clear()
        return len(lines)

    traced, rss = growth(one_round, inputs)
    print(f"router ({backend}): traced {traced} B, resident {rss} B over {ROUNDS} rounds")
    assert traced < TRACED_GROWTH_LIMIT and rss < RSS_GROWTH_LIMIT, (traced, rss)
    inputs.report((WARMUP_ROUNDS + ROUNDS) * SENDERS_PER_ROUND)


class HighWater:
    """The node's core, remembering the most output it ever held unwritten."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self.most = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    def feed(self, chunk: bytes) -> None:
        self._core.feed(chunk)
        self.most = max(self.most, self._core.pending)


BACKLOG_LIMIT = 256 << 10
REQUESTS = 20_000  # about 20 MiB of requests, and as much in replies


@pytest.mark.timeout(120)
def test_output_nobody_reads_stops_the_input(backend, monkeypatch) -> None:
    """A reader that stalls used to let the node buffer every reply in memory."""
    monkeypatch.setattr(glome.node, "OUTPUT_BACKLOG_LIMIT", BACKLOG_LIMIT)
    node = build_node(core_module(backend))
    node._core = watched = HighWater(node._core)
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    payload = "x" * 1000
    requests = b"".join(
        b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"%b","msg_id":%d}}\n'
        % (payload.encode(), i)
        for i in range(REQUESTS)
    )
    written = [0]

    def serve() -> None:
        node.run(stdin_read, stdout_write)
        os.close(stdout_write)

    def feed() -> None:
        for start in range(0, len(requests), 1 << 16):
            written[0] += os.write(stdin_write, requests[start : start + (1 << 16)])
        os.close(stdin_write)

    os.write(stdin_write, INIT_LINE + b"\n")
    threads = [threading.Thread(target=serve), threading.Thread(target=feed)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # nobody reads stdout: the node fills it, then stops reading
    stalled_at = written[0]
    output = bytearray()
    while chunk := os.read(stdout_read, 1 << 20):
        output += chunk
    for thread in threads:
        thread.join(timeout=60)
    for fd in (stdin_read, stdout_read):
        os.close(fd)
    assert stalled_at < len(requests), "the node read everything while nobody read its output"
    assert output.count(b"\n") == REQUESTS + 1
    assert watched.most < BACKLOG_LIMIT + (2 << 20), watched.most
