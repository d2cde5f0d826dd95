"""Memory stays flat over long hostile streams, where it plausibly could grow: the
node's partial-line buffer, envelope-prefix cache, RPC table and timer heap, and the
bench's router fed node output that it routes, refuses or journals.

Python-level growth is measured with tracemalloc; the compiled core's own buffers
are malloc'd outside it, so the process's resident set is checked too.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable

import orjson
import pytest

from fuzz.targets import INIT_LINE, OUTPUT_IDS, build_node, core_module, logging_everything
from glome._fast import load_compiled, load_pure

WARMUP_ROUNDS = 10
ROUNDS = 150  # a leak of 25 bytes per message would pass the traced limit
SENDERS_PER_ROUND = 500  # distinct sources: the prefix cache fills and resets within warm-up
ASKS_PER_ROUND = 20
LONG_LINE = 256 * 1024
TRACED_GROWTH_LIMIT = 2 << 20
RSS_GROWTH_LIMIT = 24 << 20


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


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
    module = load_compiled("bench") if backend == "compiled" else load_pure("bench")
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
