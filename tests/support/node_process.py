"""A real node process driven over its stdin/stdout, as Maelstrom drives one.

Shared by every test that talks to a node binary directly.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson


class NodeProcess:
    """One node process; every line it prints must be a JSON message from it."""

    def __init__(self, argv: list[str], env: dict[str, str], stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env
        )
        self._buffer = b""
        self.node_id = "n0"

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, src: str, body: dict[str, Any], dest: str | None = None) -> None:
        message = {"src": src, "dest": dest or self.node_id, "body": body}
        self.send_raw(orjson.dumps(message) + b"\n")

    def _read_line(self, timeout: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 1 << 20)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message the node prints, checked to be a well-formed envelope."""
        line = self._read_line(timeout)
        assert line is not None, f"no message within {timeout}s; stderr:\n{self.stderr()}"
        message = orjson.loads(line)
        assert set(message) == {"src", "dest", "body"}, message
        assert message["src"] == self.node_id and isinstance(message["dest"], str), message
        assert isinstance(message["body"], dict) and isinstance(message["body"]["type"], str), (
            message
        )
        return message

    def silent_for(self, seconds: float) -> bool:
        """True if the node prints nothing for ``seconds``."""
        return self._read_line(seconds) is None

    def request(self, src: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send a request and return the reply body, checking it answers this request."""
        self.send(src, body)
        reply = self.recv()
        assert reply["dest"] == src and reply["body"]["in_reply_to"] == body["msg_id"], reply
        return reply["body"]

    def init(self, node_id: str = "n0", node_ids: list[str] | None = None) -> None:
        self.node_id = node_id
        body = {"type": "init", "msg_id": 1, "node_id": node_id, "node_ids": node_ids or [node_id]}
        assert self.request("c0", body) == {"type": "init_ok", "in_reply_to": 1}

    def close(self, timeout: float = 10.0) -> tuple[int, list[dict[str, Any]]]:
        """Close stdin; return the exit status and the messages printed until exit."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        rest = self._buffer + self.proc.stdout.read()
        self._buffer = b""
        status = self.proc.wait(timeout)
        return status, [orjson.loads(line) for line in rest.splitlines()]

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()
