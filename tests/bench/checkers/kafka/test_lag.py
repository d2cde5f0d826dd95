"""The worst realtime lag against a direct transcription of its definition.

The checker keeps, per key, only the steps at which a higher offset became
known and looks them up by bisection; the reference below fills a dense
vector offset by offset and lists every (poll, key) lag, as Jepsen does, then
takes the first largest.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.checkers.kafka import check
from support.synthetic.kafka import RunShape, simulate


def max_offsets(op: dict) -> dict[str, int]:
    highest: dict[str, int] = {}
    for mop in op["value"] or ():
        if mop[0] == "send" and op["type"] == "ok":
            highest[mop[1]] = max(highest.get(mop[1], 0), mop[2][0])
        elif mop[0] == "poll" and len(mop) > 1:
            for key, pairs in mop[1].items():
                highest[key] = max([offset for offset, _ in pairs], default=-1)
    return highest


def reference_worst_lag(history: list[dict]) -> dict[str, Any]:
    expired: dict[str, list[int]] = {}
    for op in history:
        if op["type"] in ("ok", "info") and op["f"] in ("send", "poll"):
            for key, known in max_offsets(op).items():
                vector = expired.setdefault(key, [])
                for offset in range(known, -1, -1):
                    if offset < len(vector):
                        break
                    vector.extend([op["time"]] * (offset + 1 - len(vector)))
    invoked_at: dict[Any, int] = {}
    held_by_process: dict[Any, dict[str, int]] = {}
    lags = []
    for op in history:
        if op["type"] == "invoke":
            invoked_at[op["process"]] = op["time"]
            continue
        if op["type"] != "ok":
            continue
        held = held_by_process.get(op["process"], {})
        if op["f"] == "assign":
            held_by_process[op["process"]] = {key: held.get(key, -1) for key in op["value"]}
        elif op["f"] == "poll":
            for key, offset in max_offsets(op).items():
                held[key] = max(held.get(key, offset), offset)
            held_by_process[op["process"]] = held
            started = invoked_at[op["process"]]
            for key, offset in held.items():
                vector = expired.get(key, [])
                lag = max(0, started - vector[offset + 1]) if offset + 1 < len(vector) else 0
                lags.append((lag, started, op["process"], key))
    if not lags:
        return {"time": 0.0, "lag": 0.0}
    worst = lags[0]
    for entry in lags:
        if entry[0] > worst[0]:
            worst = entry
    lag, started, process, key = worst
    return {"time": started / 1e9, "lag": lag / 1e9, "process": process, "key": key}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), limit=st.sampled_from([None, 1, 2, 5]))
def test_worst_lag_matches_reference(seed: int, limit: int | None) -> None:
    shape = RunShape(operations=400, concurrency=3, crash_interval=0.2, poll_limit=limit)
    history = simulate(shape, seed)
    assert check(history, None)["worst-realtime-lag"] == reference_worst_lag(history)
