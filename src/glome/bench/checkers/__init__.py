"""Jepsen's checkers that every Maelstrom workload shares
(docs/maelstrom.md §9.1-9.2), and set-full.

Each checker is a function ``check(history, ctx) -> dict`` whose result has a
"valid?" key; ``compose`` runs several under a guard and merges their verdicts.
"""

from glome.bench.checkers.compose import check_safe, compose

__all__ = ["check_safe", "compose"]
