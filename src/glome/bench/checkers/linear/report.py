"""Explain a key the search could not linearize, in Knossos's terms.

The search stops at the first :ok op whose return no configuration could
pass. The report names that op (``op``), the :ok op before it
(``previous-ok``), the states the register could have been in just before it
(``configs``: value, the call linearized last, the calls still pending), the
latest of those last calls (``last-op``), and ``final-paths``: from those
states, short sequences of pending calls followed by the op, each step with
the register it leaves, ending in the step that is impossible. Configs and
paths are truncated to ``SHOWN`` each.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from glome._fast._pure_linear import CAS, INCONSISTENT, READ, Config, apply
from glome.bench.checkers.linear.prepare import KeyProblem, ReturnStep
from glome.bench.history import OK, Op

SHOWN = 10
PATH_SEARCH_LIMIT = 10_000  # sequences tried while looking for final paths


def render_call(problem: KeyProblem, number: int) -> Op:
    """A call as an invocation carrying its effective value (a read's result)."""
    call = problem.calls[number]
    return {**call.invocation, "value": call.value}


def _model(problem: KeyProblem, state: int) -> dict[str, Any]:
    return {"value": problem.values[state]}


def _impossible(problem: KeyProblem, number: int, state: int) -> dict[str, str]:
    call = problem.calls[number]
    current = json.dumps(problem.values[state])
    if call.code == READ:
        return {"inconsistent": f"can't read {json.dumps(call.value)} from register {current}"}
    assert call.code == CAS
    expected, new = (json.dumps(v) for v in call.value)
    return {"inconsistent": f"can't CAS {current} from {expected} to {new}"}


def _pending(problem: KeyProblem, step: ReturnStep, config: Config) -> list[int]:
    """Calls a configuration has not linearized yet: open :ok calls, then unused :info ones."""
    _, _, linearized, used, _ = config
    open_calls = [
        call
        for slot, call in zip(step.open_slots, step.open_calls, strict=True)
        if not linearized >> slot & 1
    ]
    unused = [problem.info_calls[i] for i in range(step.infos_invoked) if not used >> i & 1]
    return open_calls + unused


def _configs(problem: KeyProblem, step: ReturnStep, arrivals: list[Config]) -> list[dict[str, Any]]:
    return [
        {
            "model": _model(problem, config[1]),
            "last-op": render_call(problem, config[4]) if config[4] >= 0 else None,
            "pending": [render_call(problem, c) for c in _pending(problem, step, config)],
        }
        for config in arrivals[:SHOWN]
    ]


def _previous_ok(problem: KeyProblem, completion: Op | None) -> Op | None:
    """The last :ok op of the key's history before ``completion``."""
    previous = None
    for op in problem.ops:
        if op is completion:
            return previous
        if op["type"] == OK:
            previous = op
    return previous


def _final_paths(problem: KeyProblem, step: ReturnStep, arrivals: list[Config]) -> list[list[Any]]:
    """Shortest first: pending calls in some order, then the op, until a step is impossible."""
    culprit = step.call
    queue: deque[tuple[int, int, tuple[int, ...]]] = deque(
        (index, config[1], ()) for index, config in enumerate(arrivals)
    )
    candidates = [
        [c for c in _pending(problem, step, config) if c != culprit] for config in arrivals
    ]
    paths: list[list[Any]] = []
    seen: set[str] = set()
    tried = 0
    last = problem.calls[culprit]
    while queue and len(paths) < SHOWN and tried < PATH_SEARCH_LIMIT:
        index, state, sequence = queue.popleft()
        tried += 1
        if apply(last.code, last.arg_a, last.arg_b, state) == INCONSISTENT:
            _add_path(problem, arrivals[index], sequence, culprit, paths, seen)
        for candidate in candidates[index]:
            if candidate in sequence:
                continue
            other = problem.calls[candidate]
            after = apply(other.code, other.arg_a, other.arg_b, state)
            if after != INCONSISTENT:
                queue.append((index, after, (*sequence, candidate)))
    return paths


def _add_path(
    problem: KeyProblem,
    config: Config,
    sequence: tuple[int, ...],
    culprit: int,
    paths: list[list[Any]],
    seen: set[str],
) -> None:
    """Write one path out (from the configuration's last op) unless already listed."""
    state, last = config[1], config[4]
    path: list[dict[str, Any]] = []
    if last >= 0:
        path.append({"op": render_call(problem, last), "model": _model(problem, state)})
    for number in sequence:
        call = problem.calls[number]
        state = apply(call.code, call.arg_a, call.arg_b, state)
        path.append({"op": render_call(problem, number), "model": _model(problem, state)})
    path.append(
        {"op": render_call(problem, culprit), "model": _impossible(problem, culprit, state)}
    )
    identity = json.dumps(path, sort_keys=True, default=str)
    if identity not in seen:
        seen.add(identity)
        paths.append(path)


def invalid_analysis(problem: KeyProblem, furthest: int, arrivals: list[Config]) -> dict[str, Any]:
    """The result map of a key with no linearization."""
    step = problem.steps[furthest]
    completion = problem.calls[step.call].completion
    last_ops = sorted(
        (config[4] for config in arrivals if config[4] >= 0),
        key=lambda number: problem.calls[number].invocation.get("index", -1),
    )
    return {
        "valid?": False,
        "op": completion,
        "previous-ok": _previous_ok(problem, completion),
        "last-op": render_call(problem, last_ops[-1]) if last_ops else None,
        "configs": _configs(problem, step, arrivals),
        "final-paths": _final_paths(problem, step, arrivals),
    }
