"""Consistency models and the anomalies each one rules out (spec appendix A).

Three relations, as Elle 0.2.2 defines them, drive every verdict:

* ``MODEL_IMPLIES``: a history satisfying model a also satisfies model b;
* ``ANOMALY_IMPLIES``: finding anomaly a means anomaly b is present as well;
* ``MODEL_PROSCRIBES``: the anomalies a model forbids directly (weaker models
  implied by it add theirs).

A model's prohibited set is closed upward: everything its implied models
proscribe, plus every anomaly that implies one of those. Names given by users
are friendly ("read-committed"); the relations use canonical Adya-style names
("PL-2"), and results speak friendly names again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

FRIENDLY_TO_CANONICAL: dict[str, str] = {
    "consistent-view": "PL-2+",
    "conflict-serializable": "PL-3",
    "cursor-stability": "PL-CS",
    "forward-consistent-view": "PL-FCV",
    "monotonic-snapshot-read": "PL-MSR",
    "monotonic-view": "PL-2L",
    "read-committed": "PL-2",
    "read-uncommitted": "PL-1",
    "repeatable-read": "PL-2.99",
    "serializable": "PL-3",
    "snapshot-isolation": "PL-SI",
    "strict-serializable": "PL-SS",
    "strong-serializable": "PL-SS",
    "update-serializable": "PL-3U",
    "strong-session-read-uncommitted": "strong-session-PL-1",
    "strong-session-read-committed": "strong-session-PL-2",
    "strong-read-uncommitted": "strong-PL-1",
    "strong-read-committed": "strong-PL-2",
}

#: Canonical -> friendly. Where two friendly names share a canonical one, Elle
#: reports "serializable" for PL-3 and "strong-serializable" for PL-SS.
CANONICAL_TO_FRIENDLY: dict[str, str] = {
    **{canonical: friendly for friendly, canonical in FRIENDLY_TO_CANONICAL.items()},
    "PL-3": "serializable",
    "PL-SS": "strong-serializable",
}

_MODEL_IMPLIES_FRIENDLY: dict[str, tuple[str, ...]] = {
    "causal-cerone": ("read-atomic",),
    "consistent-view": ("cursor-stability", "monotonic-view"),
    "conflict-serializable": ("view-serializable",),
    "cursor-stability": ("read-committed", "PL-2"),
    "forward-consistent-view": ("consistent-view",),
    "PL-2": ("PL-1",),
    "PL-3": ("repeatable-read", "update-serializable"),
    "update-serializable": ("forward-consistent-view",),
    "monotonic-atomic-view": ("read-committed",),
    "monotonic-view": ("PL-2",),
    "monotonic-snapshot-read": ("PL-2",),
    "parallel-snapshot-isolation": ("causal-cerone", "update-atomic"),
    "prefix": ("causal-cerone",),
    "read-atomic": ("monotonic-atomic-view",),
    "read-committed": ("read-uncommitted",),
    "repeatable-read": ("cursor-stability", "monotonic-atomic-view"),
    "update-atomic": ("read-atomic",),
    "serializable": ("repeatable-read", "snapshot-isolation", "view-serializable"),
    "session-serializable": ("1SR",),
    "snapshot-isolation": (
        "forward-consistent-view",
        "monotonic-atomic-view",
        "monotonic-snapshot-read",
        "parallel-snapshot-isolation",
        "prefix",
    ),
    "strict-serializable": (
        "PL-3",
        "serializable",
        "linearizable",
        "snapshot-isolation",
        "strong-snapshot-isolation",
        "strong-session-serializable",
    ),
    "strong-session-PL-1": ("PL-1",),
    "strong-session-PL-2": ("PL-2", "strong-session-PL-1"),
    "strong-PL-1": ("strong-session-PL-1",),
    "strong-PL-2": ("strong-session-PL-2", "strong-PL-1"),
    "strong-session-serializable": ("serializable", "strong-session-snapshot-isolation"),
    "strong-session-snapshot-isolation": ("snapshot-isolation", "strong-session-PL-2"),
    "strong-serializable": ("session-serializable",),
    "strong-snapshot-isolation": ("strong-session-snapshot-isolation", "strong-PL-2"),
    "linearizable": ("sequential",),
    "sequential": ("causal",),
    "causal": ("writes-follow-reads", "PRAM"),
    "PRAM": ("monotonic-reads", "monotonic-writes", "read-your-writes"),
}

_MODEL_PROSCRIBES_FRIENDLY: dict[str, tuple[str, ...]] = {
    "causal-cerone": ("internal", "G1a"),
    "cursor-stability": ("G1", "G-cursor", "lost-update"),
    "monotonic-view": ("G1", "G-monotonic"),
    "monotonic-snapshot-read": ("G1", "G-MSR"),
    "consistent-view": ("G1", "G-single"),
    "forward-consistent-view": ("G1", "G-SIb"),
    "parallel-snapshot-isolation": ("internal", "G1a"),
    "PL-3": ("G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"),
    "PL-2": ("G1", "PL-2-cycle-exists"),
    "PL-1": ("G0", "duplicate-elements", "cyclic-versions", "PL-1-cycle-exists"),
    "prefix": ("internal", "G1a"),
    "serializable": ("internal",),
    "snapshot-isolation": ("internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"),
    "read-atomic": ("internal", "G1a", "future-read"),
    "repeatable-read": ("G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"),
    "update-atomic": ("lost-update",),
    "strict-serializable": ("G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"),
    "strong-session-PL-1": ("strong-session-PL-1-cycle-exists", "G0-process"),
    "strong-session-PL-2": ("strong-session-PL-2-cycle-exists", "G1c-process"),
    "strong-PL-1": ("strong-PL-1-cycle-exists", "G0-realtime"),
    "strong-PL-2": ("strong-PL-2-cycle-exists", "G1c-realtime"),
    "strong-session-snapshot-isolation": (
        "internal",
        "G1-process",
        "G-nonadjacent-process",
        "strong-session-snapshot-isolation-cycle-exists",
    ),
    "strong-snapshot-isolation": (
        "internal",
        "G1-realtime",
        "G-nonadjacent-realtime",
        "strong-snapshot-isolation-cycle-exists",
    ),
    "strong-session-serializable": (
        "G1-process",
        "G2-process",
        "strong-session-serializable-cycle-exists",
    ),
    "update-serializable": ("G1", "G-update"),
}

ANOMALY_IMPLIES: dict[str, tuple[str, ...]] = {
    "G0": ("G1c", "G0-process"),
    "G0-process": ("G1c-process", "G0-realtime"),
    "G0-realtime": ("G1c-realtime",),
    "G1a": ("G1",),
    "G1b": ("G1",),
    "G1c": ("G1", "G1c-process"),
    "G1c-process": ("G1c-realtime", "G1-process"),
    "G1c-realtime": ("G1-realtime",),
    "G1": ("G1-process",),
    "G1-process": ("G1-realtime",),
    "G-single-item": ("G-single", "G-single-item-process", "G-nonadjacent-item"),
    "G-single-item-process": (
        "G-single-process",
        "G-single-item-realtime",
        "G-nonadjacent-item-process",
    ),
    "G-single-item-realtime": ("G-single-realtime", "G-nonadjacent-item-realtime"),
    "G-single": ("G-nonadjacent", "GSIb", "G-single-process"),
    "G-single-process": ("G-nonadjacent-process", "G-single-realtime"),
    "G-single-realtime": ("G-nonadjacent-realtime",),
    "G-nonadjacent-item": ("G-nonadjacent", "G2-item", "G-nonadjacent-item-process"),
    "G-nonadjacent-item-process": (
        "G-nonadjacent-process",
        "G2-item-process",
        "G-nonadjacent-item-realtime",
    ),
    "G-nonadjacent-item-realtime": ("G2-item-realtime", "G-nonadjacent-realtime"),
    "G-nonadjacent": ("G2", "G-nonadjacent-process"),
    "G-nonadjacent-process": ("G2-process", "G-nonadjacent-realtime"),
    "G-nonadjacent-realtime": ("G2-realtime",),
    "G2": ("G2-process",),
    "G2-item": ("G2", "G2-item-process"),
    "G2-item-process": ("G2-process", "G2-item-realtime"),
    "G2-item-realtime": ("G2-realtime",),
    "G2-process": ("G2-realtime",),
    "GSIa": ("GSI",),
    "GSIb": ("GSI",),
    "incompatible-order": ("G1a",),
    "future-read": ("G1c",),
    "dirty-update": ("G1a",),
    "lost-update": ("write-skew", "G2-item"),
    "write-skew": ("G2",),
}

#: "Worse than" edges that are not implications; they only order the search.
_SEVERITY: dict[str, tuple[str, ...]] = {
    "G0": ("G1c",),
    "G0-process": ("G1c-process",),
    "G0-realtime": ("G1c-realtime",),
    "G1c": ("G-single", "G2-item"),
    "G1c-process": ("G-single-process", "G2-item-process"),
    "G1c-realtime": ("G-single-realtime", "G2-item-realtime"),
    "G2": ("G0-process",),
    "G2-process": ("G0-realtime",),
}

#: Anomalies that make Elle answer "unknown" rather than false.
UNKNOWN_ANOMALY_TYPES = frozenset({"empty-transaction-graph", "cycle-search-timeout"})


def canonical(model: str) -> str:
    return FRIENDLY_TO_CANONICAL.get(model, model)


def friendly(model: str) -> str:
    return CANONICAL_TO_FRIENDLY.get(model, model)


def _canonical_graph(graph: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for source, targets in graph.items():
        out.setdefault(canonical(source), set()).update(canonical(t) for t in targets)
        for target in targets:
            out.setdefault(canonical(target), set())
    return {vertex: frozenset(targets) for vertex, targets in out.items()}


MODEL_IMPLIES = _canonical_graph(_MODEL_IMPLIES_FRIENDLY)
MODEL_PROSCRIBES = {
    model: anomalies
    for model, anomalies in _canonical_graph(_MODEL_PROSCRIBES_FRIENDLY).items()
    if anomalies
}


def _reverse(graph: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    reverse: dict[str, set[str]] = {vertex: set() for vertex in graph}
    for source, targets in graph.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    return {vertex: frozenset(sources) for vertex, sources in reverse.items()}


def _closure(graph: dict[str, frozenset[str]], start: Iterable[str]) -> set[str]:
    """Every vertex reachable from ``start`` (inclusive)."""
    seen = set(start)
    stack = list(seen)
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


_ANOMALY_IMPLIES = {a: frozenset(b) for a, b in ANOMALY_IMPLIES.items()}
_ANOMALY_IMPLIED_BY = _reverse(_ANOMALY_IMPLIES)
_MODEL_IMPLIED_BY = _reverse(MODEL_IMPLIES)
_PROSCRIBED_BY = _reverse(MODEL_PROSCRIBES)

#: Every model name a user may give, friendly or canonical.
ALL_MODELS = frozenset(MODEL_IMPLIES) | frozenset(FRIENDLY_TO_CANONICAL)


class UnknownModelError(ValueError):
    """A --consistency-models name Elle does not know (the run is then unknown)."""


def validate(models: Iterable[str]) -> list[str]:
    models = list(models)
    unknown = [m for m in models if m not in ALL_MODELS]
    if unknown:
        raise UnknownModelError(
            f"Unknown consistency model {unknown!r}; known models are: {sorted(ALL_MODELS)}"
        )
    return models


def implied_anomalies(anomalies: Iterable[str]) -> set[str]:
    """The anomalies given and every anomaly they imply."""
    return set(_implied_anomalies(tuple(anomalies)))


@cache
def _implied_anomalies(anomalies: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_closure(_ANOMALY_IMPLIES, anomalies))


def anomalies_implying(anomalies: Iterable[str]) -> set[str]:
    """The anomalies given and every anomaly that implies one of them."""
    return _closure(_ANOMALY_IMPLIED_BY, anomalies)


def impossible_models(impossible: Iterable[str]) -> set[str]:
    """Canonical models ruled out once ``impossible`` are: every stronger model too."""
    return set(_impossible_models(tuple(validate(impossible))))


@cache
def _impossible_models(impossible: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_closure(_MODEL_IMPLIED_BY, (canonical(m) for m in impossible)))


@cache
def _prohibited(models: tuple[str, ...]) -> frozenset[str]:
    implied = _closure(MODEL_IMPLIES, (canonical(m) for m in validate(models)))
    direct = {a for model in implied for a in MODEL_PROSCRIBES.get(model, ())}
    return frozenset(anomalies_implying(direct))


class ModelsAndAnomalies(list[str]):
    """Consistency models plus specific anomalies not to see (Elle's
    ``:anomalies`` option): a list of the models, so it goes wherever
    ``consistency_models`` go, and every anomaly implying one of ``anomalies``
    is prohibited as well."""

    def __init__(self, consistency_models: Iterable[str], anomalies: Iterable[str]) -> None:
        super().__init__(consistency_models)
        self.anomalies = tuple(anomalies)


def prohibited_anomaly_types(models: Iterable[str]) -> frozenset[str]:
    """Anomalies whose presence means one of ``models`` does not hold."""
    extra = getattr(models, "anomalies", ())
    return _prohibited(tuple(models)) | anomalies_implying(extra)


def reportable_anomaly_types(models: Iterable[str]) -> frozenset[str]:
    """Prohibited anomalies plus the two that make the verdict unknown."""
    return prohibited_anomaly_types(models) | UNKNOWN_ANOMALY_TYPES


def anomalies_to_impossible_models(anomalies: Iterable[str]) -> set[str]:
    """Canonical models that cannot hold given these anomalies were found."""
    direct = {m for a in implied_anomalies(anomalies) for m in _PROSCRIBED_BY.get(a, ())}
    return _closure(_MODEL_IMPLIED_BY, direct)


def _weakest(models: set[str]) -> set[str]:
    """The models in the set not implied-away by another member: the boundary."""
    remaining = set(models)
    for model in sorted(models):
        others = remaining - {model}
        if others & (_closure(MODEL_IMPLIES, [model]) - {model}):
            remaining = others
    return remaining


def boundary(anomalies: Iterable[str]) -> dict[str, list[str]]:
    """``not``: the weakest models these anomalies rule out; ``also-not``: the rest."""
    impossible = anomalies_to_impossible_models(anomalies)
    weakest = _weakest(impossible)
    return {
        "not": sorted({friendly(m) for m in weakest}),
        "also-not": sorted({friendly(m) for m in impossible - weakest}),
    }


def _anomaly_depths() -> dict[str, int]:
    """Longest distance from a root in implication+severity order; proscribed
    anomalies are roots too. Searching shallow anomalies first finds the worst."""
    merged: dict[str, set[str]] = {}
    for graph in (ANOMALY_IMPLIES, _SEVERITY):
        for source, targets in graph.items():
            merged.setdefault(source, set()).update(targets)
            for target in targets:
                merged.setdefault(target, set())
    indegree = {vertex: 0 for vertex in merged}
    for successors in merged.values():
        for target in successors:
            indegree[target] += 1
    depth: dict[str, int] = {}
    layer = [v for v, d in indegree.items() if d == 0]
    level = 0
    while layer:
        nxt = []
        for vertex in layer:
            depth[vertex] = level
            for target in merged[vertex]:
                indegree[target] -= 1
                if indegree[target] == 0:
                    nxt.append(target)
        layer = nxt
        level += 1
    for anomalies in MODEL_PROSCRIBES.values():
        for anomaly in anomalies:
            depth.setdefault(anomaly, 0)
    return depth


ANOMALY_DEPTHS = _anomaly_depths()


def severity_order(anomalies: Iterable[str]) -> list[str]:
    """Anomalies from the most severe (fewest implications above it) down."""
    return sorted(anomalies, key=lambda a: (ANOMALY_DEPTHS.get(a, 0), a))
