"""Runs real ``glome test`` processes on the misbehaving node and checks what they leave.

Every node writes its pid (and the pid of any child it starts) to a directory
first thing; ``Bench.assert_no_node_left`` checks afterwards that none of
them is still running. A killed process that nobody reaped yet (a zombie,
e.g. a node's own child, reparented to an init that does not reap) is dead,
and counts as gone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.fixture_nodes import fixture_node

NODE = Path(fixture_node("misbehaving.py"))
#: a watchdog, not a measurement: a run still going after this long has hung
RUN_TIMEOUT_S = 40

#: runs ``glome test`` in-process and prints the bench's own peak RSS on stderr
RSS_WRAPPER = (
    "import resource, sys\n"
    "from glome.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(f'bench peak RSS: {peak} KiB', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    store: Path

    @property
    def results(self) -> dict[str, Any] | None:
        path = self.store / "results.json"
        return json.loads(path.read_text()) if path.exists() else None

    def history(self) -> list[dict[str, Any]]:
        lines = (self.store / "history.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def peak_rss_kib(self) -> int:
        marker = "bench peak RSS: "
        line = next(line for line in self.stderr.splitlines() if line.startswith(marker))
        return int(line[len(marker) :].split()[0])


class Bench:
    """``glome test`` on the misbehaving node, in one temporary directory."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.pid_dir = cwd / "pids"
        self.pid_dir.mkdir()
        self.node = NODE
        self.process: subprocess.Popen[bytes] | None = None  # the one ``start`` started

    def argv(self, *args: str, node_args: tuple[str, ...] = (), measure: bool = False) -> list[str]:
        entry = ["-c", RSS_WRAPPER] if measure else ["-m", "glome"]
        glome_args = ["test", "-w", "echo", "--bin", str(self.node), *args]
        node = ["--pid-dir", str(self.pid_dir), *node_args]
        return [sys.executable, *entry, *glome_args, "--", *node]

    def run(self, *args: str, node_args: tuple[str, ...] = (), measure: bool = False) -> Finished:
        done = subprocess.run(
            self.argv(*args, node_args=node_args, measure=measure),
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
        return Finished(done.returncode, done.stdout, done.stderr, self.store())

    def start(self, *args: str, node_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        """Start in the background; stdout and stderr go to files (a pipe nobody
        reads could fill and block the bench)."""
        with (
            (self.cwd / "stdout.txt").open("wb") as out,
            (self.cwd / "stderr.txt").open("wb") as err,
        ):
            self.process = subprocess.Popen(
                self.argv(*args, node_args=node_args), cwd=self.cwd, stdout=out, stderr=err
            )
        return self.process

    def output(self, name: str) -> str:
        return (self.cwd / f"{name}.txt").read_text()

    def store(self) -> Path:
        return (self.cwd / "store" / "latest").resolve()

    def node_pids(self) -> list[int]:
        return [int(path.name) for path in self.pid_dir.iterdir()]

    def wait_for_pids(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.node_pids()) < count:
            assert time.monotonic() < deadline, f"only {self.node_pids()} of {count} nodes started"
            time.sleep(0.05)

    def assert_no_node_left(self) -> None:
        pids = self.node_pids()
        assert pids, "no node ever wrote its pid"
        alive = [pid for pid in pids if _running(pid)]
        assert not alive, f"node processes left behind: {alive}"


def _running(pid: int) -> bool:
    """Running (not a zombie) and still one of ours: the pid may have been reused."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    ours = b"misbehaving" in cmdline or b"time.sleep(1e6)" in cmdline
    return ours and "zombie" not in state


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return Bench(tmp_path)
