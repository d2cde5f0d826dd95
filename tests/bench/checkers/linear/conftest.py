"""Every test here runs against both search backends (compiled and pure)."""

from __future__ import annotations

import pytest

from glome._fast import load_compiled, load_pure
from glome.bench.checkers.linear import checker


@pytest.fixture(autouse=True)
def search_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the checker at the backend under test."""
    module = load_compiled("linear") if backend == "compiled" else load_pure("linear")
    monkeypatch.setattr(checker, "_search", module.search)
    return backend
