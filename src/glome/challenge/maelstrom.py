"""``--engine maelstrom``: the same jobs through a real ``maelstrom test``, judged the same way.

Maelstrom runs in the store root's parent directory, so its store folders land
in the same ``store/`` as glome's (same layout, same plot names) and the report
and ``glome serve`` show them alike. The command line is the challenge's own,
with the node's absolute path: Maelstrom runs ``--bin`` from its own working
directory. 6c's flags in the table spell ``--nemesis`` with ASCII hyphens, so
partitions really are on (the official page's en dash would turn them off).
Maelstrom has no ``--seed``; a seed given to ``glome challenge`` is not passed.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import time
from pathlib import Path

from glome.bench import edn
from glome.bench.runner import resolve_bin
from glome.challenge.engines import Show
from glome.challenge.judging import Row, judge
from glome.challenge.plan import Job

HOW_TO_GET = """\
glome challenge --engine maelstrom needs Maelstrom, and none was found{where}.
Get it from https://github.com/jepsen-io/maelstrom/releases (maelstrom.tar.bz2),
unpack it and put the `maelstrom` script on PATH, or pass --maelstrom PATH.
Maelstrom needs a JDK (e.g. apt-get install openjdk-17-jdk), gnuplot and graphviz.
Without it, `glome challenge` runs the same table on glome's own bench."""

ANALYZING = "Analyzing"  # Jepsen logs "Analyzing..." when the checkers start
TAIL_LINES = 12


def latest_run(store_root: Path) -> Path | None:
    """The folder ``store/latest`` points at, relative to the store root."""
    link = store_root / "latest"
    if not link.exists():
        return None
    return link.resolve().relative_to(store_root.resolve())


def new_run_folder(store_root: Path, before: Path | None) -> str | None:
    """The run folder a job created: ``store/latest`` if it moved during the job."""
    after = latest_run(store_root)
    return None if after is None or after == before else after.as_posix()


class MaelstromMissing(Exception):
    """No maelstrom to run; the message says how to get one."""


def find_maelstrom(given: str | None) -> str:
    """The absolute path of ``--maelstrom PATH``, or of ``maelstrom`` on PATH."""
    candidate = given or "maelstrom"
    found = shutil.which(candidate)
    if found is None:
        where = f" at {given}" if given else " on PATH"
        raise MaelstromMissing(HOW_TO_GET.format(where=where))
    return os.path.abspath(found)


def maelstrom_command(maelstrom: str, job: Job) -> list[str]:
    """``maelstrom test`` with the job's flags and the node's absolute path."""
    argv = job.test_args()
    position = argv.index("--bin") + 1
    argv[position] = resolve_bin(argv[position])  # maelstrom runs from its own folder
    return [maelstrom, "test", *argv]


class MaelstromEngine:
    name = "maelstrom"

    def __init__(self, maelstrom: str, store_root: Path) -> None:
        self.maelstrom = maelstrom
        self.store_root = store_root

    def run(self, job: Job, show: Show) -> Row:
        row = job.new_row()
        command = maelstrom_command(self.maelstrom, job)
        row.command = command
        workdir = self.store_root.resolve().parent
        self.store_root.mkdir(parents=True, exist_ok=True)
        before = latest_run(self.store_root)
        started = time.monotonic()
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        analysis_started: float | None = None
        with subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    tail.append(line.rstrip("\n"))
                    show(line.strip()[:160])
                    if analysis_started is None and ANALYZING in line:
                        analysis_started = time.monotonic()
            except BaseException:  # interrupted: maelstrom must not outlive glome
                process.kill()
                raise
            status = process.wait()
        ended = time.monotonic()
        row.seconds = ended - started
        row.store = new_run_folder(self.store_root, before)
        results_file = self.store_root / row.store / "results.edn" if row.store else None
        if results_file is None or not results_file.is_file():
            row.message = f"maelstrom exited {status} without results.edn:\n" + "\n".join(tail)
            return row
        try:
            results = edn.loads(results_file.read_text(encoding="utf-8"))
        except (edn.EdnError, UnicodeDecodeError) as error:
            row.message = f"cannot read {results_file}: {error}"
            return row
        analysis_s = None if analysis_started is None else ended - analysis_started
        return judge(row, results, job.targets, analysis_s)
