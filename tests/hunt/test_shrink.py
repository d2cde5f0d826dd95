"""``glome shrink``: a failing simulated run becomes a smaller one of the same seed that
fails the same way, stored in full with the record of its trials; a run that passes,
or cannot be rerun, is refused."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from glome.bench.results import stored_tests
from glome.hunt.trial import failure_kinds
from support.glome_command import run_glome
from support.planted_bug import (
    EARLY_SEED,
    KINDS,
    PASSING_SEED,
    history_lines,
    read_json,
    store_run,
)

BAD_ARGUMENTS = 254


@pytest.fixture(scope="module")
def failing_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_run(tmp_path_factory.mktemp("original"), EARLY_SEED)


def printed(output: str, label: str) -> str:
    """The rest of the line ``label: ...`` of the summary."""
    match = re.search(rf"^{label}: (.*)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_a_shorter_run_is_the_longer_runs_prefix(tmp_path: Path) -> None:
    """What the binary search on --time-limit stands on: with one seed, the generator and
    the nemesis draw the same, so a shorter run's ops before its final phase are exactly
    the longer run's first ops."""
    long = history_lines(store_run(tmp_path / "long", EARLY_SEED, "--no-plots"))
    short = history_lines(
        store_run(tmp_path / "short", EARLY_SEED, "--time-limit", "7", "--no-plots")
    )
    # the final phase opens with the heal: the last stop-partition the nemesis invokes
    heals = [i for i, line in enumerate(short) if b'"f":"stop-partition","value":null' in line]
    final_phase = heals[-1]
    assert final_phase > len(short) // 2
    assert short[:final_phase] == long[:final_phase]
    assert short[final_phase] != long[final_phase]  # from there on the short run winds up


def test_shrink_halves_a_failing_run_and_keeps_its_failure(
    failing_store: Path, tmp_path: Path
) -> None:
    result = run_glome(tmp_path, "shrink", str(failing_store))

    assert result.returncode == 0, result.stdout + result.stderr
    shrunk = tmp_path / printed(result.stdout, "store").split(" ")[0]
    record = read_json(shrunk / "shrink.json")
    results = read_json(shrunk / "results.json")
    original = read_json(failing_store / "results.json")
    assert results["valid?"] is False and set(failure_kinds(results)) & KINDS
    assert results["stats"]["count"] == record["after"]["ops"]
    assert record["before"]["ops"] == original["stats"]["count"]
    assert record["after"]["ops"] <= record["before"]["ops"] / 2
    assert (shrunk / "latency-raw.png").is_file()  # a full run, plots included
    steps = record["steps"]
    assert steps[0]["change"] == "the stored run, rerun" and steps[0]["kept"]
    for step in steps:
        assert {"change", "argv", "valid?", "kinds", "ops", "kept"} <= step.keys()
        assert not step["kept"] or set(step["kinds"]) & KINDS
    assert any(step["kept"] and "--time-limit" in step["change"] for step in steps)
    assert len(steps) == sum(
        1 for line in result.stderr.splitlines() if line.startswith("shrink [")
    )
    assert "before" in result.stdout and "messages" in result.stdout

    # the printed command line reproduces the shrunk failure, op for op
    command = shlex.split(printed(result.stdout, "reproduce"))
    assert command[:2] == ["glome", "test"] and command[-3:] == ["--sim", "--seed", str(EARLY_SEED)]
    (tmp_path / "rerun").mkdir()
    rerun = run_glome(tmp_path / "rerun", *command[1:])
    assert rerun.returncode == 1, rerun.stderr
    again = (tmp_path / "rerun" / "store" / "latest").resolve()
    assert failure_kinds(read_json(again / "results.json")) == failure_kinds(results)
    assert history_lines(again) == history_lines(shrunk)


def test_the_trial_budget_stops_the_search(failing_store: Path, tmp_path: Path) -> None:
    result = run_glome(
        tmp_path, "shrink", str(failing_store), "--max-trials", "2", "--kind", "lost"
    )

    assert result.returncode == 0, result.stderr
    assert "stopped: --max-trials 2 spent after 2 trials" in result.stdout
    assert "kept while a run fails with lost" in result.stdout
    record = read_json(tmp_path / printed(result.stdout, "store").split(" ")[0] / "shrink.json")
    assert len(record["steps"]) == 2 and record["kinds"] == ["lost"] and not record["finished"]


def test_a_passing_run_is_refused(tmp_path: Path) -> None:
    passing = store_run(tmp_path, PASSING_SEED, "--time-limit", "3", "--no-plots")

    result = run_glome(tmp_path, "shrink", str(passing))

    assert result.returncode == BAD_ARGUMENTS
    assert "passed: there is no failure to shrink" in result.stderr
    assert stored_tests(tmp_path / "store") == [passing]  # nothing new stored


def test_a_kind_the_run_did_not_show_is_refused(failing_store: Path, tmp_path: Path) -> None:
    result = run_glome(tmp_path, "shrink", str(failing_store), "--kind", "duplicated")
    assert result.returncode == BAD_ARGUMENTS and "--kind duplicated" in result.stderr
