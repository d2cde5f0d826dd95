"""Turn a lin-kv history into one small search problem per key.

Linearizability is compositional (P-compositionality per key): a history
of independent registers is linearizable iff each key's sub-history is, so
every key is checked on its own. Per key this module

* pairs invocations with completions, drops ``:fail`` ops (they did not
  happen) and reads that observed nothing (an ``:info`` read, or a read of
  null, which the register model accepts in any state);
* interns values as small integers (0 is null) so the search compares ints,
  keeping JSON equality exact (``1``, ``1.0`` and ``true`` stay distinct);
* numbers the ``:ok`` ops' returns, the only points where the search has to
  decide something, and lists for each return the calls open at that moment
  in reusable *slots*, so a set of linearized open calls is a small bitmask;
* keeps ``:info`` ops (and invocations that never completed) as calls that
  may take effect at any time after their invocation, or never.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from glome._fast._pure_linear import CAS, READ, WRITE, Step
from glome.bench.edn import Keyword
from glome.bench.history import FAIL, INFO, OK, Op, pairs

CODES = {"read": READ, "write": WRITE, "cas": CAS}
NULL = 0  # interned id of null, the register's initial value


class MalformedOp(ValueError):
    """A lin-kv op whose value does not have the shape the register model needs."""


@dataclass
class Call:
    """One operation that may have taken effect, as the search sees it."""

    code: int  # READ | WRITE | CAS
    arg_a: int  # read: value seen; write: value written; cas: expected value
    arg_b: int  # cas: new value; otherwise NULL
    invocation: Op
    completion: Op | None  # the :ok completion, or the :info one (None if never completed)
    value: Any  # the effective value, key stripped: read result, write value, [from, to]


@dataclass
class ReturnStep:
    """What the search knows at the return of one :ok op."""

    call: int  # the returning call
    slot: int  # its slot
    open_slots: tuple[int, ...]  # slots of the :ok calls open here (the returning one too)
    open_calls: tuple[int, ...]  # the calls in those slots, in the same order
    infos_invoked: int  # how many indeterminate calls were invoked before this return


@dataclass
class KeyProblem:
    """One key's sub-history, ready for the search and for the report."""

    key: Any
    error: str | None = None  # set when an op of this key cannot be read
    ops: list[Op] = field(default_factory=list)  # the key's sub-history, values unwrapped
    calls: list[Call] = field(default_factory=list)
    steps: list[ReturnStep] = field(default_factory=list)
    info_calls: list[int] = field(default_factory=list)  # in invocation order
    info_kinds: list[int] = field(default_factory=list)  # equal kinds are interchangeable
    values: list[Any] = field(default_factory=lambda: [None])  # interned id -> value

    def search_arguments(
        self,
    ) -> tuple[list[int], list[int], list[int], list[Step], list[int], list[int]]:
        """The problem as the search takes it: per call (code, arg a, arg b), the
        return steps as plain tuples, and the indeterminate calls with their kinds."""
        steps = [
            (step.call, step.slot, step.open_slots, step.open_calls, step.infos_invoked)
            for step in self.steps
        ]
        return (
            [call.code for call in self.calls],
            [call.arg_a for call in self.calls],
            [call.arg_b for call in self.calls],
            steps,
            self.info_calls,
            self.info_kinds,
        )


_PLAIN = (int, str, type(None))  # exact types whose Python equality is JSON's


def json_text(value: Any) -> str:
    """``value`` as compact JSON with sorted keys: equal texts for equal values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def identity(value: Any) -> Hashable:
    """A hashable identity with JSON's equality: structural, and 1 != 1.0 != true."""
    if type(value) in _PLAIN:
        return value
    return "json", json_text(value)


def sort_key(value: Any) -> tuple[int, Any, str]:
    """Orders keys (and processes) as Jepsen sorts one type: numbers, strings, then others."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, value, ""
    if isinstance(value, str):
        return 1, 0, value
    return 2, 0, str(identity(value))


def _is_keyed(op: Op) -> bool:
    value = op.get("value")
    return op.get("f") in CODES and isinstance(value, list | tuple) and len(value) == 2


def _unwrapped(op: Op) -> Op:
    """The op as the per-key checker shows it: value without the key, and type
    and f as keywords so results.edn prints them as Jepsen does (``:type :ok``)."""
    shown = dict(op)
    shown["value"] = op["value"][1]
    shown["type"] = Keyword(op["type"])
    shown["f"] = Keyword(op["f"])
    return shown


class _Interner:
    def __init__(self, problem: KeyProblem) -> None:
        self._ids: dict[Hashable, int] = {identity(None): NULL}
        self._values = problem.values

    def __call__(self, value: Any) -> int:
        value_id = identity(value)
        found = self._ids.get(value_id)
        if found is None:
            found = self._ids[value_id] = len(self._values)
            self._values.append(value)
        return found


def _make_call(intern: _Interner, invocation: Op, completion: Op | None) -> Call | None:
    """The call for an op pair, or None when the op cannot constrain the register."""
    f = invocation["f"]
    code = CODES[f]
    definite = completion is not None and completion["type"] == OK
    source = completion if definite else invocation
    assert source is not None
    if not _is_keyed(source):
        raise MalformedOp(f"{f} value must be [key, value], got {source.get('value')!r}")
    value = source["value"][1]
    if code == READ:
        if not definite or value is None:
            return None
        return Call(READ, intern(value), NULL, invocation, completion, value)
    if code == WRITE:
        return Call(WRITE, intern(value), NULL, invocation, completion, value)
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise MalformedOp(f"cas value must be [key, [from, to]], got {source.get('value')!r}")
    return Call(CAS, intern(value[0]), intern(value[1]), invocation, completion, list(value))


def split_by_key(history: list[Op]) -> list[KeyProblem]:
    """One problem per key, in order of first appearance."""
    position: dict[int, int] = {}
    shown: dict[int, Op] = {}
    problems: dict[Hashable, KeyProblem] = {}
    interners: dict[Hashable, _Interner] = {}
    events: dict[Hashable, list[tuple[int, int, bool]]] = {}
    for i, op in enumerate(history):
        if not _is_keyed(op):
            continue
        key_id = identity(op["value"][0])
        if key_id not in problems:
            problem = problems[key_id] = KeyProblem(key=op["value"][0])
            interners[key_id] = _Interner(problem)
            events[key_id] = []
        position[id(op)] = i
        shown[id(op)] = _unwrapped(op)
        problems[key_id].ops.append(shown[id(op)])
    for invocation, completion in pairs(history):
        if not _is_keyed(invocation) or (completion is not None and completion["type"] == FAIL):
            continue
        key_id = identity(invocation["value"][0])
        problem = problems[key_id]
        try:
            call = _make_call(interners[key_id], invocation, completion)
        except MalformedOp as exc:
            problem.error = str(exc)
            continue
        if call is None:
            continue
        call.invocation = shown[id(invocation)]
        call.completion = None if completion is None else shown.get(id(completion))
        number = len(problem.calls)
        problem.calls.append(call)
        key_events = events[key_id]
        key_events.append((position[id(invocation)], number, False))
        if completion is not None and completion["type"] != INFO:
            key_events.append((position[id(completion)], number, True))
    for key_id, problem in problems.items():
        _number_returns(problem, sorted(events[key_id]))
    return list(problems.values())


def _number_returns(problem: KeyProblem, events: list[tuple[int, int, bool]]) -> None:
    """Fill in the return steps, slots and indeterminate calls from time-ordered events."""
    calls = problem.calls
    steps, problem.info_calls, problem.info_kinds = return_steps(
        events, lambda number: (calls[number].code, calls[number].arg_a, calls[number].arg_b)
    )
    problem.steps = [ReturnStep(*step) for step in steps]


def return_steps(
    events: list[tuple[int, int, bool]], kind_of: Callable[[int], Hashable]
) -> tuple[list[Step], list[int], list[int]]:
    """What a linearizability search must pass, from time-ordered events
    ``(position, call, is_return)``: one step per :ok return (the returning call,
    its slot, the open slots and their calls, how many indeterminate calls were
    invoked by then), the indeterminate calls in invocation order, and their kinds
    (calls of equal ``kind_of`` are interchangeable). Slots are reused lowest first,
    so at most as many exist as calls were ever open at once."""
    definite = {number for _, number, is_return in events if is_return}
    kinds: dict[Hashable, int] = {}
    slot_of: dict[int, int] = {}
    open_by_slot: dict[int, int] = {}
    steps: list[Step] = []
    info_calls: list[int] = []
    info_kinds: list[int] = []
    for _, number, is_return in events:
        if is_return:
            slots = tuple(sorted(open_by_slot))
            open_calls = tuple(open_by_slot[slot] for slot in slots)
            steps.append((number, slot_of[number], slots, open_calls, len(info_calls)))
            del open_by_slot[slot_of[number]]
        elif number in definite:
            slot = next(s for s in range(len(open_by_slot) + 1) if s not in open_by_slot)
            slot_of[number] = slot
            open_by_slot[slot] = number
        else:
            info_calls.append(number)
            info_kinds.append(kinds.setdefault(kind_of(number), len(kinds)))
    return steps, info_calls, info_kinds
