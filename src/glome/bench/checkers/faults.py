"""The ``nemesis`` key of the results: which faults a run injected, and how often.

Maelstrom's results have no such key, since its only fault, the partition,
shows in the plots alone; glome adds it when a run kills or pauses nodes
(docs/faults.md), so that a verdict can be read next to the faults behind it.
For each fault: how many times the nemesis injected it, and for kill and pause
how many node processes it hit (a node already dead or paused is not counted).
``all-down-s`` says how long no node at all was running and unpaused: a run
whose cluster was down throughout cannot complete an op, whatever its nodes do.
"""

from __future__ import annotations

from typing import Any

from glome.bench.history import NEMESIS, CheckContext, Op
from glome.bench.nemesis import (
    KILL,
    KILLED,
    PAUSE,
    PAUSED,
    RESTART,
    RESUME,
    RESUMED,
    START,
    STARTED,
)

#: fault name -> (the f that injects it, the word a completion gives a node it hit)
FAULTS = {"partition": (START, None), "kill": (KILL, KILLED), "pause": (PAUSE, PAUSED)}


def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    ops = [op for op in history if op.get("process") == NEMESIS]
    completions = ops[1::2]  # the nemesis is one thread: (invocation, completion) pairs
    results: dict[str, Any] = {"valid?": True}
    for fault, (f, word) in FAULTS.items():
        injected = [op for op in completions if op["f"] == f]
        counts: dict[str, int] = {"count": len(injected)}
        if word is not None:
            counts["nodes"] = sum(
                list(op["value"].values()).count(word)
                for op in injected
                if isinstance(op.get("value"), dict)
            )
        results[fault] = counts
    end = history[-1]["time"] if history else 0
    assert ctx.options is not None  # only glome test, which has options, checks faults
    results["all-down-s"] = round(all_down_ns(completions, ctx.options.nodes, end) / 1e9, 3)
    return results


#: (f, the word its completion gives a node it changed) -> (killed, paused) afterwards
_STATE_AFTER = {
    (KILL, KILLED): (True, False),
    (RESTART, STARTED): (False, False),
    (PAUSE, PAUSED): (None, True),
    (RESUME, RESUMED): (None, False),
}


def all_down_ns(completions: list[Op], nodes: list[str], end: int) -> int:
    """Nanoseconds up to ``end`` during which every node was killed or paused, by the
    completions' times (a kill ends a pause: the restarted process runs)."""
    killed = dict.fromkeys(nodes, False)
    paused = dict.fromkeys(nodes, False)
    down_since: int | None = None
    total = 0
    for op in completions:
        value = op.get("value")
        if not isinstance(value, dict):
            continue
        for node, word in value.items():
            state = _STATE_AFTER.get((op["f"], word))
            if state is None or node not in killed:
                continue
            if state[0] is not None:
                killed[node] = state[0]
            paused[node] = state[1]
        down = all(killed[node] or paused[node] for node in nodes)
        if down and down_since is None:
            down_since = op["time"]
        elif not down and down_since is not None:
            total += op["time"] - down_since
            down_since = None
    if down_since is not None:
        total += max(end - down_since, 0)
    return total
