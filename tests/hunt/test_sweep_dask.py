"""``glome sweep --executor dask://``: a local Dask scheduler and worker, started with
Dask's own commands, find the same failing seed, with the same outcome on every seed,
as the local pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from glome.exit_codes import INVALID
from support.compiled import REQUIRE_COMPILED
from support.glome_command import run_glome
from support.planted_bug import (
    FAILING,
    FIRST_SEED,
    SEEDS,
    failing_seeds,
    outcomes,
    rare_bug_args,
    sweep_summary,
)

#: a watchdog, not a measurement: Dask's start-up takes a few seconds
START_TIMEOUT_S = 60


def _require_distributed() -> None:
    """Skip without Dask's distributed, except where the extras are required (CI)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        message = "distributed is not installed (pip install 'glome[cluster]')"
        if REQUIRE_COMPILED:
            pytest.fail(message)
        pytest.skip(message)


def _dask(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``dask ARGS`` in its own process group (a worker's nanny has a child), logging to ``log``."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            cwd=log.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for(log: Path, marker: str, process: subprocess.Popen[bytes]) -> str:
    """The first line of ``log`` holding ``marker``, once the process has written it."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if marker in line:
                return line
        assert process.poll() is None, log.read_text(errors="replace")
        time.sleep(0.1)
    raise AssertionError(f"no {marker!r} in {log} after {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler on a free port and one single-threaded worker; yields the scheduler's
    address and the worker process (wait for it with ``_wait_for``); both stopped after."""
    _require_distributed()
    folder = tmp_path / "cluster"
    folder.mkdir()
    started: list[subprocess.Popen[bytes]] = []
    try:
        scheduler_log = folder / "scheduler.log"
        scheduler = _dask(
            scheduler_log, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"
        )
        started.append(scheduler)
        line = _wait_for(scheduler_log, "Scheduler at:", scheduler)
        address = line.split("Scheduler at:")[1].strip()
        worker = _dask(
            folder / "worker.log",
            *("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"),
        )
        started.append(worker)
        yield address, worker
    finally:
        for process in reversed(started):
            _stop(process)


def test_a_dask_cluster_finds_what_the_local_pool_finds(
    tmp_path: Path, cluster: tuple[str, subprocess.Popen[bytes]]
) -> None:
    address, worker = cluster
    seeds = ["--seeds", str(SEEDS), "--first-seed", str(FIRST_SEED)]
    local_dir, dask_dir = tmp_path / "local", tmp_path / "dask"
    local_dir.mkdir()
    dask_dir.mkdir()

    local = run_glome(
        local_dir, "sweep", *seeds, "--jobs", "2", "--", *rare_bug_args()
    )  # while Dask starts
    assert local.returncode == INVALID, local.stderr
    _wait_for(tmp_path / "cluster" / "worker.log", "Registered to", worker)

    executor = "dask://" + address.removeprefix("tcp://")
    remote = run_glome(dask_dir, "sweep", *seeds, "--executor", executor, "--", *rare_bug_args())
    assert remote.returncode == INVALID, remote.stderr
    assert f"on the Dask cluster at {address} (1 worker)" in remote.stderr

    on_dask, on_pool = sweep_summary(dask_dir), sweep_summary(local_dir)
    assert failing_seeds(on_dask) == failing_seeds(on_pool) == FAILING
    assert outcomes(on_dask) == outcomes(on_pool)
    assert on_dask["executor"] == executor and on_dask["jobs"] is None
    # the failing seed was rerun here, in full, into this sweep's store
    kept = dask_dir / on_dask["seeds"][str(FAILING[0])]["store"]
    assert (kept / "results.json").is_file() and (kept / "rate.png").is_file()
