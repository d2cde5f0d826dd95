"""Fixtures for the bitset tests: ``bits`` runs a test on each backend, ``twins`` hands both.

Only the bitset module's own build decides whether the compiled case runs (the
shared ``backend`` fixture skips it when any module of the core is unbuilt); with
``GLOME_REQUIRE_EXTENSIONS=1`` a missing build is a failure, as in the shared fixture.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from glome._fast import load_compiled, load_pure


def compiled_bitset() -> ModuleType:
    try:
        return load_compiled("bitset")
    except ImportError as exc:
        message = f"compiled bitset not built: {exc}"
        if os.environ.get("GLOME_REQUIRE_EXTENSIONS") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["compiled", "pure"])
def bits(request: pytest.FixtureRequest) -> ModuleType:
    return compiled_bitset() if request.param == "compiled" else load_pure("bitset")


@pytest.fixture
def twins() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure), for tests that compare the two."""
    return compiled_bitset(), load_pure("bitset")
