"""Backend selection for glome's compiled core.

Each compiled module ``_fast/<name>.pyx`` has a pure-Python twin
``_fast/_pure_<name>.py`` with the same API (and one ``<name>.pyi`` stub for
both). ``load(name)`` returns the compiled module when it was built and
``GLOME_NO_EXTENSIONS`` is not ``1``; otherwise the pure twin. ``BACKEND`` tells
which backend the first ``load`` resolved to, for ``glome doctor`` and the tests.
"""

from __future__ import annotations

import os
from importlib import import_module
from types import ModuleType

PURE_FORCED = os.environ.get("GLOME_NO_EXTENSIONS") == "1"

#: "compiled" or "pure": what ``load`` hands out in this process.
BACKEND = "pure" if PURE_FORCED else "compiled"

#: module name -> why its compiled form could not be used (empty when all loaded)
FALLBACKS: dict[str, str] = {}


def load(name: str) -> ModuleType:
    """The compiled module ``name`` if available (and not disabled), else its pure twin."""
    global BACKEND
    if not PURE_FORCED:
        try:
            return import_module(f"glome._fast.{name}")
        except ImportError as exc:
            FALLBACKS[name] = str(exc)
            BACKEND = "pure"
    return import_module(f"glome._fast._pure_{name}")


def load_pure(name: str) -> ModuleType:
    """The pure twin of ``name``, regardless of the environment (tests compare both)."""
    return import_module(f"glome._fast._pure_{name}")


def load_compiled(name: str) -> ModuleType:
    """The compiled ``name``; raises ImportError when it was not built."""
    return import_module(f"glome._fast.{name}")


def module_names() -> list[str]:
    """Every module of the core, named by its pure twin ``_pure_<name>.py``."""
    here = os.path.dirname(__file__)
    return sorted(
        entry[len("_pure_") : -len(".py")]
        for entry in os.listdir(here)
        if entry.startswith("_pure_") and entry.endswith(".py")
    )


def compiled_status() -> dict[str, str]:
    """module name -> "compiled" or the reason its compiled form is unavailable."""
    status = {}
    for name in module_names():
        try:
            load_compiled(name)
            status[name] = "compiled"
        except ImportError as exc:
            status[name] = f"not built: {exc}"
    return status
