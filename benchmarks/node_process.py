"""What the process benchmarks share: finding an installed console script, and the CPU
time a node process used (its own, from /proc while it runs and from wait4 at exit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def console_script(name: str) -> str:
    """The absolute path of an installed console script, beside this Python first."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not on PATH: pip install . first")
    return found


def cpu_seconds_so_far(pid: int) -> float:
    """CPU time (user and system) process ``pid`` has used, from /proc (clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """Wait for ``proc`` to exit; the CPU time (user and system) it used in all."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime
