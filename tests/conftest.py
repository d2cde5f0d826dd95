"""Shared fixtures: every runtime and node test runs against both backends.

``backend`` is "compiled" or "pure". The compiled case is skipped when the
extension was not built, except when ``GLOME_REQUIRE_EXTENSIONS=1`` (CI sets it):
then a missing extension is a failure, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.compiled import require_compiled


@pytest.fixture(params=["compiled", "pure"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "compiled":
        require_compiled()
    return request.param


@pytest.fixture
def backend_env(backend: str) -> dict[str, str]:
    """Environment for a child process that must use ``backend``."""
    env = dict(os.environ)
    if backend == "pure":
        env["GLOME_NO_EXTENSIONS"] = "1"
    else:
        env.pop("GLOME_NO_EXTENSIONS", None)
    return env


@pytest.fixture
def start_node(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[Callable[..., Any]]:
    """``start_node(binary, node_id, ids, *args)``: an initialised node process on the
    backend under test, driven over stdin/stdout; every one is killed afterwards."""
    from support.node_process import NodeProcess

    started: list[NodeProcess] = []

    def launch(binary: str | Path, node_id: str, ids: list[str], *args: str) -> NodeProcess:
        node = NodeProcess([str(binary), *args], backend_env, tmp_path / f"stderr-{len(started)}")
        started.append(node)
        node.init(node_id, ids)
        return node

    yield launch
    for node in started:
        node.kill()


@pytest.fixture
def lockstep_nodes() -> Iterator[list[Any]]:
    """A list for the test's lock-step nodes (support.lockstep), all killed afterwards."""
    started: list[Any] = []
    yield started
    for node in started:
        node.kill()
