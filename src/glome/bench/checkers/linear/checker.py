"""lin-kv's checker: Knossos-style linearizability of every key's CAS register.

Shape of the result, as Maelstrom's independent linearizable checker:
``{"valid?", "results": {key: {"linearizable", "timeline", "valid?"}},
"failures": [keys whose result is false]}``. Each key's search runs under a
budget of memoised configurations (see ``Budget``) and yields ``"unknown"``
when it runs out, so a pathological key cannot exhaust memory or hang. With a store
directory, each key's results and history also go to ``independent/<key>/``,
with a ``linear.svg`` picture for a key that is not linearizable.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glome._fast import load
from glome.bench.checkers.compose import check_safe
from glome.bench.checkers.linear import svg
from glome.bench.checkers.linear.prepare import KeyProblem, json_text, sort_key, split_by_key
from glome.bench.checkers.linear.report import invalid_analysis
from glome.bench.edn import Keyword
from glome.bench.history import UNKNOWN, CheckContext, Checker, Op
from glome.bench.results import merge_valid, write_history, write_results

ANALYZER = Keyword("wgl")
if TYPE_CHECKING:
    from glome._fast import linear as _linear
else:
    _linear = load("linear")
_search = _linear.search
INDEPENDENT_DIR = "independent"
SVG_FILE = "linear.svg"


@dataclass(frozen=True)
class Budget:
    """Limits on the search. By default only memory is bounded: a key may memoise
    ``key_configs`` configurations (about 50 bytes each compiled, some 100 MB at
    the default; a few hundred in the pure backend), and a key that needs more is
    ``unknown`` with cause ``config-limit``. So a verdict depends on the history
    alone, never on the machine or its load, and ``unknown`` means the search
    truly could not finish. Challenge-size lin-kv runs need a few thousand
    configurations a key (``benchmarks/lin_kv_budget.py``). A caller may add time
    limits: ``key_seconds`` for each key (keys are searched smallest first) and
    ``total_seconds`` from the start of the check; a key cut short is ``unknown``
    with cause ``timeout``."""

    key_configs: int = 2_000_000
    key_seconds: float | None = None
    total_seconds: float | None = None

    def deadline(self, started: float) -> float:
        """The monotonic time a key starting now must finish by (inf: none)."""
        limits = [math.inf]
        if self.key_seconds is not None:
            limits.append(time.monotonic() + self.key_seconds)
        if self.total_seconds is not None:
            limits.append(started + self.total_seconds)
        return min(limits)


#: Where a caller may put a Budget for this checker in ``CheckContext.extra``.
BUDGET_EXTRA = "linear-budget"


def check_key(problem: KeyProblem, deadline: float, config_limit: int) -> dict[str, Any]:
    """The "linearizable" map of one key."""
    if problem.error is not None:
        return {"valid?": UNKNOWN, "error": problem.error}
    status, furthest, final_state, arrivals, explored = _search(
        *problem.search_arguments(),
        deadline,
        config_limit,
    )
    if status == "valid":
        result = {"valid?": True, "model": {"value": problem.values[final_state]}}
    elif status == "invalid":
        result = invalid_analysis(problem, furthest, arrivals)
    else:
        reached = problem.calls[problem.steps[furthest].call].completion
        result = {"valid?": UNKNOWN, "cause": Keyword(status), "op": reached}
    return {**result, "analyzer": ANALYZER, "configs-explored": explored}


def _key_checker(problem: KeyProblem, deadline: float, config_limit: int) -> Checker:
    """check_key as a Checker, so that (as in Jepsen's independent checker) a key
    whose check raises is guarded into "unknown" instead of ending the analysis."""

    def check_one(_history: list[Op], _ctx: CheckContext) -> dict[str, Any]:
        return check_key(problem, deadline, config_limit)

    return check_one


def _result_key(key: Any) -> Any:
    """The key itself, or its JSON text when it cannot be a map key (a list)."""
    try:
        hash(key)
    except TypeError:
        return json_text(key)
    return key


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    """Check every key of a lin-kv history; see the module docstring for the shape."""
    budget = ctx.extra.get(BUDGET_EXTRA) or Budget()
    started = time.monotonic()
    problems = split_by_key(history)
    linearizable: dict[int, dict[str, Any]] = {}
    for index in sorted(range(len(problems)), key=lambda i: len(problems[i].calls)):
        deadline = budget.deadline(started)
        one_key = _key_checker(problems[index], deadline, budget.key_configs)
        linearizable[index] = check_safe(one_key, problems[index].ops, ctx)
    results: dict[Any, dict[str, Any]] = {}
    for index in sorted(range(len(problems)), key=lambda i: sort_key(problems[i].key)):
        outcome = linearizable[index]
        key = _result_key(problems[index].key)
        results[key] = {
            "linearizable": outcome,
            "timeline": {"valid?": True},
            "valid?": outcome["valid?"],
        }
        if ctx.store is not None:
            directory = ctx.store / INDEPENDENT_DIR / str(key)
            directory.mkdir(parents=True, exist_ok=True)
            write_results(directory, results[key])
            write_history(directory, problems[index].ops)
            if outcome["valid?"] is False and "final-paths" in outcome:
                (directory / SVG_FILE).write_text(svg.render(problems[index], outcome))
    return {
        "valid?": merge_valid(*(result["valid?"] for result in results.values())),
        "results": results,
        "failures": [key for key, result in results.items() if result["valid?"] is False],
    }
