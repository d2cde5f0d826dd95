"""Speed of the side files every run writes: the perf PNGs, timeline.html, messages.svg.

Targets on this machine class: the three PNGs of a 40,000-op history under 2 s,
timeline.html of the same under 0.5 s, messages.svg of 10,000 events under 0.5 s.

Run: python -m pytest benchmarks/bench_plots.py --benchmark-enable -q
Or:  python benchmarks/bench_plots.py   (prints one cold figure each, matplotlib import included)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

MS = 1_000_000
S = 1_000 * MS
OPS = 40_000
CONCURRENCY = 10
NODES = 5


class Options:
    workload = "broadcast"


def partitioned_history(ops: int = OPS, seed: int = 3) -> list[dict[str, Any]]:
    """Broadcasts and reads from CONCURRENCY workers at ~200 Hz, latencies around
    a few ms with a long tail, a few failures and timeouts, and a partition
    started every ~10 s and healed ~5 s later."""
    rng = random.Random(seed)
    events: list[tuple[int, dict[str, Any]]] = []
    process_of = list(range(CONCURRENCY))
    clock = [0] * CONCURRENCY
    invocations = 0
    while 2 * invocations < ops:
        worker = invocations % CONCURRENCY
        process = process_of[worker]
        start = clock[worker] + rng.randrange(0, 100 * MS)
        latency = int(rng.lognormvariate(1.0, 0.8) * MS)
        f = "broadcast" if rng.random() < 0.5 else "read"
        roll = rng.random()
        outcome = "fail" if roll < 0.02 else "info" if roll < 0.03 else "ok"
        if outcome == "info":
            latency = 1000 * MS
            process_of[worker] += CONCURRENCY  # Jepsen's new process after a timeout
        events.append((start, {"type": "invoke", "process": process, "f": f, "value": None}))
        events.append((start + latency, {"type": outcome, "process": process, "f": f}))
        clock[worker] = start + latency
        invocations += 1
    end = max(clock)
    t = 0
    while t < end:
        for f, at in (("start-partition", t), ("stop-partition", t + 5 * S)):
            for _ in range(2):
                events.append((at, {"type": "info", "process": "nemesis", "f": f, "value": None}))
        t += 10 * S
    events.sort(key=lambda event: event[0])
    return [{**op, "index": i, "time": at} for i, (at, op) in enumerate(events)]


def journal_lines(events: int = 12_000, seed: int = 5) -> bytes:
    """Client RPCs and node gossip, ~5 % of gossip lost, as net-journal.jsonl lines."""
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(NODES)]
    lines: list[bytes] = []
    message_id = 0
    pending: list[int] = []
    while len(lines) < events:
        if pending and rng.random() < 0.5:
            lines.append(orjson.dumps([len(lines), "recv", pending.pop(0)]))
            continue
        src, dest = rng.sample(nodes, 2)
        if rng.random() < 0.3:
            src = f"c{rng.randrange(20)}"
            body: dict[str, Any] = {"type": "broadcast", "message": message_id, "msg_id": 1}
        else:
            body = {"type": "gossip", "values": list(range(message_id % 30)), "msg_id": 7}
        message = {"src": src, "dest": dest, "body": body}
        lines.append(orjson.dumps([len(lines), "send", message_id, message]))
        if rng.random() > 0.05:
            pending.append(message_id)
        message_id += 1
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    return partitioned_history()


def test_perf_pngs_of_40000_ops(benchmark, history, tmp_path):
    from glome.bench.checkers import perf
    from glome.bench.history import CheckContext

    ctx = CheckContext(Options(), tmp_path)
    benchmark.pedantic(perf.check, args=(history, ctx), rounds=3, iterations=1)
    assert (tmp_path / "latency-raw.png").stat().st_size > 0


def test_timeline_of_40000_ops(benchmark, history, tmp_path):
    from glome.bench.checkers import timeline
    from glome.bench.history import CheckContext

    ctx = CheckContext(Options(), tmp_path)
    benchmark.pedantic(timeline.check, args=(history, ctx), rounds=5, iterations=1)


def test_messages_svg_of_10000_events(benchmark, tmp_path):
    from glome.bench import lamport

    journal = tmp_path / "net-journal.jsonl"
    journal.write_bytes(journal_lines())
    out = tmp_path / "messages.svg"
    benchmark.pedantic(lamport.write_svg, args=(journal, out), rounds=5, iterations=1)


def main() -> None:
    """One cold run of each, the way a test run pays for it (imports included)."""
    history = partitioned_history()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        (store / "net-journal.jsonl").write_bytes(journal_lines())
        started = time.perf_counter()
        from glome.bench.checkers import perf
        from glome.bench.history import CheckContext

        perf.check(history, CheckContext(Options(), store))
        perf_s = time.perf_counter() - started
        from glome.bench.checkers import timeline

        started = time.perf_counter()
        timeline.check(history, CheckContext(Options(), store))
        timeline_s = time.perf_counter() - started
        from glome.bench import lamport

        started = time.perf_counter()
        lamport.write_svg(store / "net-journal.jsonl", store / "messages.svg")
        svg_s = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size for p in sorted(store.iterdir())}
    print(f"history ops: {len(history)}")
    print(f"perf PNGs (cold, matplotlib import included): {perf_s:.2f} s  (target < 2 s)")
    print(f"timeline.html: {timeline_s:.2f} s  (target < 0.5 s)")
    print(f"messages.svg of 10,000 events: {svg_s:.2f} s  (target < 0.5 s)")
    for name, size in sizes.items():
        print(f"  {name}: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
