"""Fixtures for the bitset tests: ``bits`` runs a test on each backend, ``twins`` hands both.

Only the bitset module's own build decides whether the compiled case runs (the
shared ``backend`` fixture skips it when any module of the core is unbuilt); with
``GLOME_REQUIRE_EXTENSIONS=1`` a missing build is a failure, and under
``GLOME_NO_EXTENSIONS=1`` the compiled case skips, as in the shared fixture.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from glome._fast import load_pure
from support.compiled import compiled_module


def compiled_bitset() -> ModuleType:
    return compiled_module("bitset")


@pytest.fixture(params=["compiled", "pure"])
def bits(request: pytest.FixtureRequest) -> ModuleType:
    return compiled_bitset() if request.param == "compiled" else load_pure("bitset")


@pytest.fixture
def twins() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure), for tests that compare the two."""
    return compiled_bitset(), load_pure("bitset")
