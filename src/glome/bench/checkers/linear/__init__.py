"""Linearizability checker for the lin-kv workload (Maelstrom uses Knossos there)."""

from glome.bench.checkers.linear.checker import BUDGET_EXTRA, Budget, check

__all__ = ["BUDGET_EXTRA", "Budget", "check"]
