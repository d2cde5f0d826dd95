#!/usr/bin/env python3
"""An echo node that misbehaves on request, to show how ``glome test`` copes.

It writes its pid to ``--pid-dir`` first thing (the tests check afterwards that
no node outlived the run), then echoes -- except as one flag says:

``--crash-after N``       exit with status 7 after N echoes
``--no-init``             never answer init
``--slow-init S``         answer init only after S seconds
``--hang-after N``        after N echoes ignore SIGTERM, start a child that sleeps,
                          and sleep forever without reading stdin again
``--flood self|NODE``     after init, print messages to DEST forever, never reading
``--flood client``        answer the first echo, then repeat the answer forever
``--endless-line``        after init, print one line that never ends
``--bad-line-after N``    print a line that is not JSON after N echoes
``--reply-twice``         answer every echo twice
``--late-init-reply S``   S seconds after init_ok, send a second one (the init
                          client is closed by then)
``--late-echo N``         answer the Nth echo 5.5 s late, after the client gave up
``--unknown-after N``     after N echoes, send a message to node n99
``--big-to NODE``         with every echo, send NODE a message of 1 to 4 MB (on one
                          line) and answer the echo only once NODE acknowledges it;
                          a node that gets one checks it, logs ``big ok`` and
                          acknowledges
"""

import hashlib
import os
import selectors
import signal
import subprocess
import sys
import time
from typing import BinaryIO

import orjson

LATE_ECHO_S = 5.5  # past the client's 5 s timeout


def flag(name: str, default: str | None = None) -> str | None:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else default


def count_flag(name: str) -> int:
    return int(flag(name, "-1"))


class Node:
    def __init__(self) -> None:
        self.out = sys.stdout.buffer
        self.node_id = ""
        self.echoes = 0
        self.timers: list[tuple[float, bytes]] = []  # (when, line) printed later
        self.held: dict[int, tuple[str, dict]] = {}  # big id -> echo reply awaiting its ack

    def emit(self, dest: str, body: dict, times: int = 1) -> None:
        """Print the message ``times`` times, in one write: both halves of a twin reply
        reach the bench together even when Python's output is unbuffered."""
        line = orjson.dumps({"src": self.node_id, "dest": dest, "body": body}) + b"\n"
        self.out.write(line * times)

    def emit_later(self, seconds: float, dest: str, body: dict) -> None:
        line = orjson.dumps({"src": self.node_id, "dest": dest, "body": body}) + b"\n"
        self.timers.append((time.monotonic() + seconds, line))

    def handle(self, message: dict) -> None:
        body = message["body"]
        kind = body["type"]
        if kind == "init":
            self.on_init(message)
        elif kind == "echo":
            self.on_echo(message)
        elif kind == "big":
            data = body["data"].encode()
            verdict = "ok" if hashlib.sha256(data).hexdigest() == body["sha"] else "CORRUPT"
            print(f"big {verdict} {len(data)}", file=sys.stderr, flush=True)
            self.emit(message["src"], {"type": "big_ok", "big_id": body["big_id"]})
        elif kind == "big_ok":
            self.emit(*self.held.pop(body["big_id"]))
        self.out.flush()

    def on_init(self, message: dict) -> None:
        if "--no-init" in sys.argv:
            return
        self.node_id = message["body"]["node_id"]
        slow = flag("--slow-init")
        if slow is not None:
            time.sleep(float(slow))
        reply = {"type": "init_ok", "in_reply_to": message["body"]["msg_id"]}
        self.emit(message["src"], reply)
        late = flag("--late-init-reply")
        if late is not None:
            self.emit_later(float(late), message["src"], reply)
        if "--endless-line" in sys.argv:
            self.out.flush()
            while True:
                self.out.write(b'{"src": "' + b"x" * (1 << 20))
        dest = flag("--flood")
        if dest is not None and dest != "client":
            self.out.flush()
            flood(self.node_id if dest == "self" else dest, self.node_id, self.out)

    def on_echo(self, message: dict) -> None:
        body = message["body"]
        self.echoes += 1
        if self.echoes == count_flag("--crash-after"):
            print("crashing on purpose", file=sys.stderr, flush=True)
            sys.exit(7)
        if self.echoes == count_flag("--hang-after"):
            hang()
        reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}
        big_to = flag("--big-to")
        if big_to is not None and big_to != self.node_id:
            self.send_big(big_to, (message["src"], reply))
            return
        if self.echoes == count_flag("--late-echo"):
            self.emit_later(LATE_ECHO_S, message["src"], reply)
            return
        self.emit(message["src"], reply, 2 if "--reply-twice" in sys.argv else 1)
        if flag("--flood") == "client":
            self.out.flush()
            flood(message["src"], self.node_id, self.out, reply)
        if self.echoes == count_flag("--bad-line-after"):
            self.out.write(b"this line is not JSON\n")
        if self.echoes == count_flag("--unknown-after"):
            self.emit("n99", {"type": "gossip"})

    def send_big(self, dest: str, held_reply: tuple[str, dict]) -> None:
        """Send ``dest`` one big line; the echo reply waits for its acknowledgement, so
        an answered echo proves the big line arrived and was checked."""
        size = (1 + self.echoes % 4) * 1_000_000 + self.echoes
        data = (str(self.echoes) * size)[:size]
        sha = hashlib.sha256(data.encode()).hexdigest()
        self.held[self.echoes] = held_reply
        self.emit(dest, {"type": "big", "big_id": self.echoes, "data": data, "sha": sha})

    def fire_timers(self) -> None:
        now = time.monotonic()
        for timer in [t for t in self.timers if t[0] <= now]:
            self.timers.remove(timer)
            self.out.write(timer[1])
            self.out.flush()

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        stdin = sys.stdin.buffer.fileno()
        selector.register(stdin, selectors.EVENT_READ)
        partial = b""
        while True:
            wait = min((t[0] for t in self.timers), default=time.monotonic() + 1)
            if selector.select(max(0.0, wait - time.monotonic())):
                data = os.read(stdin, 1 << 20)
                if not data:
                    return
                *lines, partial = (partial + data).split(b"\n")
                for line in lines:
                    self.handle(orjson.loads(line))
            self.fire_timers()


def flood(dest: str, src: str, out: BinaryIO, body: dict | None = None) -> None:
    body = body or {"type": "flood", "padding": "x" * 64}
    line = orjson.dumps({"src": src, "dest": dest, "body": body})
    chunk = (line + b"\n") * 1000
    while True:
        out.write(chunk)
        out.flush()


def hang() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1e6)"])
    write_pid(child.pid)
    print("hanging on purpose", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


def write_pid(pid: int) -> None:
    pid_dir = flag("--pid-dir")
    if pid_dir is not None:
        with open(os.path.join(pid_dir, str(pid)), "w") as marker:
            marker.write(str(pid))


def main() -> None:
    write_pid(os.getpid())
    Node().run()


if __name__ == "__main__":
    main()
