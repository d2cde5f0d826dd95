"""The ``all-down-s`` figure of the results' ``nemesis`` key (docs/faults.md): how long no
node at all was running and unpaused, from the completions of the nemesis's ops."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from glome.bench.checkers import faults
from glome.bench.history import CheckContext

S = 1_000_000_000


def completion(time_s: float, f: str, value: Any) -> list[dict[str, Any]]:
    """The (invocation, completion) pair of one nemesis op."""
    time = int(time_s * S)
    return [
        {"process": "nemesis", "type": "info", "f": f, "value": "all", "time": time},
        {"process": "nemesis", "type": "info", "f": f, "value": value, "time": time},
    ]


def down_seconds(history: list[dict[str, Any]], nodes: list[str]) -> float:
    context = CheckContext(options=SimpleNamespace(nodes=nodes))
    return faults.check(history, context)["all-down-s"]


def test_down_only_while_every_node_is_killed_or_paused() -> None:
    history = [
        *completion(1, "pause", {"n0": "paused"}),
        *completion(2, "kill", {"n1": "killed"}),  # n0 paused, n1 killed: down from 2 s
        *completion(3, "resume", {"n0": "resumed", "n1": "not-paused"}),  # up at 3 s
        *completion(4, "kill", {"n0": "killed", "n1": "already-dead"}),  # down from 4 s
        *completion(6, "start", {"n0": "started", "n1": "started"}),  # up at 6 s
        {"process": 0, "type": "ok", "f": "read", "value": None, "time": 9 * S},
    ]
    assert down_seconds(history, ["n0", "n1"]) == 3.0


def test_a_kill_ends_a_pause_and_what_is_never_undone_lasts_to_the_end() -> None:
    history = [
        *completion(1, "pause", {"n0": "paused"}),
        *completion(2, "kill", {"n0": "killed"}),
        *completion(3, "start", {"n0": "started"}),  # a fresh process: not paused
        *completion(5, "kill", {"n0": "killed"}),  # never restarted
        {"process": 0, "type": "info", "f": "read", "value": None, "time": 8 * S},
    ]
    assert down_seconds(history, ["n0"]) == 2.0 + 3.0


def test_a_node_the_nemesis_never_touched_keeps_the_cluster_up() -> None:
    history = [*completion(1, "kill", {"n0": "killed"}), *completion(2, "pause", {"n1": "paused"})]
    assert down_seconds(history, ["n0", "n1", "n2"]) == 0.0
