"""--engine maelstrom: the command lines it builds, and the whole path with a fake maelstrom."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from glome.bench.options import DASH_LOOKALIKES, parse_test_args
from glome.challenge.maelstrom import maelstrom_command
from glome.challenge.plan import plan

Glome = Script = Any  # the fixtures of conftest.py


@pytest.mark.parametrize("job", plan(["all"]), ids=lambda job: job.new_row().label)
def test_command_lines_are_the_official_ones_with_an_absolute_node(job) -> None:
    command = maelstrom_command("/opt/maelstrom/maelstrom", job)
    assert command[:2] == ["/opt/maelstrom/maelstrom", "test"]
    assert not any(character in arg for arg in command for character in DASH_LOOKALIKES)
    ours = parse_test_args(job.test_args())
    theirs = parse_test_args(command[2:])  # Maelstrom's own parsing rules
    node = theirs.bin
    assert os.path.isabs(node) and os.access(node, os.X_OK)
    assert os.path.basename(node) == job.challenge.binary
    assert (theirs.workload, theirs.nodes, theirs.concurrency, theirs.time_limit) == (
        ours.workload,
        ours.nodes,
        ours.concurrency,
        ours.time_limit,
    )
    assert (theirs.rate, theirs.latency, theirs.nemesis, theirs.availability) == (
        ours.rate,
        ours.latency,
        ours.nemesis,
        ours.availability,
    )
    assert theirs.consistency_models == ours.consistency_models
    assert theirs.bin_args == list(job.command.node_args)
    assert theirs.warnings == []


def test_6c_really_turns_partitions_on() -> None:
    (job,) = plan(["6c"])
    command = maelstrom_command("maelstrom", job)
    position = command.index("--nemesis")
    assert command[position : position + 2] == ["--nemesis", "partition"]
    assert "\u2013-nemesis" not in command


def test_own_node_and_time_limit_override(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    node = tmp_path / "my-node"
    node.write_text("#!/bin/sh\n")
    node.chmod(0o755)
    (job,) = plan(["3e"], binary="./my-node", time_limit=3)
    command = maelstrom_command("maelstrom", job)
    assert command[command.index("--bin") + 1] == str(node.resolve())
    assert command[command.index("--time-limit") + 1] == "3"
    assert "frugal" not in command  # glome's profile is for glome's node only


FAKE_MAELSTROM = """
import json, os, sys, time
from pathlib import Path

mode = {mode!r}
args = sys.argv[1:]
Path("maelstrom-argv.json").write_text(json.dumps(args))
binary = args[args.index("--bin") + 1]
print("INFO jepsen test runner - Running test")
if mode == "crash" or not (os.path.isabs(binary) and os.access(binary, os.X_OK)):
    print("Oh jeez, I'm sorry, Jepsen broke. Here's why:")
    sys.exit(255)
workload = args[args.index("-w") + 1]
stamp = time.strftime("%Y%m%dT%H%M%S") + ".%03d+0000" % (time.time_ns() // 10**6 % 1000)
run = Path("store") / workload / stamp
run.mkdir(parents=True)
os.symlink(os.path.join(workload, stamp), "store/latest.tmp")
os.replace("store/latest.tmp", "store/latest")
print("INFO jepsen.core - Analyzing...")
valid = "false" if mode == "invalid" else "true"
run.joinpath("results.edn").write_text(
    "{{:perf {{:valid? true}},\\n"
    " :availability {{:valid? true, :ok-fraction 1.0}},\\n"
    " :net {{:all {{:msgs-per-op 20.5}}, :servers {{:msgs-per-op 1.25}}, :valid? true}},\\n"
    " :workload {{:valid? " + valid + ", :lost #{{}},\\n"
    "            :stable-latencies {{0 0, 0.5 " + str({median}) + ", 0.95 400, 1 520}}}},\\n"
    " :valid? " + valid + "}}\\n"
)
print("Everything looks good!" if valid == "true" else "Analysis invalid!")
sys.exit(0 if valid == "true" else 1)
"""


def fake(script: Script, mode: str = "valid", median: int = 250) -> Path:
    return script("maelstrom", FAKE_MAELSTROM.format(mode=mode, median=median))


def summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "store" / "challenge-summary.json").read_text())


def test_a_valid_maelstrom_run_is_judged_from_its_results_edn(
    glome: Glome, script: Script, tmp_path: Path
) -> None:
    maelstrom = fake(script)
    done = glome("challenge", "3d", "--engine", "maelstrom", "--maelstrom", str(maelstrom))
    assert done.returncode == 0, done.stdout + done.stderr
    argv = json.loads((tmp_path / "maelstrom-argv.json").read_text())
    assert argv[:3] == ["test", "-w", "broadcast"]
    assert argv[argv.index("--bin") + 1] == os.path.abspath(shutil.which("glome-broadcast"))
    (row,) = summary(tmp_path)["rows"]
    assert row["verdict"] == "valid" and row["passed"]
    assert row["figures"]["msgs_per_op"] == 1.25
    assert (row["figures"]["median_ms"], row["figures"]["max_ms"]) == (250, 520)
    assert row["figures"]["analysis_s"] is not None
    assert (tmp_path / "store" / row["store"] / "results.edn").is_file()
    assert row["command"][0] == str(maelstrom)


def test_a_missed_target_and_an_invalid_run_exit_1(
    glome: Glome, script: Script, tmp_path: Path
) -> None:
    slow = fake(script, median=450)
    done = glome("challenge", "3d", "--engine", "maelstrom", "--maelstrom", str(slow))
    assert done.returncode == 1
    (row,) = summary(tmp_path)["rows"]
    assert row["verdict"] == "valid"
    assert [check["name"] for check in row["checks"] if not check["met"]] == ["median_ms"]
    invalid = fake(script, mode="invalid")
    done = glome("challenge", "1", "--engine", "maelstrom", "--maelstrom", str(invalid))
    assert done.returncode == 1
    (row,) = summary(tmp_path)["rows"]
    assert row["verdict"] == "invalid"


def test_a_maelstrom_that_breaks_is_a_crashed_row_with_its_output(
    glome: Glome, script: Script, tmp_path: Path
) -> None:
    broken = fake(script, mode="crash")
    done = glome("challenge", "1", "2", "--engine", "maelstrom", "--maelstrom", str(broken))
    assert done.returncode == 1
    rows = summary(tmp_path)["rows"]
    assert [row["verdict"] for row in rows] == ["crashed", "crashed"]
    assert "exited 255 without results.edn" in rows[0]["message"]
    assert "Jepsen broke" in rows[0]["message"]
