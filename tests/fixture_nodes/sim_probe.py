#!/usr/bin/env python3
"""A node on glome's runtime that shows what it sees of time and randomness.

``probe`` answers with its clocks and random draws; ``nap`` sleeps (``time.sleep``)
inside the handler and then answers; a timer every ``PERIOD`` s counts ticks;
``echo`` echoes, or with the argument ``hang`` loops forever (a node --sim must kill),
or with ``crash`` exits at once.
"""

import os
import random
import secrets
import sys
import time
import uuid

from glome.node import Node

PERIOD = 0.25

node = Node()
ticks = [0]


@node.on_init
def start_ticking() -> None:
    node.every(PERIOD, lambda: ticks.__setitem__(0, ticks[0] + 1))


@node.on("echo")
def echo(msg):
    while "hang" in sys.argv[1:]:
        pass
    if "crash" in sys.argv[1:]:
        print("crashing on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    return {"type": "echo_ok", "echo": msg["body"]["echo"]}


@node.on("probe")
def probe(msg):
    return {
        "type": "probe_ok",
        "monotonic": time.monotonic(),
        "monotonic_ns": time.monotonic_ns(),
        "perf_counter": time.perf_counter(),
        "time": time.time(),
        "time_ns": time.time_ns(),
        "random": random.random(),
        "urandom": os.urandom(4).hex(),
        "secrets": secrets.randbits(32),
        "uuid4": str(uuid.uuid4()),
        "ticks": ticks[0],
    }


@node.on("nap")
def nap(msg):
    before = time.monotonic_ns()
    time.sleep(msg["body"]["seconds"])
    return {"type": "nap_ok", "before": before, "after": time.monotonic_ns()}


if __name__ == "__main__":
    sys.exit(node.run())
