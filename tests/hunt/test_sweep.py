"""``glome sweep`` as a user runs it: the planted bug found on its seed and kept in full,
passing seeds leaving nothing, the replay line repeating the failure byte for byte,
bad command lines refused, Ctrl-C leaving nothing running."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glome.bench.results import stored_tests
from glome.exit_codes import BAD_ARGUMENTS, INVALID, UNKNOWN, VALID
from glome.hunt.sweep import Plan, Sweep
from glome.hunt.trial import Trial, failure_kinds
from support.fixture_nodes import fixture_node
from support.glome_command import run_glome
from support.planted_bug import (
    BUG_NODE,
    FAILING,
    FIRST_SEED,
    SEEDS,
    failing_seeds,
    rare_bug_args,
    sweep_summary,
)

PLOTS = ("latency-raw.png", "latency-quantiles.png", "rate.png", "messages.svg")


def test_a_sweep_keeps_the_failing_seed_in_full_and_its_replay_repeats_it(tmp_path: Path) -> None:
    args = rare_bug_args()
    seeds = ["--seeds", str(SEEDS), "--first-seed", str(FIRST_SEED), "--jobs", "2"]
    result = run_glome(tmp_path, "sweep", *seeds, "--", *args)
    assert result.returncode == INVALID, result.stderr

    summary = sweep_summary(tmp_path)
    assert summary["command"] == ["glome", "test", *args, "--sim"]
    assert summary["counts"] == {"valid": SEEDS - 1, "invalid": 1, "unknown": 0, "aborted": 0}
    assert sorted(map(int, summary["seeds"])) == list(range(FIRST_SEED, FIRST_SEED + SEEDS))
    assert failing_seeds(summary) == FAILING
    assert summary["seeds-per-second"] > 0 and summary["exit-code"] == INVALID
    [seed] = FAILING
    failure = summary["seeds"][str(seed)]
    assert failure["valid?"] is False and "lost" in failure["kinds"]
    assert failure["ops"] > 0 and failure["messages"] > 0 and failure["faults"] > 0
    assert failure["deterministic"] is True and failure["seconds"] > 0
    for other, entry in summary["seeds"].items():
        if int(other) != seed:
            assert entry["valid?"] is True and entry["kinds"] == [] and entry["store"] is None

    # the failing seed's store, and only it, is kept: in full, plots included
    kept = tmp_path / failure["store"]
    assert stored_tests(tmp_path / "store") == [kept]  # the sweeps' folder is not a test
    results = json.loads((kept / "results.json").read_text())
    assert results["valid?"] is False
    assert all((kept / plot).is_file() for plot in PLOTS)
    assert (tmp_path / "store" / "sweeps" / "latest" / "summary.json").is_file()

    assert f"{SEEDS}/{SEEDS} seeds, 1 failing" in result.stderr
    assert "running it again in full" in result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith(f"{seed} "))
    assert "invalid" in row and "lost" in row and failure["store"] in row
    assert f"  {failure['replay']}" in result.stdout.splitlines()

    # the printed line repeats the run byte for byte, in another folder
    words = shlex.split(failure["replay"])
    assert words[:2] == ["glome", "test"] and words[-3:] == ["--sim", "--seed", str(seed)]
    elsewhere = tmp_path / "replay"
    elsewhere.mkdir()
    replayed = run_glome(elsewhere, *words[1:])
    assert replayed.returncode == INVALID, replayed.stderr
    history = "history.jsonl"
    assert (elsewhere / "store" / "latest" / history).read_bytes() == (kept / history).read_bytes()


def test_a_seed_gives_the_same_outcome_in_a_reused_worker_as_in_a_fresh_process(
    tmp_path: Path,
) -> None:
    """One worker runs three seeds in turn; the last, run in a fresh ``glome test``
    process, gives the same verdict, kinds, ops and messages."""
    args = rare_bug_args()
    first, last = FAILING[-1] + 1, FAILING[-1] + 3
    result = run_glome(
        tmp_path, "sweep", "--seeds", "3", "--first-seed", str(first), "--jobs", "1", "--", *args
    )
    assert result.returncode == VALID, result.stderr
    reused = sweep_summary(tmp_path)["seeds"][str(last)]

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = run_glome(fresh_dir, "test", *args, "--no-plots", "--sim", "--seed", str(last))
    assert fresh.returncode == VALID, fresh.stderr
    results = json.loads((fresh_dir / "store" / "latest" / "results.json").read_text())
    assert reused["valid?"] is results["valid?"] is True
    assert reused["kinds"] == list(failure_kinds(results))
    assert reused["ops"] == results["stats"]["count"]
    assert reused["messages"] == results["net"]["all"]["send-count"]


def test_a_challenge_is_swept_with_its_catalog_line(tmp_path: Path) -> None:
    result = run_glome(tmp_path, "sweep", "--seeds", "2", "--challenge", "1", "--jobs", "2")
    assert result.returncode == VALID, result.stderr
    summary = sweep_summary(tmp_path)
    assert summary["command"][:5] == ["glome", "test", "-w", "echo", "--bin"]
    assert summary["command"][5] == "glome-echo"
    assert summary["counts"]["valid"] == 2 and summary["jobs"] == 2
    assert stored_tests(tmp_path / "store") == []  # nothing failed, nothing kept
    assert "2 of 2 seeds" in result.stdout


def test_a_node_crash_on_a_seed_is_an_aborted_seed_and_fails_the_sweep(tmp_path: Path) -> None:
    crashing = ["-w", "echo", "--bin", fixture_node("sim_probe.py"), "--node-count", "1"]
    result = run_glome(
        tmp_path, "sweep", "--seeds", "1", "--", *crashing, "--time-limit", "5", "crash"
    )
    assert result.returncode == INVALID, result.stderr
    summary = sweep_summary(tmp_path)
    assert summary["counts"]["aborted"] == 1
    [entry] = summary["seeds"].values()
    assert entry["valid?"] is None and entry["kinds"] == ["aborted"]
    assert "crashed with exit status 3" in entry["error"]
    assert entry["replay"] in result.stdout


def test_a_node_that_does_not_repeat_itself_is_called_out(tmp_path: Path) -> None:
    """The node forgets its values only in the first process to start: the lean run
    fails, the full rerun passes, and the sweep says so everywhere it reports."""
    node = ["-w", "broadcast", "--bin", fixture_node("forgets_on_first_run.py")]
    flags = ["--node-count", "1", "--time-limit", "2", "--rate", "10", str(tmp_path / "marker")]
    result = run_glome(tmp_path, "sweep", "--seeds", "1", "--", *node, *flags)
    assert result.returncode == INVALID, result.stderr
    assert "NOT DETERMINISTIC: seed 1 gave invalid ['lost']" in result.stderr
    assert "NOT DETERMINISTIC" in result.stdout
    entry = sweep_summary(tmp_path)["seeds"]["1"]
    assert entry["valid?"] is False and entry["deterministic"] is False
    assert entry["rerun"]["valid?"] is True


def test_help() -> None:
    result = run_glome(Path.cwd(), "sweep", "--help")
    assert result.returncode == VALID
    assert result.stdout.startswith("usage: glome sweep --seeds N")
    assert "dask://HOST:PORT" in result.stdout


ECHO = ["-w", "echo", "--bin", "glome-echo"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "--seeds N is required"),
        (["--seeds", "0", "--challenge", "1"], "'0' is not a positive whole number"),
        (["--seeds", "2"], "either --challenge ID or glome test's arguments after --"),
        (["--seeds", "2", "--challenge", "1", "--", *ECHO], "either --challenge ID"),
        (["--seeds", "2", *ECHO], "glome test's arguments go after --"),
        (["--seeds", "2", "--challenge", "6b"], "pick one with --line 1..2"),
        (["--seeds", "2", "--challenge", "1", "--line", "2"], "has 1 command line"),
        (["--seeds", "2", "--challenge", "7"], "unknown challenge '7'"),
        (["--seeds", "2", "--", *ECHO, "--seed", "3"], "leave --seed to the hunt"),
        (["--seeds", "2", "--", *ECHO, "--sim"], "leave --sim to the hunt"),
        (["--seeds", "2", "--", "-w", "echo", "--bin", "./nothing"], "no such file"),
        (["--seeds", "2", "--executor", "dask://", "--challenge", "1"], "dask://HOST:PORT"),
        (["--seeds", "2", "--executor", "tcp://h:1", "--challenge", "1"], "dask://HOST:PORT"),
        (
            ["--seeds", "2", "--executor", "dask://h:1", "--jobs", "2", "--challenge", "1"],
            "--jobs is for the local executor",
        ),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, args: list[str], says: str) -> None:
    result = run_glome(tmp_path, "sweep", *args)
    assert result.returncode == BAD_ARGUMENTS
    assert says in result.stderr and "usage: glome sweep" in result.stderr
    assert not (tmp_path / "store").exists()


def test_a_node_that_cannot_run_under_sim_is_refused_from_the_workers(tmp_path: Path) -> None:
    plain = ["-w", "echo", "--bin", fixture_node("plain_echo.py"), "--node-count", "1"]
    result = run_glome(tmp_path, "sweep", "--seeds", "2", "--jobs", "2", "--", *plain)
    assert result.returncode == BAD_ARGUMENTS
    assert "does not announce" in result.stderr


def test_without_distributed_a_dask_executor_says_what_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "distributed"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed here')\n")
    path = os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}  # an ImportError where distributed would be
    result = run_glome(
        tmp_path, "sweep", "--seeds", "2", "--executor", "dask://h:1", "--challenge", "1", env=env
    )
    assert result.returncode == BAD_ARGUMENTS
    assert "pip install 'glome[cluster]'" in result.stderr


def test_the_exit_code_is_the_worst_verdict() -> None:
    plan = Plan(["-w", "echo"], range(1, 5), 1, "local", Path("store"))

    def trial(seed: int, valid: bool | str | None) -> Trial:
        return Trial(seed, 0, valid, (), 1, 1, 0, 0.1, None)

    def code(*verdicts: bool | str | None) -> int:
        sweep = Sweep(plan)
        sweep.trials = {seed: trial(seed, valid) for seed, valid in enumerate(verdicts, 1)}
        return sweep.exit_code()

    assert code(True, True) == VALID
    assert code(True, "unknown") == UNKNOWN
    assert code("unknown", False) == INVALID
    assert code("unknown", None) == INVALID  # an aborted seed is a failure found


def _alive_descendants(pid: int) -> set[int]:
    """Every process under ``pid`` that has not exited (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return {child for child in found if _running(child)}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_the_workers_and_their_nodes_and_keeps_a_partial_summary(
    tmp_path: Path,
) -> None:
    node = tmp_path / "interrupted_rare_bug.py"  # a name no other test's processes carry
    shutil.copy(BUG_NODE, node)
    args = [*rare_bug_args(str(node)), "--time-limit", "20"]  # the later one wins
    err = tmp_path / "stderr"
    with err.open("w") as stderr:
        sweep = subprocess.Popen(
            [sys.executable, "-m", "glome", "sweep", "--seeds", "20", "--jobs", "2", "--", *args],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while "seeds/s" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)  # until a seed or two are done
            running = _alive_descendants(sweep.pid)
            assert running, "the sweep runs its workers and their nodes"
            sweep.send_signal(signal.SIGINT)
            out, _ = sweep.communicate(timeout=60)
        finally:
            sweep.kill()
    assert sweep.returncode == 128 + signal.SIGINT, err.read_text()
    assert "Interrupted: after" in err.read_text()
    # multiprocessing's resource tracker leaves when it sees the sweep gone: a moment
    deadline = time.monotonic() + 10
    while {pid for pid in running if _running(pid)} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not {pid for pid in running if _running(pid)}, "nothing the sweep started is left"
    summary = sweep_summary(tmp_path)
    assert summary["interrupted"].startswith("after ")
    assert 0 < len(summary["seeds"]) < 20
    assert "summary:" in out
