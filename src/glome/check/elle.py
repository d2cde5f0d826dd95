"""Elle's rw-register and list-append, on glome's Elle.

glome's Elle (``glome.bench.checkers.elle``) reads the transactions of
ops whose ``f`` is ``txn``, as Maelstrom's histories have them; Elle itself
takes every client op as a transaction whatever its ``:f`` (histories from
elle-cli's examples have none). So each client op is handed over as a
``txn``, and nothing else changes. The result is Elle's own (``analyse``:
``valid?`` unknown for an empty transaction graph or a cycle search that timed
out), not Maelstrom's override of it, which the txn-rw-register model applies.
``--anomalies`` adds anomalies to look for beyond the consistency models', as
Elle's option does; with ``--directory`` the cycle explanations and graphs go
under ``elle/`` as in a Jepsen store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from glome.bench.checkers.elle import analysis, graph, list_append, models, rw_register
from glome.bench.history import UNKNOWN, Op, is_client_op
from glome.check.settings import Settings, UsageError

TXN = "txn"
Analyse = Callable[[list[Op], Sequence[str], Path | None, float], dict[str, Any]]

#: Every anomaly name glome's Elle knows, for ``--anomalies``.
KNOWN_ANOMALIES = frozenset(
    {name for implied in models.ANOMALY_IMPLIES.values() for name in implied}
    | set(models.ANOMALY_IMPLIES)
    | {name for anomalies in models.MODEL_PROSCRIBES.values() for name in anomalies}
    | set(graph.CYCLE_SPECS)
    | models.UNKNOWN_ANOMALY_TYPES
)


def as_transactions(history: list[Op]) -> list[Op]:
    """The history with every client op a ``txn``, as Elle reads it."""
    return [
        op if op.get("f") == TXN or not is_client_op(op) else {**op, "f": TXN} for op in history
    ]


def validate(settings: Settings) -> None:
    """Unknown consistency models and anomaly names are usage errors here."""
    try:
        models.validate(settings.consistency_models)
    except models.UnknownModelError:
        unknown = [m for m in settings.consistency_models if m not in models.ALL_MODELS]
        raise UsageError(
            f"unknown consistency model {', '.join(unknown)}; known: "
            + ", ".join(sorted(models.FRIENDLY_TO_CANONICAL))
        ) from None
    unknown = [a for a in settings.anomalies if a not in KNOWN_ANOMALIES]
    if unknown:
        raise UsageError(
            f"unknown anomaly {', '.join(unknown)}; known: " + ", ".join(sorted(KNOWN_ANOMALIES))
        )


def _checker(analyse: Analyse) -> Callable[[list[Op], Settings], dict[str, Any]]:
    def check(history: list[Op], settings: Settings) -> dict[str, Any]:
        expected = models.ModelsAndAnomalies(settings.consistency_models, settings.anomalies)
        try:
            return analyse(
                as_transactions(history),
                expected,
                settings.directory,
                settings.cycle_search_timeout_ms,
            )
        except analysis.HistoryError as error:  # Elle throws: the verdict is unknown
            return {"valid?": UNKNOWN, "error": str(error)}

    return check


rw_register_check = _checker(rw_register.analyse)
list_append_check = _checker(list_append.analyse)
