"""The bench's routing hot path: compiled router against its pure twin.

Run with pytest-benchmark (each group holds the compiled and the pure run):
    python -m pytest benchmarks/bench_engine.py --benchmark-enable --benchmark-group-by=group
or as a script printing CPU microseconds per message and the speed-up:
    python benchmarks/bench_engine.py

One "message" is a node's output line routed to one of 25 node recipients,
journaled (send and receive), delivered, encoded for the recipient's stdin
and drained in per-recipient batches: what ``glome test`` does for every
server message of a broadcast run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from types import ModuleType

import orjson
import pytest

from glome._fast import load_compiled, load_pure

NODES = [f"n{i}" for i in range(25)]
BATCH = 25  # lines a node prints per read (one flood relay to 24 peers, about)


def lines(count: int) -> list[bytes]:
    return [
        orjson.dumps(
            {"src": "n1", "dest": NODES[i % 25], "body": {"type": "broadcast", "message": i}}
        )
        for i in range(count)
    ]


def route(core: ModuleType, payload: list[bytes], journal: bool = True) -> Callable[[], None]:
    """Route ``payload`` through a fresh router (no latency), draining each node per batch."""

    def run() -> None:
        router = core.Router(
            lambda when, callback: None, 0, None, (lambda data: None) if journal else None
        )
        for node in NODES:
            router.add(node, None, False, lambda: None)
        for start in range(0, len(payload), BATCH):
            router.route_lines(payload[start : start + BATCH], 0)
            for node in NODES:
                router.drain(node)

    return run


def backends() -> list[tuple[str, ModuleType]]:
    found = [("pure", load_pure("router"))]
    with contextlib.suppress(ImportError):
        found.insert(0, ("compiled", load_compiled("router")))
    return found


PAYLOAD = lines(10_000)


@pytest.mark.parametrize(("name", "core"), backends(), ids=[name for name, _ in backends()])
def test_route_with_journal(benchmark, name, core):
    benchmark.group = "route 10k lines, journal on"
    benchmark(route(core, PAYLOAD))


@pytest.mark.parametrize(("name", "core"), backends(), ids=[name for name, _ in backends()])
def test_route_without_journal(benchmark, name, core):
    benchmark.group = "route 10k lines, journal off"
    benchmark(route(core, PAYLOAD, journal=False))


def cpu_us_per_message(run: Callable[[], None], count: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def main() -> None:
    payload = lines(50_000)
    for journal in (True, False):
        figures = {
            name: cpu_us_per_message(route(core, payload, journal), len(payload))
            for name, core in backends()
        }
        shown = ", ".join(f"{name} {us:.2f} µs/msg" for name, us in figures.items())
        speedup = figures["pure"] / figures["compiled"] if "compiled" in figures else float("nan")
        print(f"journal {'on ' if journal else 'off'}: {shown}, speed-up {speedup:.1f}x")


if __name__ == "__main__":
    main()
