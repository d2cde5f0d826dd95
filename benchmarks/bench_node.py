"""The per-message path of the node core, compiled vs pure (pytest-benchmark).

    python -m pytest benchmarks/bench_node.py --benchmark-enable

Each round feeds one chunk of 1,000 Maelstrom echo requests to a core with a
plain-function echo handler and takes the joined output: framing, decoding,
dispatch, the handler, the reply envelope; and the same to a core that mirrors
echo, as glome-echo does (docs/node.md §2.1). Divide a round's time by 1,000 for
the cost of one message. The whole-process figure is benchmarks/echo_throughput.py.
"""

from __future__ import annotations

import orjson
import pytest

from glome import _fast

MESSAGES_PER_ROUND = 1000

CHUNK = b"".join(
    orjson.dumps(
        {
            "id": i,
            "src": "c1",
            "dest": "n0",
            "body": {"echo": f"Please echo {i % 128}", "type": "echo", "msg_id": i},
        }
    )
    + b"\n"
    for i in range(MESSAGES_PER_ROUND)
)


def unexpected(*args: object) -> None:
    raise AssertionError(f"an echo request left the fast path: {args!r}")


def echo_core(module):
    core = module.Core(unexpected, unexpected, unexpected)
    core.handlers["echo"] = lambda msg: {"type": "echo_ok", "echo": msg["body"]["echo"]}
    core.set_node_id("n0")
    return core


def backend_module(name: str):
    if name == "pure":
        return _fast.load_pure("node")
    try:
        return _fast.load_compiled("node")
    except ImportError as exc:
        pytest.skip(f"compiled core not built: {exc}")


@pytest.mark.parametrize("mirrored", [False, True], ids=["handler", "mirror"])
@pytest.mark.parametrize("backend_name", ["compiled", "pure"])
def test_echo_chunk(benchmark, backend_name, mirrored):
    core = echo_core(backend_module(backend_name))
    if mirrored:
        core.mirror("echo", "echo_ok", ("echo",))
    benchmark.group = f"node core: 1,000 {'mirrored ' if mirrored else ''}echo requests per round"

    def one_round() -> bytes:
        core.feed(CHUNK)
        return core.take_output()

    output = benchmark(one_round)
    assert output.count(b"\n") == MESSAGES_PER_ROUND
    assert output.count(b'"type":"echo_ok"') == MESSAGES_PER_ROUND


@pytest.mark.parametrize("backend_name", ["compiled", "pure"])
def test_echo_split_chunks(benchmark, backend_name):
    """The same requests arriving in 4 KiB reads, so lines straddle chunks."""
    core = echo_core(backend_module(backend_name))
    pieces = [CHUNK[i : i + 4096] for i in range(0, len(CHUNK), 4096)]
    benchmark.group = "node core: 1,000 echo requests in 4 KiB reads"

    def one_round() -> bytes:
        for piece in pieces:
            core.feed(piece)
        return core.take_output()

    output = benchmark(one_round)
    assert output.count(b"\n") == MESSAGES_PER_ROUND
