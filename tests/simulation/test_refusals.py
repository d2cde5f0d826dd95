"""What --sim refuses, and how it ends a run it cannot simulate: never half-deterministic,
never hanging, no process left behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.fixture_nodes import fixture_node
from support.glome_command import run_glome


def node_processes(marker: str) -> list[str]:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if marker in line and "ps -eo" not in line]


def sim_echo(tmp_path: Path, node: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``glome test`` of echo under --sim, one node, 5 s, with the test node ``node``."""
    command = ["test", "-w", "echo", "--bin", fixture_node(node), "--sim"]
    return run_glome(tmp_path, *command, "--node-count", "1", "--time-limit", "5", *args)


def test_a_node_that_does_not_announce_the_protocol_is_refused(tmp_path: Path) -> None:
    """A node without glome's runtime answers init, but without the announcement: exit 254,
    before any client op, saying why and what to do instead."""
    result = sim_echo(tmp_path, "plain_echo.py")
    assert result.returncode == 254, result.stderr
    assert "does not announce" in result.stderr and "without --sim" in result.stderr
    assert not node_processes(fixture_node("plain_echo.py"))


def test_a_node_that_never_finishes_its_step_is_killed_on_the_wall_clock(
    tmp_path: Path,
) -> None:
    result = sim_echo(tmp_path, "sim_probe.py", "hang", "--sim-step-timeout", "1")
    assert result.returncode == 255, result.stderr
    assert "did not finish its step" in result.stderr and "It was killed" in result.stderr
    assert not node_processes(fixture_node("sim_probe.py"))


def test_a_node_that_crashes_ends_the_run_as_in_real_time(tmp_path: Path) -> None:
    result = sim_echo(tmp_path, "sim_probe.py", "crash")
    assert result.returncode == 255, result.stderr
    assert "crashed with exit status 3" in result.stderr
    assert "crashing on purpose" in result.stderr


def test_a_bad_step_timeout_is_a_bad_argument(tmp_path: Path) -> None:
    result = run_glome(
        tmp_path,
        "test",
        "-w",
        "echo",
        "--bin",
        "glome-echo",
        "--sim",
        "--sim-step-timeout",
        "0",
    )
    assert result.returncode == 254
    assert "--sim-step-timeout" in result.stderr


def test_sim_has_no_maelstrom_engine_and_jobs_need_sim(tmp_path: Path) -> None:
    assert run_glome(tmp_path, "challenge", "1", "--sim", "--engine", "maelstrom").returncode == 254
    assert run_glome(tmp_path, "challenge", "1", "--jobs", "2").returncode == 254
