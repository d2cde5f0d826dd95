"""Messages each challenge node handles per CPU-second, compiled core against pure.

    python benchmarks/node_cpu.py [--count 50000] [--repeat 3] [--nodes echo,kafka]

For each node binary (``glome-echo``, ``glome-unique-ids``, ``glome-broadcast``,
``glome-counter``, ``glome-kafka``, ``glome-txn``), starts a real node process,
initialises it, then writes ``--count`` messages of its hot types to its stdin
as one stream (the requests of its workload, and the gossip a peer would send
it) and reads its stdout until the reply to the last request arrives. The
figure is messages per CPU-second of the node process over that span: its CPU
time (user and system) from /proc once init is answered, and from
``os.wait4`` once it exits at the end of input. CPU time, not wall time, so
that a busy machine, or the reader, hardly moves it. Prints one row per node:
the median of ``--repeat`` runs of each backend, run alternately, and their
ratio.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from glome._fast import load_pure
from node_process import console_script, cpu_seconds_so_far, wait_cpu_seconds

bitset = load_pure("bitset")

#: a client sends requests; peers send gossip
CLIENTS = [f"c{i}" for i in range(1, 9)]
CLUSTER = [f"n{i}" for i in range(5)]

Stream = Iterator[tuple[str, dict[str, Any]]]


def echo_stream() -> Stream:
    for i in itertools.count():
        yield CLIENTS[i % 8], {"type": "echo", "echo": f"Please echo {i % 128}"}


def unique_ids_stream() -> Stream:
    while True:
        yield from ((client, {"type": "generate"}) for client in CLIENTS)


def broadcast_stream() -> Stream:
    """A leaf's traffic at the scale of a test run (sets of a few thousand values):
    values from clients, reads, and the hub's gossip, whose set grows by the values
    other leaves gave it (every third number, so it encodes as a test's values do)."""
    incarnation = [1, 7]
    for i in itertools.count():
        if i % 10 == 9:
            yield CLIENTS[i % 8], {"type": "read"}
        elif i % 5 == 4:
            h = bitset.encode_values(range(1_000_000, 1_000_000 + 3 * min(i, 3000), 3))
            yield "n0", {"type": "gossip", "h": h, "t": 1.0e9, "i": incarnation}
        else:
            yield CLIENTS[i % 8], {"type": "broadcast", "message": i % 2000}


def counter_stream() -> Stream:
    for i in itertools.count():
        if i % 4 == 3:
            counts = {peer: i for peer in CLUSTER[2:]}
            yield CLUSTER[2 + i % 3], {"type": "gossip", "counts": counts, "news": i % 8 == 3}
        else:
            yield CLIENTS[i % 8], {"type": "add", "delta": i % 5}


def kafka_stream() -> Stream:
    """Sends to a few keys, polls from recent offsets, commits and reads commits back."""
    keys = [str(k) for k in range(8)]
    for i in itertools.count():
        key = keys[i % 8]
        step = i % 10
        if step < 5:
            yield CLIENTS[i % 8], {"type": "send", "key": key, "msg": i}
        elif step < 8:
            offsets = {k: max(0, i - 40) for k in keys[:3]}
            yield CLIENTS[i % 8], {"type": "poll", "offsets": offsets}
        elif step == 8:
            yield CLIENTS[i % 8], {"type": "commit_offsets", "offsets": {key: max(0, i - 20)}}
        else:
            yield CLIENTS[i % 8], {"type": "list_committed_offsets", "keys": keys[:4]}


def txn_stream() -> Stream:
    for i in itertools.count():
        ops = [["r", i % 16, None], ["w", (i + 1) % 16, i], ["r", (i + 7) % 16, None]]
        yield CLIENTS[i % 8], {"type": "txn", "txn": ops}


#: node name -> (binary, this node's id, the cluster, its message stream)
NODES: dict[str, tuple[str, str, list[str], Callable[[], Stream]]] = {
    "echo": ("glome-echo", "n0", ["n0"], echo_stream),
    "unique-ids": ("glome-unique-ids", "n1", CLUSTER, unique_ids_stream),
    "broadcast": ("glome-broadcast", "n1", CLUSTER, broadcast_stream),
    "counter": ("glome-counter", "n1", CLUSTER, counter_stream),
    "kafka": ("glome-kafka", "n0", ["n0"], kafka_stream),
    "txn": ("glome-txn", "n0", ["n0"], txn_stream),
}


def messages(node_id: str, stream: Stream, count: int) -> tuple[bytes, int]:
    """``count`` lines of ``stream`` to ``node_id``, each request with its own msg_id, and
    the msg_id of the last request (the one whose reply ends a run)."""
    lines = []
    last_request = 0
    for msg_id, (src, body) in enumerate(itertools.islice(stream, count), start=2):
        if src in CLIENTS:
            body = {**body, "msg_id": msg_id}
            last_request = msg_id
        envelope = {"id": msg_id, "src": src, "dest": node_id, "body": body}
        lines.append(orjson.dumps(envelope))
    return b"\n".join(lines) + b"\n", last_request


class Lines:
    """The node's stdout, line by line."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            while b"\n" not in self.buffer:
                data = os.read(self.fd, 1 << 20)
                if not data:
                    raise RuntimeError("the node exited before its last reply")
                self.buffer += data
            line, self.buffer = self.buffer.split(b"\n", 1)
            yield orjson.loads(line)


def run_once(name: str, env: dict[str, str], count: int) -> float:
    """Messages per CPU-second of one run of node ``name``."""
    program, node_id, cluster, stream = NODES[name]
    stream_bytes, last_request = messages(node_id, stream(), count)
    proc = subprocess.Popen(
        [console_script(program)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    init = {"type": "init", "msg_id": 1, "node_id": node_id, "node_ids": cluster}
    proc.stdin.write(orjson.dumps({"src": "c0", "dest": node_id, "body": init}) + b"\n")
    proc.stdin.flush()
    replies = iter(Lines(proc.stdout.fileno()))
    assert next(replies)["body"]["type"] == "init_ok"
    cpu_before = cpu_seconds_so_far(proc.pid)
    writer = threading.Thread(target=proc.stdin.write, args=(stream_bytes,))
    writer.start()
    for message in replies:
        body = message["body"]
        if body.get("type") == "error":
            raise RuntimeError(f"{name} answered an error: {body}")
        if message["dest"] in CLIENTS and body.get("in_reply_to") == last_request:
            break
    writer.join()
    proc.stdin.close()
    return count / (wait_cpu_seconds(proc) - cpu_before)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=50_000, help="messages per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nodes", default=",".join(NODES), help="comma-separated node names")
    args = parser.parse_args()
    names = args.nodes.split(",")
    unknown = sorted(set(names) - set(NODES))
    if unknown:
        parser.error(f"unknown nodes {unknown} (known: {', '.join(NODES)})")
    compiled_env = {k: v for k, v in os.environ.items() if k != "GLOME_NO_EXTENSIONS"}
    backends = {"compiled": compiled_env, "pure": {**compiled_env, "GLOME_NO_EXTENSIONS": "1"}}
    print(f"{args.count} messages per run, median of {args.repeat} runs, msgs per CPU-second")
    print(f"  {'node':<12} {'compiled':>12} {'pure':>12} {'ratio':>7}")
    for name in names:
        rates: dict[str, list[float]] = {backend: [] for backend in backends}
        for _ in range(args.repeat):  # alternately, so machine noise hits both alike
            for backend, env in backends.items():
                rates[backend].append(run_once(name, env, args.count))
        compiled, pure = (statistics.median(rates[backend]) for backend in backends)
        print(f"  {name:<12} {compiled:>12,.0f} {pure:>12,.0f} {compiled / pure:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
