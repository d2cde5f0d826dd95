"""Shared fixtures: every runtime and node test runs against both backends.

``backend`` is "compiled" or "pure". The compiled case is skipped when the
extension was not built, except when ``GLOME_REQUIRE_EXTENSIONS=1`` (CI sets it):
then a missing extension is a failure, not a skip.
"""

from __future__ import annotations

import os

import pytest

from glome import _fast

REQUIRE_COMPILED = os.environ.get("GLOME_REQUIRE_EXTENSIONS") == "1"


def _compiled_missing() -> list[str]:
    return [f"{name}: {why}" for name, why in _fast.compiled_status().items() if why != "compiled"]


@pytest.fixture(params=["compiled", "pure"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "compiled":
        missing = _compiled_missing()
        if missing:
            message = "compiled core unavailable: " + "; ".join(missing)
            if REQUIRE_COMPILED:
                pytest.fail(message)
            pytest.skip(message)
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
