"""Echo throughput: 200,000 requests piped through one node process.

    python benchmarks/echo_throughput.py [--count 200000] [--repeat 3]

Runs, side by side in one go, ``glome-echo`` on the compiled core, ``glome-echo``
on the pure core (GLOME_NO_EXTENSIONS=1), a glome node answering echo with a
handler function on the compiled core (the general path, which every other
node's messages take: ``glome-echo`` declares its echo as a mirror, which the
compiled core answers by copying bytes), and two bare orjson loops written
below, minimal correct Maelstrom echo nodes: one reads a line, answers it and
flushes each reply; the other batches as glome does, answering every whole line
of what one read returned and writing the replies at once (a node may, since it
answers everything it has read before it waits again). The batching loop is the
fair yardstick for glome's per-message cost; the flushing one shows what
batching buys. Before timing, each glome contender's backend is checked (the
compiled one must really load its compiled core). Each run sends init and waits
for init_ok, then the clock runs from the first echo written to the last reply
read; every reply is checked afterwards. Prints msgs/s (the median of
``--repeat`` runs) and the ratio to the batching bare loop, and beside them
msgs per CPU-second of the node process over the same span (its CPU time from
/proc when the clock starts and from ``os.wait4`` at exit), which a busy
machine disturbs far less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

import orjson

from node_process import console_script, cpu_seconds_so_far, wait_cpu_seconds

#: flushes after every reply
BARE_ORJSON_LOOP = """
import sys, orjson
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    msg = orjson.loads(line)
    body = msg["body"]
    if body["type"] == "echo":
        reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}
    else:
        reply = {"type": "init_ok", "in_reply_to": body["msg_id"]}
    out.write(orjson.dumps({"src": msg["dest"], "dest": msg["src"], "body": reply}) + b"\\n")
    out.flush()
"""

#: answers every whole line of one read, then writes the replies at once
BATCHING_ORJSON_LOOP = """
import os, orjson
loads, dumps = orjson.loads, orjson.dumps
rest = b""
while True:
    data = os.read(0, 1 << 16)
    if not data:
        break
    *lines, rest = (rest + data).split(b"\\n")
    replies = []
    for line in lines:
        msg = loads(line)
        body = msg["body"]
        if body["type"] == "echo":
            reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}
        else:
            reply = {"type": "init_ok", "in_reply_to": body["msg_id"]}
        replies.append(dumps({"src": msg["dest"], "dest": msg["src"], "body": reply}))
    if replies:
        os.write(1, b"\\n".join(replies) + b"\\n")
"""

#: echo as any other node's handler: a function returning the reply body
HANDLER_ECHO_NODE = """
from glome.node import Node, field
node = Node()
@node.on("echo")
def echo(msg):
    return {"type": "echo_ok", "echo": field(msg, "echo")}
raise SystemExit(node.run())
"""

#: compiled glome-echo against the batching bare loop and against the pure twin, in msgs/s
TARGET_OVER_BARE = 3.0
TARGET_OVER_PURE = 2.0

INIT = {
    "src": "c0",
    "dest": "n0",
    "body": {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]},
}


def echo_requests(count: int) -> bytes:
    """Maelstrom-shaped echo requests from client c1, msg_id 1..count."""
    return b"".join(
        orjson.dumps(
            {
                "id": i,
                "src": "c1",
                "dest": "n0",
                "body": {"echo": f"Please echo {i % 128}", "type": "echo", "msg_id": i},
            }
        )
        + b"\n"
        for i in range(1, count + 1)
    )


def read_lines(fd: int, count: int, buffer: bytearray) -> None:
    """Read from ``fd`` into ``buffer`` until it holds ``count`` lines."""
    lines = buffer.count(b"\n")
    while lines < count:
        data = os.read(fd, 1 << 20)
        if not data:
            raise RuntimeError(f"the node exited after {lines} of {count} replies")
        buffer += data
        lines += data.count(b"\n")


def run_once(
    argv: list[str], env: dict[str, str], requests: bytes, count: int
) -> tuple[float, float]:
    """msgs/s and msgs per CPU-second of one node process answering ``count`` echo requests."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    out_fd = proc.stdout.fileno()
    proc.stdin.write(orjson.dumps(INIT) + b"\n")
    proc.stdin.flush()
    init_reply = bytearray()
    read_lines(out_fd, 1, init_reply)
    assert orjson.loads(init_reply)["body"]["type"] == "init_ok", init_reply
    replies = bytearray()
    writer = threading.Thread(target=proc.stdin.write, args=(requests,))
    cpu_before = cpu_seconds_so_far(proc.pid)
    start = time.perf_counter()
    writer.start()
    read_lines(out_fd, count, replies)
    elapsed = time.perf_counter() - start
    writer.join()
    proc.stdin.close()
    cpu = wait_cpu_seconds(proc) - cpu_before
    check_replies(bytes(replies), count)
    return count / elapsed, count / cpu


def backend(env: dict[str, str]) -> str:
    """Which core glome's node runtime loads under ``env`` ("compiled" or "pure")."""
    probe = "import glome.node as node; print(node.BACKEND)"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def check_replies(replies: bytes, count: int) -> None:
    lines = replies.splitlines()
    assert len(lines) == count, (len(lines), count)
    for msg_id, line in enumerate(lines, start=1):
        body = orjson.loads(line)["body"]
        assert body["in_reply_to"] == msg_id and body["echo"] == f"Please echo {msg_id % 128}", line


def measure(count: int, repeat: int) -> dict[str, tuple[float, float]]:
    """contender -> (median msgs/s, median msgs per CPU-second of the node process),
    the contenders' runs interleaved so that machine noise hits all alike."""
    glome_echo = console_script("glome-echo")
    compiled_env = {k: v for k, v in os.environ.items() if k != "GLOME_NO_EXTENSIONS"}
    pure_env = {**compiled_env, "GLOME_NO_EXTENSIONS": "1"}
    for env, expected in ((compiled_env, "compiled"), (pure_env, "pure")):
        loaded = backend(env)
        if loaded != expected:
            sys.exit(f"glome-echo would run on {loaded!r}, not {expected!r}")
    contenders = {
        "compiled glome-echo": ([glome_echo], compiled_env),
        "pure glome-echo": ([glome_echo], pure_env),
        "compiled handler echo": ([sys.executable, "-c", HANDLER_ECHO_NODE], compiled_env),
        "bare batching loop": ([sys.executable, "-c", BATCHING_ORJSON_LOOP], compiled_env),
        "bare flushing loop": ([sys.executable, "-c", BARE_ORJSON_LOOP], compiled_env),
    }
    requests = echo_requests(count)
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, (argv, env) in contenders.items():
            rate, cpu_rate = run_once(argv, env, requests, count)
            rates[name].append(rate)
            cpu_rates[name].append(cpu_rate)
    return {
        name: (statistics.median(rates[name]), statistics.median(cpu_rates[name]))
        for name in contenders
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = measure(args.count, args.repeat)
    bare, bare_cpu = figures["bare batching loop"]
    print(f"{args.count} echo requests, median of {args.repeat} runs")
    for name, (rate, cpu_rate) in figures.items():
        print(
            f"  {name:<21} {rate:>10,.0f} msgs/s   {rate / bare:5.2f}x bare batching loop"
            f"   {cpu_rate:>10,.0f} msgs/CPU-s   {cpu_rate / bare_cpu:5.2f}x"
        )
    compiled, pure = figures["compiled glome-echo"][0], figures["pure glome-echo"][0]
    print(
        f"targets: compiled >= {TARGET_OVER_BARE:g}x the bare batching loop "
        f"({compiled / bare:.2f}x), >= {TARGET_OVER_PURE:g}x pure ({compiled / pure:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
