"""Gossip bitsets and set codecs: compiled against pure, and encoded sizes against JSON lists.

Run with pytest-benchmark (each group holds the compiled and the pure run of one case):
    python -m pytest benchmarks/bench_bitset.py --benchmark-enable --benchmark-group-by=group
or as a script printing the speed-up of each case and the encoded sizes:
    python benchmarks/bench_bitset.py

Sizes 100, 2,000 and 20,000 (about what a 3d/3e run broadcasts). "dense" is
0 .. n-1 (broadcast values are handed out in order); "sparse" is n values drawn
from 0 .. 25n-1 (one node's share of a 25-node cluster, at random).
"""

from __future__ import annotations

import random
import timeit
from collections.abc import Callable
from types import ModuleType

import orjson
import pytest

from glome._fast import load_compiled, load_pure

SIZES = (100, 2_000, 20_000)
SHAPES = ("dense", "sparse")
Call = Callable[[], object]


def sample(shape: str, size: int) -> list[int]:
    if shape == "dense":
        return list(range(size))
    return sorted(random.Random(size).sample(range(25 * size), size))


def add_each(bits: ModuleType, values: list[int]) -> Call:
    """One ``add`` per value into a fresh set, as values arrive from clients."""

    def run() -> None:
        held = bits.Bitset()
        for value in values:
            held.add(value)

    return run


def add_many(bits: ModuleType, values: list[int]) -> Call:
    return lambda: bits.Bitset(values)


def union(bits: ModuleType, values: list[int]) -> Call:
    """Merge a peer's set into a copy of one holding every other value (half are new)."""
    half, peer = bits.Bitset(values[::2]), bits.Bitset(values)
    return lambda: half.copy().update(peer)


def difference(bits: ModuleType, values: list[int]) -> Call:
    """What to send a peer known to hold nine values in ten."""
    held = bits.Bitset(values)
    peer = bits.Bitset(value for position, value in enumerate(values) if position % 10)
    return lambda: held.difference(peer)


def to_list(bits: ModuleType, values: list[int]) -> Call:
    return bits.Bitset(values).to_list


def encode(bits: ModuleType, values: list[int]) -> Call:
    return bits.Bitset(values).encode


def decode(bits: ModuleType, values: list[int]) -> Call:
    text = bits.encode_values(values)
    return lambda: bits.Bitset.decode(text)


def encode_values(bits: ModuleType, values: list[int]) -> Call:
    return lambda: bits.encode_values(values)


def decode_values(bits: ModuleType, values: list[int]) -> Call:
    text = bits.encode_values(values)
    return lambda: bits.decode_values(text)


OPERATIONS: dict[str, Callable[[ModuleType, list[int]], Call]] = {
    "add": add_each,
    "add_many": add_many,
    "union": union,
    "difference": difference,
    "to_list": to_list,
    "encode": encode,
    "decode": decode,
    "encode_values": encode_values,
    "decode_values": decode_values,
}


def backend_module(backend: str) -> ModuleType:
    if backend == "pure":
        return load_pure("bitset")
    try:
        return load_compiled("bitset")
    except ImportError as exc:
        pytest.skip(f"compiled bitset not built: {exc}")


@pytest.mark.parametrize("backend", ["compiled", "pure"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation(benchmark, operation: str, shape: str, size: int, backend: str) -> None:
    benchmark.group = f"{operation} {shape} {size}"
    call = OPERATIONS[operation](backend_module(backend), sample(shape, size))
    benchmark(call)


def seconds_per_call(call: Call) -> float:
    """The best of five timings, each long enough (about 0.1 s) to swamp the clock's grain."""
    number, _ = timeit.Timer(call).autorange()
    number = max(1, number // 2)
    return min(timeit.Timer(call).repeat(repeat=5, number=number)) / number


def print_speedups() -> None:
    compiled, pure = load_compiled("bitset"), load_pure("bitset")
    header = f"{'operation':14} {'shape':7} {'n':>6} {'compiled µs':>12} {'pure µs':>10}"
    print(f"{header} {'speed-up':>9}")
    for operation, prepare in OPERATIONS.items():
        for shape in SHAPES:
            for size in SIZES:
                values = sample(shape, size)
                fast = seconds_per_call(prepare(compiled, values)) * 1e6
                slow = seconds_per_call(prepare(pure, values)) * 1e6
                print(
                    f"{operation:14} {shape:7} {size:6} {fast:12.2f} {slow:10.2f} "
                    f"{slow / fast:8.1f}x"
                )


def print_sizes() -> None:
    bits = load_pure("bitset")
    rng = random.Random(0)
    shapes = {shape: lambda size, shape=shape: sample(shape, size) for shape in SHAPES}
    shapes["1% holes"] = lambda size: [v for v in range(size) if rng.random() > 0.01]
    shapes["half, random"] = lambda size: [v for v in range(size) if rng.random() < 0.5]
    print(f"\n{'shape':13} {'n':>6} {'encoded':>8} {'orjson list':>12} {'ratio':>7}  prefix")
    for shape, build in shapes.items():
        for size in SIZES:
            values = build(size)
            text = bits.encode_values(values)
            listed = len(orjson.dumps(values))
            print(
                f"{shape:13} {size:6} {len(text):8} {listed:12} {listed / len(text):6.1f}x  "
                f"{text[:12]}"
            )


if __name__ == "__main__":
    print_speedups()
    print_sizes()
