"""Knossos's models: cas-register and mutex on glome's register search, and
multi-register on ``check.search``.

cas-register is the model glome's lin-kv checker already searches, one key of
it: every op's value is wrapped as ``[key, value]`` under a single key and
handed to that checker's per-key search (compiled when built), so its verdict
and its Knossos-style explanation (op, previous-ok, configs, final-paths)
are lin-kv's. As in Knossos the register starts at nil, and a read of nil is
legal in any state (the read's value is unknown); ``--initial-value`` starts
it elsewhere, as a completed write before every other op, which is the same.

A Knossos mutex is a register that is either free or held: acquire succeeds
only on a free one, release only on a held one, and nothing else changes it.
That is exactly a CAS register holding nil (free) or true (held), where
acquire is cas(nil -> true) and release cas(true -> nil): each is possible in
precisely the state where the mutex allows it, and leads to the same next
state. So the mutex runs on the same search, and its explanation is
translated back (ops, ``{"locked?": ...}``, "already held" / "not held").

Knossos's multi-register applies a transaction of ``[:read k v]`` and
``[:write k v]`` micro-ops to a map of registers: more than one integer
state, so it cannot run on the register search; it runs on the general search
in ``check.search`` instead (pure Python), with the same algorithm.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Hashable
from typing import Any

from glome.bench import edn
from glome.bench.checkers.linear import Budget, svg
from glome.bench.checkers.linear.checker import ANALYZER, SVG_FILE, check_key
from glome.bench.checkers.linear.prepare import KeyProblem, identity, split_by_key
from glome.bench.history import FAIL, INVOKE, OK, Op, is_client_op, pairs
from glome.check import search
from glome.check.settings import NOT_GIVEN, ModelError, Settings, UsageError

REGISTER = "register"  # the one key a single register is searched under
REGISTER_FS = ("read", "write", "cas")
MUTEX_FS = {"acquire": [None, True], "release": [True, None]}  # as cas [from, to]
INITIAL_PROCESS = "initial-value"  # the process of the write that sets --initial-value


def _client_ops(history: list[Op], fs: tuple[str, ...] | dict[str, Any], model: str) -> list[Op]:
    """The client ops, each of an f the model knows (Knossos throws on any other)."""
    ops = [op for op in history if is_client_op(op)]
    for op in ops:
        if op.get("f") not in fs:
            known = ", ".join(f":{f}" for f in fs)
            raise ModelError(
                f"op {op['index']} has :f {edn.dumps(op.get('f'))}; the {model} model "
                f"knows only {known}"
            )
    return ops


def _deadline(settings: Settings) -> float:
    return math.inf if settings.time_limit is None else time.monotonic() + settings.time_limit


def _register_search(ops: list[Op], settings: Settings) -> tuple[dict[str, Any], KeyProblem | None]:
    """lin-kv's per-key search over ops on a single register (values not yet wrapped)."""
    wrapped = [{**op, "value": [REGISTER, op.get("value")]} for op in ops]
    problems = split_by_key(wrapped)
    if not problems:
        nothing = {"valid?": True, "model": {"value": None}, "analyzer": ANALYZER}
        return {**nothing, "configs-explored": 0}, None
    return check_key(problems[0], _deadline(settings), Budget().key_configs), problems[0]


def _with_initial_write(ops: list[Op], value: Any) -> list[Op]:
    """The ops after a write of ``value`` that completed before any of them began."""
    first = min((op["index"] for op in ops), default=0)
    write = {"process": INITIAL_PROCESS, "f": "write", "value": value, "time": -1}
    return [
        {**write, "type": INVOKE, "index": first - 2},
        {**write, "type": OK, "index": first - 1},
        *ops,
    ]


def cas_register(history: list[Op], settings: Settings) -> dict[str, Any]:
    """Knossos's cas-register: :read v, :write v, :cas [old new]; starts at nil."""
    ops = _client_ops(history, REGISTER_FS, "cas-register")
    initial = None if settings.initial_value is NOT_GIVEN else settings.initial_value
    if initial is not None:
        ops = _with_initial_write(ops, initial)
    unwritten = unwritten_value(ops)
    if unwritten is not None:
        return _refuted(ops, unwritten, settings)
    result, problem = _register_search(ops, settings)
    if settings.directory is not None and problem is not None and "final-paths" in result:
        (settings.directory / SVG_FILE).write_text(svg.render(problem, result))
    return result


# --------------------------------------------------- values nothing wrote

#: what the search may spend explaining a history already refuted
EXPLANATION_CONFIGS = 200_000
EXPLANATION_SECONDS = 0.5


def unwritten_value(ops: list[Op]) -> tuple[Op, Any] | None:
    """The first ok read or cas that needs a value no write or cas to it had
    begun to write by the time it completed (a read of a failed write's value,
    or of garbage), with that value; None when there is none.

    Such an op can take effect in no order at all, so the history is not
    linearizable whatever else happened: deciding this takes one pass, where
    the search would have to try every order of the crashed ops first."""
    failed = {id(start) for start, done in pairs(ops) if done is not None and done["type"] == FAIL}
    written: set[Hashable] = {identity(None)}
    for op in ops:
        f, value, kind = op.get("f"), op.get("value"), op["type"]
        if kind == INVOKE and id(op) not in failed:
            if f == "write":
                written.add(identity(value))
            elif f == "cas" and isinstance(value, list) and len(value) == 2:
                written.add(identity(value[1]))
        if kind != OK:
            continue
        if f == "read":
            needed = value
        elif f == "cas" and isinstance(value, list) and len(value) == 2:
            needed = value[0]
        else:
            continue
        if identity(needed) not in written:
            return op, needed
    return None


def _refuted(ops: list[Op], unwritten: tuple[Op, Any], settings: Settings) -> dict[str, Any]:
    """Invalid: the search explains it if it can do so quickly on the history up
    to the op that needs the unwritten value; else that op is the explanation."""
    op, value = unwritten
    prefix = ops[: next(i for i, other in enumerate(ops) if other is op) + 1]
    wrapped = [{**other, "value": [REGISTER, other.get("value")]} for other in prefix]
    problem = split_by_key(wrapped)[0]
    deadline = min(_deadline(settings), time.monotonic() + EXPLANATION_SECONDS)
    result = check_key(problem, deadline, EXPLANATION_CONFIGS)
    if result["valid?"] is False:
        if settings.directory is not None and "final-paths" in result:
            (settings.directory / SVG_FILE).write_text(svg.render(problem, result))
        return result
    return {
        "valid?": False,
        "op": {**op, "type": edn.Keyword(op["type"]), "f": edn.Keyword(op["f"])},
        "cause": edn.Keyword("unwritten-value"),
        "explanation": (
            f"op {op['index']} needs the register to hold {edn.dumps(value)}, but no write or "
            "cas of that value had begun before it completed"
        ),
        "analyzer": ANALYZER,
    }


def mutex(history: list[Op], settings: Settings) -> dict[str, Any]:
    """Knossos's mutex: :acquire and :release of one lock, initially free."""
    ops = _client_ops(history, MUTEX_FS, "mutex")
    as_cas = [{**op, "f": "cas", "value": MUTEX_FS[op["f"]]} for op in ops]
    result, _ = _register_search(as_cas, settings)
    originals = {op["index"]: op for op in ops}
    return _as_mutex(result, originals)


def _as_mutex(value: Any, originals: dict[int, Op]) -> Any:
    """A register result told in the mutex's terms."""
    if isinstance(value, list):
        return [_as_mutex(item, originals) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("f") == "cas" and value.get("index") in originals:
        original = originals[value["index"]]
        shown = {**value, "f": edn.Keyword(original["f"])}
        if "value" in original:
            shown["value"] = original["value"]
        else:
            shown.pop("value", None)
        return shown
    if set(value) == {"value"}:  # a register model
        return {"locked?": value["value"] is True}
    translated = {key: _as_mutex(item, originals) for key, item in value.items()}
    model = translated.get("model")
    if isinstance(model, dict) and "inconsistent" in model:
        held = translated.get("op", {}).get("f") == "acquire"
        translated["model"] = {"inconsistent": "already held" if held else "not held"}
    return translated


# ------------------------------------------------------------ multi-register


class MultiRegister:
    """Knossos's multi-register: a map of registers changed by transactions.

    A state is a frozenset of (key identity, value identity) pairs, identities
    as lin-kv's (``prepare.identity``: equal exactly when Clojure's ``=``
    says so, 1 and 1.0 apart); the values themselves are kept aside for the
    report."""

    def __init__(self) -> None:
        self.originals: dict[Hashable, Any] = {}

    def _id(self, value: Any) -> Hashable:
        found = identity(value)
        self.originals.setdefault(found, value)
        return found

    def initial(self, values: dict[Any, Any]) -> frozenset[tuple[Hashable, Hashable]]:
        return frozenset((self._id(k), self._id(v)) for k, v in values.items())

    def step(
        self, state: frozenset[Any], f: Any, value: Any
    ) -> frozenset[Any] | search.Inconsistent:
        if f != "txn":
            raise ModelError(f"multi-register ops are :txn, not {edn.dumps(f)}")
        if not isinstance(value, list):
            raise ModelError(f"a multi-register txn is a vector of micro-ops: {edn.dumps(value)}")
        registers = dict(state)
        for mop in value:
            if not (isinstance(mop, list) and len(mop) == 3):
                raise ModelError(f"a micro-op is [f k v]: {edn.dumps(mop)}")
            action, key, seen = mop
            key_id = self._id(key)
            if action == "read":
                current = registers.get(key_id, identity(None))
                if seen is not None and self._id(seen) != current:
                    shown = edn.dumps(self.originals.get(current))
                    return search.Inconsistent(f"{shown}≠{edn.dumps(seen)}")
            elif action == "write":
                registers[key_id] = self._id(seen)
            else:
                raise ModelError(f"micro-ops are :read or :write, not {edn.dumps(action)}")
        return frozenset(registers.items())

    def render(self, state: frozenset[Any]) -> dict[Any, Any]:
        shown = {}
        for key_id, value_id in sorted(state, key=lambda item: json.dumps(item, default=repr)):
            key = self.originals[key_id]
            try:
                hash(key)
            except TypeError:
                key = edn.dumps(key)
            shown[key] = self.originals[value_id]
        return shown


def _writes(call: search.Call) -> bool:
    """Whether an indeterminate transaction could change anything (it writes)."""
    value = call.value
    return not isinstance(value, list) or any(
        not (isinstance(mop, list) and mop and mop[0] == "read") for mop in value
    )


def multi_register(history: list[Op], settings: Settings) -> dict[str, Any]:
    """Knossos's multi-register, from ``--initial-value`` (a map; default empty)."""
    initial = {} if settings.initial_value is NOT_GIVEN else settings.initial_value
    model = MultiRegister()
    ops = _client_ops(history, ("txn",), "multi-register")
    problem = search.prepare(ops, relevant=_writes)
    outcome = search.search(
        problem, model.step, model.initial(initial), _deadline(settings), Budget().key_configs
    )
    common = {"analyzer": ANALYZER, "configs-explored": outcome.explored}
    if outcome.status == "valid":
        return {"valid?": True, "model": model.render(outcome.final_state), **common}
    if outcome.status == "invalid":
        return {**search.report(problem, outcome, model.step, model.render), **common}
    reached = problem.calls[problem.steps[outcome.furthest][0]].completion
    return {"valid?": "unknown", "cause": edn.Keyword(outcome.status), "op": reached, **common}


def check_initial_map(settings: Settings) -> None:
    """multi-register's --initial-value must be a map of keys to values."""
    value = settings.initial_value
    if value is not NOT_GIVEN and not isinstance(value, dict):
        raise UsageError(f"--initial-value for multi-register is a map, e.g. {{:x 0}}: {value!r}")
