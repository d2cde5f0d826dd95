"""A node process driven in lock-step, as ``--sim`` drives it (docs/simulation.md): the
test hands it steps at virtual times and reads back what it sent and its report, so
timing behaviour is checked exactly, whatever the machine's load."""

from __future__ import annotations

import os
import select
import subprocess
from typing import Any

import orjson

from glome import simulation

WAIT_S = 10.0  # wall seconds a node may take to answer a step before the test fails

Message = dict[str, Any]


class LockstepNode:
    """A node process that gets steps and answers each with its output and one report."""

    def __init__(self, argv: list[str], env: dict[str, str], seed: int, node_id: str) -> None:
        env = {
            **env,
            simulation.ENV_VERSION: str(simulation.VERSION),
            simulation.ENV_SEED: str(seed),
            simulation.ENV_NODE: node_id,
            "PYTHONHASHSEED": "0",
        }
        self.node_id = node_id
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._buffer = b""
        self._msg_ids = iter(range(1, 1 << 30))

    def deliver(self, now: int, *messages: Message) -> tuple[list[Message], bytes]:
        """Hand the node a step of whole messages; its messages and its report line."""
        lines = b"".join(orjson.dumps(message) + b"\n" for message in messages)
        assert self.proc.stdin is not None
        self.proc.stdin.write(lines + simulation.step_line(now))
        self.proc.stdin.flush()
        sent = []
        while True:
            line = self._line()
            if simulation.is_control(line):
                return sent, line
            sent.append(orjson.loads(line))

    def step(self, now: int, *bodies: Message) -> tuple[list[Message], bytes]:
        """A step with requests from c1."""
        return self.deliver(now, *({"src": "c1", "dest": self.node_id, "body": b} for b in bodies))

    def request(self, now: int, body: Message) -> tuple[Message, bytes]:
        """One request from c1 that the node answers within the step; (reply, report)."""
        body = {**body, "msg_id": next(self._msg_ids)}
        sent, report = self.step(now, body)
        assert [m["body"]["in_reply_to"] for m in sent] == [body["msg_id"]], sent
        return sent[0]["body"], report

    def init(self, now: int = 0, node_ids: list[str] | None = None) -> bytes:
        """Initialise the node; its report."""
        ids = node_ids or [self.node_id]
        reply, report = self.request(
            now, {"type": "init", "node_id": self.node_id, "node_ids": ids}
        )
        assert reply["type"] == "init_ok" and reply[simulation.KEY] == simulation.VERSION, reply
        return report

    def _line(self) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            assert select.select([fd], [], [], WAIT_S)[0], "the node went quiet"
            data = os.read(fd, 1 << 16)
            assert data, "the node closed its stdout"
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
