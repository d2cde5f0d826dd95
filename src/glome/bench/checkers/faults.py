"""The ``nemesis`` key of the results: which faults a run injected, and how often.

Maelstrom's results have no such key, since its only fault, the partition,
shows in the plots alone; glome adds it when a run kills or pauses nodes
(docs/faults.md), so that a verdict can be read next to the faults behind it.
For each fault: how many times the nemesis injected it, and for kill and pause
how many node processes it hit (a node already dead or paused is not counted).
"""

from __future__ import annotations

from typing import Any

from glome.bench.history import NEMESIS, CheckContext, Op
from glome.bench.nemesis import KILL, KILLED, PAUSE, PAUSED, START

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
    return results
