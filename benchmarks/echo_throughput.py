"""Echo throughput: 200,000 requests piped through one node process.

    python benchmarks/echo_throughput.py [--count 200000] [--repeat 3]

Runs, side by side in one go, ``glome-echo`` on the compiled core, ``glome-echo``
on the pure core (GLOME_NO_EXTENSIONS=1), and two bare orjson loops written
below, minimal correct Maelstrom echo nodes: one reads a line, answers it and
flushes each reply; the other batches as glome does, answering every whole line
of what one read returned and writing the replies at once (a node may, since it
answers everything it has read before it waits again). The batching loop is the
fair yardstick for glome's per-message cost; the flushing one shows what
batching buys. Before timing, each glome contender's backend is checked (the
compiled one must really load its compiled core). Each run sends init and waits
for init_ok, then the clock runs from the first echo written to the last reply
read; every reply is checked afterwards. Prints msgs/s (the median of
``--repeat`` runs) and the ratio to the batching bare loop.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

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


def run_once(argv: list[str], env: dict[str, str], requests: bytes, count: int) -> float:
    """msgs/s of one node process answering ``count`` echo requests."""
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
    start = time.perf_counter()
    writer.start()
    read_lines(out_fd, count, replies)
    elapsed = time.perf_counter() - start
    writer.join()
    proc.stdin.close()
    proc.wait(timeout=30)
    check_replies(bytes(replies), count)
    return count / elapsed


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    beside_python = Path(sys.executable).parent / "glome-echo"
    glome_echo = str(beside_python) if beside_python.exists() else shutil.which("glome-echo")
    if glome_echo is None:
        print("glome-echo is not on PATH: pip install . first", file=sys.stderr)
        return 1
    compiled_env = {k: v for k, v in os.environ.items() if k != "GLOME_NO_EXTENSIONS"}
    pure_env = {**compiled_env, "GLOME_NO_EXTENSIONS": "1"}
    for env, expected in ((compiled_env, "compiled"), (pure_env, "pure")):
        loaded = backend(env)
        if loaded != expected:
            print(f"glome-echo would run on {loaded!r}, not {expected!r}", file=sys.stderr)
            return 1
    contenders = {
        "compiled glome-echo": ([glome_echo], compiled_env),
        "pure glome-echo": ([glome_echo], pure_env),
        "bare batching loop": ([sys.executable, "-c", BATCHING_ORJSON_LOOP], compiled_env),
        "bare flushing loop": ([sys.executable, "-c", BARE_ORJSON_LOOP], compiled_env),
    }
    requests = echo_requests(args.count)
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeat):  # interleaved, so machine noise hits all alike
        for name, (argv, env) in contenders.items():
            rates[name].append(run_once(argv, env, requests, args.count))
    bare = statistics.median(rates["bare batching loop"])
    print(f"{args.count} echo requests, median of {args.repeat} runs")
    for name, runs in rates.items():
        rate = statistics.median(runs)
        print(f"  {name:<20} {rate:>10,.0f} msgs/s   {rate / bare:5.2f}x bare batching loop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
