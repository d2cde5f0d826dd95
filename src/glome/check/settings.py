"""What ``glome check``'s options tell the checkers, in one value passed to each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glome.bench.checkers.elle.analysis import CYCLE_SEARCH_TIMEOUT_MS

#: Elle's and Maelstrom's default consistency model.
DEFAULT_CONSISTENCY_MODELS = ("strict-serializable",)


class UsageError(ValueError):
    """Options that cannot work together (exit 254, with this one-line message)."""


class ModelError(ValueError):
    """A history the model cannot interpret at all: an op its model has no rule
    for, or a value of the wrong shape. The verdict is then unknown, as when a
    Knossos model or a Jepsen checker throws."""


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()


@dataclass(frozen=True)
class Settings:
    """The options of one ``glome check`` run, as each model's checker reads them."""

    #: where this file's explanation goes (side files such as Elle's cycles), or None
    directory: Path | None = None
    consistency_models: tuple[str, ...] = DEFAULT_CONSISTENCY_MODELS
    anomalies: tuple[str, ...] = ()
    cycle_search_timeout_ms: float = CYCLE_SEARCH_TIMEOUT_MS
    group_size: int | None = None  # long-fork
    total_amount: int | None = None  # bank; None: the first read's total
    negative_balances: bool = False  # bank: whether negative balances are allowed
    initial_value: Any = NOT_GIVEN  # cas-register (default nil), multi-register (default {})
    time_limit: float | None = None  # seconds a linearizability search may take

    def given(self, name: str) -> bool:
        """Whether option ``name`` differs from its default."""
        return getattr(self, name) != getattr(DEFAULTS, name)


DEFAULTS = Settings()
