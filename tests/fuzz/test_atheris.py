"""The atheris harnesses, in short bounded runs on each backend (long runs: see each
harness's docstring). Skipped where atheris is not installed (it builds on Linux only)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import budget

pytest.importorskip("atheris", reason="atheris is not installed (Linux only, see pyproject)")

HERE = Path(__file__).parent
#: harness -> (runs, extra libFuzzer flags)
HARNESSES = {
    "fuzz_framing.py": (budget.inputs(6000), ["-max_len=2048"]),
    "fuzz_node_output.py": (budget.inputs(3000), ["-max_len=2048"]),
}


@pytest.mark.timeout(budget.seconds(90))
@pytest.mark.parametrize("harness", list(HARNESSES))
def test_harness_runs_clean(harness, backend_env, tmp_path, inputs) -> None:
    runs, flags = HARNESSES[harness]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    command = [
        sys.executable,
        str(HERE / harness),
        f"-atheris_runs={runs}",
        f"-dict={HERE / 'protocol.dict'}",
        f"-artifact_prefix={tmp_path}/",
        "-seed=1",
        *flags,
        str(corpus),
    ]
    done = subprocess.run(
        command, env=backend_env, capture_output=True, text=True, timeout=budget.seconds(80)
    )
    assert done.returncode == 0, done.stderr[-4000:]
    counted = re.search(r"^Done (\d+) (?:runs )?in", done.stderr, re.MULTILINE)
    assert counted, done.stderr[-2000:]
    inputs.tried(int(counted.group(1)))
    inputs.report(runs)
