"""Whether the compiled core is there, and what a test that needs it does if not."""

from __future__ import annotations

import os

import pytest

from glome import _fast

#: CI sets GLOME_REQUIRE_EXTENSIONS=1: there a missing extension fails, not skips
REQUIRE_COMPILED = os.environ.get("GLOME_REQUIRE_EXTENSIONS") == "1"


def require_compiled() -> None:
    """Skip the calling test when a compiled module was not built (fail under CI)."""
    missing = [
        f"{name}: {why}" for name, why in _fast.compiled_status().items() if why != "compiled"
    ]
    if missing:
        message = "compiled core unavailable: " + "; ".join(missing)
        if REQUIRE_COMPILED:
            pytest.fail(message)
        pytest.skip(message)
