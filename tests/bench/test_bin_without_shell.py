"""``--bin`` is executed as one argv entry, never through a shell (docs/maelstrom.md §3.1: Maelstrom
runs the canonical path of --bin as the command)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path


def test_a_bin_path_full_of_shell_metacharacters_runs_literally(bench):
    """A path with spaces, ``;``, ``$(...)`` and backticks names one file. Through a
    shell it would split into several commands and run the ``touch`` commands in the
    node's or glome's working directory; executed literally, the node runs, the echo
    test passes, and no marker file appears."""
    marker = f"glome-shell-ran-{uuid.uuid4().hex}"
    directory = bench.cwd / f"misbehaving dir; $(touch {marker}-a)"
    directory.mkdir()
    weird = directory / f"node `touch {marker}-b`;x $(touch {marker}-c) & y.py"
    shutil.copy(bench.node, weird)
    bench.node = weird
    run = bench.run("--node-count", "1", "--time-limit", "1", "--rate", "10")
    assert run.returncode == 0, run.stderr
    assert f"launching {weird} --pid-dir" in run.stdout
    assert run.results["stats"]["ok-count"] >= 1
    for where in (bench.cwd, Path(tempfile.gettempdir()), directory):
        assert not [path.name for path in where.iterdir() if path.name.startswith(marker)]
    bench.assert_no_node_left()
