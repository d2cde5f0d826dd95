"""Linearizability against any model whose states are hashable Python values.

glome's own search (``glome._fast.linear`` and its pure twin) checks one CAS
register whose states are interned integers, which is what lets it run
compiled. A model whose operations read or write several values at once,
such as Knossos's multi-register (a transaction of reads and writes over many
keys), cannot be put into that form, so it is searched here instead, in pure
Python, with the same algorithm and the same two reductions:

* a configuration is (return step, model state, which open :ok calls are
  already linearized, which indeterminate calls are used); calls are
  linearized just in time, at the return of a call not yet linearized;
* indeterminate calls with equal (f, value) are interchangeable, so only the
  earliest unused one of each kind is tried, and a configuration that used a
  superset of the indeterminate calls of one already seen is pruned.

It is the very search the register runs (``search_moves``), handed this module's
transition function over interned states.

A model is a function ``step(state, f, value)`` returning the next state or
an ``Inconsistent``; it may raise ``settings.ModelError`` for an op it cannot apply at
all (the verdict is then unknown, as when a Knossos model throws). Model
states are interned, and every (state, call) transition is computed once.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from glome._fast import load
from glome._fast._pure_linear import Step as ReturnStep
from glome.bench.checkers.linear.prepare import return_steps
from glome.bench.edn import Keyword
from glome.bench.history import FAIL, OK, Op, pairs

SHOWN = 10  # configurations and final paths shown in a report
PATH_SEARCH_LIMIT = 10_000  # call sequences tried while looking for final paths
if TYPE_CHECKING:
    from glome._fast import linear as _linear
else:
    _linear = load("linear")
_search_moves = _linear.search_moves
IMPOSSIBLE = _linear.INCONSISTENT


@dataclass(frozen=True)
class Inconsistent:
    """A step the model cannot take from a state, and why."""

    message: str


S = TypeVar("S", bound=Hashable)  # a model state
Step = Callable[[S, Any, Any], "S | Inconsistent"]


@dataclass
class Call:
    """An operation that may have taken effect: what the model applies, and its ops."""

    f: Any
    value: Any  # the :ok completion's value, else the invocation's
    invocation: Op
    completion: Op | None  # the :ok or :info completion; None when it never completed


@dataclass
class Problem:
    """A history as the search takes it (see glome.bench.checkers.linear.prepare)."""

    calls: list[Call] = field(default_factory=list)
    # per :ok return: (returning call, its slot, open slots, calls in them, infos invoked)
    steps: list[ReturnStep] = field(default_factory=list)
    info_calls: list[int] = field(default_factory=list)  # indeterminate calls, invoked order
    info_kinds: list[int] = field(default_factory=list)  # equal kinds are interchangeable


def _kind(f: Any, value: Any) -> str:
    return json.dumps([f, value], sort_keys=True, default=repr)


def prepare(history: list[Op], relevant: Callable[[Call], bool] = lambda call: True) -> Problem:
    """The calls of a history and the return steps the search must pass.

    :fail ops did not happen and are dropped; so is any indeterminate call for
    which ``relevant`` says it cannot change anything (a read-only one)."""
    problem = Problem()
    position = {id(op): i for i, op in enumerate(history)}
    events: list[tuple[int, int, bool]] = []
    for invocation, completion in pairs(history):
        if completion is not None and completion["type"] == FAIL:
            continue
        definite = completion is not None and completion["type"] == OK
        source = completion if definite else invocation
        assert source is not None
        call = Call(invocation.get("f"), source.get("value"), invocation, completion)
        if not definite and not relevant(call):
            continue
        number = len(problem.calls)
        problem.calls.append(call)
        events.append((position[id(invocation)], number, False))
        if definite:
            assert completion is not None
            events.append((position[id(completion)], number, True))
    events.sort()
    calls = problem.calls
    problem.steps, problem.info_calls, problem.info_kinds = return_steps(
        events, lambda number: _kind(calls[number].f, calls[number].value)
    )
    return problem


Config = tuple[int, int, int, int, int]  # step, state id, open mask, used mask, last call


@dataclass
class Outcome:
    """What the search found: ``status`` is valid, invalid, timeout or config-limit."""

    status: str
    furthest: int  # the last return step reached
    final_state: Any  # the model after the linearization found (valid only)
    arrivals: list[Config]  # configurations that had just passed the return before furthest
    explored: int
    states: list[Any]  # state id -> state


class _Transitions(Generic[S]):
    """Interned model states and each (state, call) transition, computed once."""

    def __init__(self, problem: Problem, step: Step[S], initial: S) -> None:
        self.calls = problem.calls
        self.step = step
        self.states: list[S] = [initial]
        self.ids: dict[S, int] = {initial: 0}
        self.known: dict[tuple[int, int], int] = {}

    def after(self, state: int, call: int) -> int:
        found = self.known.get((state, call))
        if found is None:
            found = self.known[(state, call)] = self._apply(state, call)
        return found

    def _apply(self, state: int, call: int) -> int:
        target = self.calls[call]
        result = self.step(self.states[state], target.f, target.value)
        if isinstance(result, Inconsistent):
            return IMPOSSIBLE
        found = self.ids.get(result)
        if found is None:
            found = self.ids[result] = len(self.states)
            self.states.append(result)
        return found


def search(
    problem: Problem,
    step: Step[S],
    initial: S,
    deadline: float = float("inf"),
    config_limit: int = 2_000_000,
) -> Outcome:
    """Is there a linearization of the calls that passes every return step? The
    register checker's search (``glome._fast.linear.search_moves``) over this
    model's interned states."""
    moves = _Transitions(problem, step, initial)
    status, furthest, final, arrivals, explored = _search_moves(
        moves.after, problem.steps, problem.info_calls, problem.info_kinds, deadline, config_limit
    )
    final_state = moves.states[final] if status == "valid" else None
    return Outcome(status, furthest, final_state, arrivals, explored, moves.states)


# ------------------------------------------------------------------ reporting


def shown_op(call: Call) -> Op:
    """A call as Knossos shows it: the invocation with the value that took effect."""
    return {
        **call.invocation,
        "type": Keyword(call.invocation["type"]),
        "f": Keyword(call.f) if isinstance(call.f, str) else call.f,
        "value": call.value,
    }


def _completion_shown(op: Op | None) -> Op | None:
    if op is None:
        return None
    f = op.get("f")
    return {**op, "type": Keyword(op["type"]), "f": Keyword(f) if isinstance(f, str) else f}


def _pending(problem: Problem, r: int, config: Config) -> list[int]:
    _, _, linearized, used, _ = config
    _, _, open_slots, open_calls, infos_invoked = problem.steps[r]
    still_open = [c for s, c in zip(open_slots, open_calls, strict=True) if not linearized >> s & 1]
    unused = [problem.info_calls[i] for i in range(infos_invoked) if not used >> i & 1]
    return still_open + unused


def report(
    problem: Problem,
    outcome: Outcome,
    step: Step[Any],
    render_state: Callable[[Any], Any],
) -> dict[str, Any]:
    """Knossos's explanation of an invalid history: the op no configuration could
    return past, the :ok op before it, the states the model could be in just
    before it (``configs``), and ``final-paths`` from those states, each ending
    in the step that is impossible."""
    culprit = problem.steps[outcome.furthest][0]
    failing = problem.calls[culprit].completion
    assert failing is not None
    earlier_oks = [
        call.completion
        for call in problem.calls
        if call.completion is not None
        and call.completion["type"] == OK
        and call.completion["index"] < failing["index"]
    ]
    previous = max(earlier_oks, key=lambda op: op["index"], default=None)
    configs = outcome.arrivals[:SHOWN]
    shown = [
        {
            "model": render_state(outcome.states[config[1]]),
            "last-op": shown_op(problem.calls[config[4]]) if config[4] >= 0 else None,
            "pending": [
                shown_op(problem.calls[c]) for c in _pending(problem, outcome.furthest, config)
            ],
        }
        for config in configs
    ]
    last_ops = [problem.calls[config[4]] for config in outcome.arrivals if config[4] >= 0]
    last = max(last_ops, key=lambda call: call.invocation["index"], default=None)
    return {
        "valid?": False,
        "op": _completion_shown(failing),
        "previous-ok": _completion_shown(previous),
        "last-op": shown_op(last) if last is not None else None,
        "configs": shown,
        "final-paths": _final_paths(problem, outcome, step, render_state, culprit),
    }


def _final_paths(
    problem: Problem,
    outcome: Outcome,
    step: Step[Any],
    render_state: Callable[[Any], Any],
    culprit: int,
) -> list[list[dict[str, Any]]]:
    """Shortest first: from each configuration, pending calls in some order, then
    the culprit, ending where the culprit is impossible."""
    queue: deque[tuple[Config, Any, tuple[int, ...]]] = deque(
        (config, outcome.states[config[1]], ()) for config in outcome.arrivals
    )
    paths: list[list[dict[str, Any]]] = []
    seen: set[str] = set()
    tried = 0
    target = problem.calls[culprit]
    while queue and len(paths) < SHOWN and tried < PATH_SEARCH_LIMIT:
        config, state, sequence = queue.popleft()
        tried += 1
        result = step(state, target.f, target.value)
        if isinstance(result, Inconsistent):
            path = _path(problem, config, outcome, sequence, step, render_state)
            path.append({"op": shown_op(target), "model": {"inconsistent": result.message}})
            identity = json.dumps(path, sort_keys=True, default=repr)
            if identity not in seen:
                seen.add(identity)
                paths.append(path)
        for candidate in _pending(problem, outcome.furthest, config):
            if candidate == culprit or candidate in sequence:
                continue
            other = problem.calls[candidate]
            after = step(state, other.f, other.value)
            if not isinstance(after, Inconsistent):
                queue.append((config, after, (*sequence, candidate)))
    return paths


def _path(
    problem: Problem,
    config: Config,
    outcome: Outcome,
    sequence: tuple[int, ...],
    step: Step[Any],
    render_state: Callable[[Any], Any],
) -> list[dict[str, Any]]:
    state = outcome.states[config[1]]
    path: list[dict[str, Any]] = []
    if config[4] >= 0:
        path.append({"op": shown_op(problem.calls[config[4]]), "model": render_state(state)})
    for number in sequence:
        call = problem.calls[number]
        state = step(state, call.f, call.value)
        path.append({"op": shown_op(call), "model": render_state(state)})
    return path
