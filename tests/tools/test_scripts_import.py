"""Every script in benchmarks/ and tools/ still imports: a renamed module or name
in the package breaks a script that no test runs, and this finds it first."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*REPO.glob("benchmarks/*.py"), *REPO.glob("tools/*.py")])


def test_there_are_scripts_to_import():
    assert len(SCRIPTS) > 20


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_script_imports(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as `python SCRIPT` runs it: its folder first on sys.path (siblings import each other)
    monkeypatch.syspath_prepend(str(script.parent))
    name = f"script_{script.parent.name}_{script.stem}"
    spec = importlib.util.spec_from_file_location(name, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)  # runs the top level only: main() is behind __main__
