"""Whether the compiled core is there and wanted, and what a test that needs it does if not.

``GLOME_NO_EXTENSIONS=1`` runs the suite on the pure path alone: every test that
needs a compiled module skips, and child processes inherit the variable. Where
the build is required (CI sets ``GLOME_REQUIRE_EXTENSIONS=1``), a missing
compiled module fails instead of skipping.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from glome import _fast

REQUIRE_COMPILED = os.environ.get("GLOME_REQUIRE_EXTENSIONS") == "1"
PURE_ONLY = os.environ.get("GLOME_NO_EXTENSIONS") == "1"
PURE_ONLY_REASON = "GLOME_NO_EXTENSIONS=1: the pure path alone"


def _unavailable(message: str) -> None:
    if REQUIRE_COMPILED:
        pytest.fail(message)
    pytest.skip(message)


def require_compiled() -> None:
    """Skip the calling test when compiled modules are unwanted or were not built
    (fail where the build is required)."""
    if PURE_ONLY:
        pytest.skip(PURE_ONLY_REASON)
    missing = [
        f"{name}: {why}" for name, why in _fast.compiled_status().items() if why != "compiled"
    ]
    if missing:
        _unavailable("compiled core unavailable: " + "; ".join(missing))


def compiled_module(name: str) -> ModuleType:
    """The compiled module ``name``, under the same rules as ``require_compiled``, judged
    by that module's own build."""
    if PURE_ONLY:
        pytest.skip(PURE_ONLY_REASON)
    try:
        return _fast.load_compiled(name)
    except ImportError as error:
        _unavailable(f"compiled {name} not built: {error}")
        raise  # unreachable: _unavailable always raises
