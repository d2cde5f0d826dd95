"""The general search (``glome.check.search``) and the model encodings, against
independent references on many small random histories:

* a CAS register on the general search gives the verdicts of glome's own
  register search (both backends' twin, the pure one);
* the mutex, checked as a CAS register, gives the verdicts of Knossos's mutex
  rules applied directly on the general search;
* the multi-register gives the verdicts of trying every order.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from glome.check import knossos, search
from glome.check.reading import normalise
from glome.check.settings import Settings

SEEDS = range(300)


def random_history(rng: random.Random, make_op: Any, processes: int = 3, ops: int = 6) -> list:
    """Up to ``ops`` ops by ``processes`` processes, randomly interleaved; each
    completes ok, fail or info, or never."""
    history: list[dict[str, Any]] = []
    open_ops: dict[int, dict[str, Any]] = {}
    issued = 0
    while issued < ops or open_ops:
        process = rng.randrange(processes)
        if process in open_ops:
            invocation = open_ops.pop(process)
            kind = rng.choices(["ok", "fail", "info"], [6, 1, 1])[0]
            history.append({**invocation, "type": kind, "value": make_op(rng, invocation, kind)})
        elif issued < ops:
            f, value = make_op(rng, None, "invoke")
            invocation = {"process": process, "type": "invoke", "f": f, "value": value}
            history.append(invocation)
            open_ops[process] = invocation
            issued += 1
        elif rng.random() < 0.2:  # leave an op open forever
            open_ops.popitem()
    return normalise(history)


def register_op(rng: random.Random, invocation: Any, kind: str) -> Any:
    values = [None, 1, 2]
    if invocation is None:
        f = rng.choice(["read", "write", "cas"])
        value = {"read": None, "write": rng.choice(values[1:])}.get(
            f, [rng.choice(values), rng.choice(values[1:])]
        )
        return f, value
    if invocation["f"] == "read" and kind == "ok":
        return rng.choice(values)
    return invocation["value"]


def register_step(state: Any, f: str, value: Any) -> Any:
    if f == "write":
        return value
    if f == "read":
        return state if value is None or value == state else search.Inconsistent("read")
    return value[1] if state == value[0] else search.Inconsistent("cas")


@pytest.mark.parametrize("seed", SEEDS)
def test_general_search_agrees_with_the_register_search(seed: int) -> None:
    history = random_history(random.Random(seed), register_op)
    expected = knossos.cas_register(history, Settings())["valid?"]
    outcome = search.search(search.prepare(history), register_step, None)
    assert (outcome.status == "valid") is expected


def mutex_op(rng: random.Random, invocation: Any, kind: str) -> Any:
    return (rng.choice(["acquire", "release"]), None) if invocation is None else None


def mutex_rules(locked: bool, f: str, value: Any) -> Any:
    """Knossos's mutex, as its model states it."""
    if f == "acquire":
        return search.Inconsistent("already held") if locked else True
    return False if locked else search.Inconsistent("not held")


@pytest.mark.parametrize("seed", SEEDS)
def test_mutex_as_a_cas_register_is_knossos_mutex(seed: int) -> None:
    history = random_history(random.Random(seed), mutex_op, processes=3, ops=7)
    expected = search.search(search.prepare(history), mutex_rules, False).status == "valid"
    assert knossos.mutex(history, Settings())["valid?"] is expected


def txn_op(rng: random.Random, invocation: Any, kind: str) -> Any:
    if invocation is None:
        mops = [
            [rng.choice(["read", "write"]), rng.choice(["x", "y"]), None]
            for _ in range(rng.randint(1, 2))
        ]
        for mop in mops:
            if mop[0] == "write":
                mop[2] = rng.randint(1, 2)
        return "txn", mops
    if kind != "ok":
        return invocation["value"]
    return [
        [f, k, rng.choice([None, 1, 2]) if f == "read" else v] for f, k, v in invocation["value"]
    ]


def by_every_order(history: list[dict[str, Any]]) -> bool:
    """Linearizable iff some order of the calls that happened (ok ones, and any
    subset of info or unfinished ones) respects real time and the registers."""
    calls, positions = [], {}
    for position, op in enumerate(history):
        if op["type"] == "invoke":
            positions[op["process"]] = position
            calls.append({"start": position, "end": None, "value": op["value"], "p": op["process"]})
            continue
        call = next(c for c in reversed(calls) if c["p"] == op["process"] and "done" not in c)
        call["done"] = op["type"]
        if op["type"] == "ok":
            call["end"], call["value"] = position, op["value"]
    definite = [c for c in calls if c.get("done") == "ok"]
    maybe = [c for c in calls if c.get("done") in (None, "info")]
    for size in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, size):
            for order in itertools.permutations(definite + list(chosen)):
                if _legal(order):
                    return True
    return False


def _legal(order: tuple[dict[str, Any], ...]) -> bool:
    registers: dict[str, Any] = {}
    for i, call in enumerate(order):
        if any(later["end"] is not None and later["end"] < call["start"] for later in order[i:]):
            return False
        for f, k, v in call["value"]:
            if f == "write":
                registers[k] = v
            elif v is not None and registers.get(k) != v:
                return False
    return True


@pytest.mark.parametrize("seed", range(150))
def test_multi_register_tries_every_order(seed: int) -> None:
    history = random_history(random.Random(seed), txn_op, processes=3, ops=5)
    assert knossos.multi_register(history, Settings())["valid?"] is by_every_order(history)
