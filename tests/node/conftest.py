"""Drive real node processes over their stdin/stdout, as Maelstrom does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.fixture_nodes import fixture_node
from support.node_process import NodeProcess

GLOME_BIN = Path(sys.executable).parent


@pytest.fixture
def spawn(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[Any]:
    """Start node processes on the backend under test: ``spawn("glome-echo")``.

    A name ending in ``.py`` is a test node from tests/fixture_nodes/.
    """
    started: list[NodeProcess] = []

    def start(program: str, *args: str, env: dict[str, str] | None = None) -> NodeProcess:
        if program.endswith(".py"):
            argv = [sys.executable, fixture_node(program), *args]
        else:
            argv = [str(GLOME_BIN / program), *args]
        node = NodeProcess(
            argv, {**backend_env, **(env or {})}, tmp_path / f"stderr-{len(started)}.log"
        )
        started.append(node)
        return node

    yield start
    for node in started:
        node.kill()
