"""set-full (docs/maelstrom.md §7.3): hand-built cases, and the fast tracker
against a literal one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.checkers import set_full
from glome.bench.checkers.set_full import element_key, element_results, quantiles

MS = 1_000_000


# ------------------------------------------------------------ hand-built cases


def test_element_seen_late_is_stable_and_stale_with_its_latency(build):
    build.invoke(0, "broadcast", 7, at_ms=0)
    build.complete(0, "ok", at_ms=2)  # known at 2 ms
    build.invoke(1, "read", at_ms=10)  # misses it; invoked at 10 ms
    build.complete(1, "ok", [], at_ms=11)
    build.invoke(1, "read", at_ms=20)
    build.complete(1, "ok", [7], at_ms=21)
    result = set_full.check(build.ops, None, add_f="broadcast")
    assert result["valid?"] is True
    assert (result["stable-count"], result["stale-count"], result["stale"]) == (1, 1, [7])
    # stable time = last absent invocation + 1 ns; latency = trunc((10 ms + 1 ns - 2 ms) / 1 ms)
    assert result["stable-latencies"] == {"0": 8, "0.5": 8, "0.95": 8, "0.99": 8, "1": 8}
    worst = result["worst-stale"][0]
    assert worst["element"] == 7 and worst["outcome"] == "stable"
    assert worst["known"]["time"] == 2 * MS and worst["last-absent"]["time"] == 10 * MS


def test_element_missing_from_later_reads_is_lost(build):
    build.call(0, "add", 1, "ok")
    build.call(1, "read", None, "ok", [1])
    build.call(1, "read", None, "ok", [])
    result = set_full.check(build.ops)
    assert result["valid?"] is False
    assert result["lost"] == [1] and result["lost-count"] == 1
    assert "lost-latencies" in result and "stable-latencies" not in result


def test_absent_only_in_a_read_concurrent_with_the_add_is_never_read(build):
    build.invoke(1, "read", at_ms=1)
    build.invoke(0, "add", 5, at_ms=2)
    build.complete(0, "ok", at_ms=3)  # known at index 2
    build.complete(1, "ok", [], at_ms=4)  # invoked (index 0) before known: not lost
    result = set_full.check(build.ops)
    assert result["never-read"] == [5] and result["lost-count"] == 0
    assert result["valid?"] == "unknown"  # nothing stable


def test_nothing_stable_is_unknown(build):
    build.call(0, "add", 1, "ok")
    result = set_full.check(build.ops)
    assert result["valid?"] == "unknown"
    assert result["never-read"] == [1] and result["attempt-count"] == 1


def test_indeterminate_add_is_known_only_through_reads(build):
    """Spec 9.5: a timed-out add may or may not have happened."""
    build.call(0, "add", 1, "info")
    build.call(1, "read", None, "ok", [])  # absent, but never known: not lost
    build.call(0, "add", 2, "info")
    build.call(1, "read", None, "ok", [2])
    results = {r["element"]: r for r in element_results(build.ops)}
    assert results[1]["outcome"] == "never-read" and results[1]["known"] is None
    assert results[2]["outcome"] == "stable" and results[2]["known"]["f"] == "read"
    assert set_full.check(build.ops)["valid?"] is True


def test_values_never_added_and_duplicates_are_ignored(build):
    """Spec 9.19: reads may hold values nobody added, or hold one twice."""
    build.call(0, "add", 1, "ok")
    build.call(1, "read", None, "ok", [1, 1, 99, "x"])
    result = set_full.check(build.ops)
    assert result["attempt-count"] == 1 and result["stable-count"] == 1
    assert result["duplicated-count"] == 0 and result["duplicated"] == {}
    assert result["valid?"] is True


def test_failed_and_indeterminate_reads_are_ignored(build):
    build.call(0, "add", 1, "ok")
    build.call(1, "read", None, "fail", None)
    build.call(1, "read", None, "info", [])
    assert set_full.check(build.ops)["never-read"] == [1]


def test_add_f_parameter_selects_the_add_operation(build):
    build.call(0, "broadcast", 1, "ok")
    build.call(1, "read", None, "ok", [1])
    assert set_full.check(build.ops, None, add_f="add")["attempt-count"] == 0
    assert set_full.checker("broadcast")(build.ops, None)["stable-count"] == 1


def test_json_equality_one_is_not_one_point_zero(build):
    """Spec 9.15: a read holding 1.0 does not hold element 1."""
    build.call(0, "add", 1, "ok")
    build.call(1, "read", None, "ok", [1.0, True])
    build.call(1, "read", None, "ok", [1.0])
    assert set_full.check(build.ops)["lost"] == [1]


def test_worst_stale_keeps_the_eight_largest_latencies(build):
    for element in range(10):
        build.invoke(0, "add", element, at_ms=element * 100)
        build.complete(0, "ok", at_ms=element * 100 + 1)
    build.invoke(1, "read", at_ms=2000)  # misses everything
    build.complete(1, "ok", [], at_ms=2001)
    build.invoke(1, "read", at_ms=3000)
    build.complete(1, "ok", list(range(10)), at_ms=3001)
    result = set_full.check(build.ops)
    worst = result["worst-stale"]
    assert len(worst) == 8
    assert [w["element"] for w in worst] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [w["stable-latency"] for w in worst] == [1999 - 100 * e for e in range(8)]
    assert result["stale"] == list(range(10))


def test_quantiles_take_floor_of_n_times_p():
    assert quantiles([5]) == {"0": 5, "0.5": 5, "0.95": 5, "0.99": 5, "1": 5}
    assert quantiles([3, 1, 2]) == {"0": 1, "0.5": 2, "0.95": 3, "0.99": 3, "1": 3}
    twenty = list(range(20))  # 0.95 * 20 = 19, 0.99 * 20 = 19.8 -> 19
    assert quantiles(twenty) == {"0": 0, "0.5": 10, "0.95": 19, "0.99": 19, "1": 19}
    hundred = list(range(100))
    assert quantiles(hundred) == {"0": 0, "0.5": 50, "0.95": 95, "0.99": 99, "1": 99}


def test_readd_of_a_value_starts_its_tracking_over(build):
    build.call(0, "add", 1, "ok")
    build.call(1, "read", None, "ok", [])  # would make it lost...
    build.call(0, "add", 1, "ok")  # ...but the re-add resets it
    build.call(1, "read", None, "ok", [1])
    assert set_full.check(build.ops)["stable-count"] == 1


def test_empty_history_is_unknown():
    result = set_full.check([])
    assert result["valid?"] == "unknown" and result["attempt-count"] == 0
    assert "stable-latencies" not in result


# ------------------------------------------------------ against a literal model


def literal_element_results(history: list[dict[str, Any]], add_f: str) -> list[dict[str, Any]]:
    """Jepsen's reduce, step by step: every ok read updates every tracked element."""
    states: dict[Any, dict[str, Any]] = {}
    open_invocations: dict[Any, dict[str, Any]] = {}
    for op in history:
        if op["process"] == "nemesis":
            continue
        if op["type"] == "invoke":
            open_invocations[op["process"]] = op
            if op["f"] == add_f:
                key = element_key(op["value"])
                states[key] = {"value": op["value"], "known": None, "lp": None, "la": None}
            continue
        invocation = open_invocations.pop(op["process"])
        if op["f"] == add_f and op["type"] == "ok":
            state = states[element_key(op["value"])]
            state["known"] = state["known"] or op
        elif op["f"] == "read" and op["type"] == "ok":
            seen = {element_key(v) for v in op["value"] or []}
            for key, state in states.items():
                slot = "lp" if key in seen else "la"
                if key in seen:
                    state["known"] = state["known"] or op
                if state[slot] is None or state[slot]["index"] < invocation["index"]:
                    state[slot] = invocation
    results = []
    for state in sorted(states.values(), key=lambda s: s["value"]):
        known, lp, la = state["known"], state["lp"], state["la"]
        lp_index = lp["index"] if lp else -1
        la_index = la["index"] if la else -1
        stable = lp is not None and la_index < lp_index
        lost = bool(known and la and lp_index < la_index and known["index"] < la_index)
        stable_latency = lost_latency = None
        if stable:
            stable_latency = max(0, ((la["time"] + 1) if la else 0) - known["time"]) // MS
        if lost:
            lost_latency = max(0, ((lp["time"] + 1) if lp else 0) - known["time"]) // MS
        results.append(
            {
                "element": state["value"],
                "outcome": "stable" if stable else "lost" if lost else "never-read",
                "stable-latency": stable_latency,
                "lost-latency": lost_latency,
                "known": known,
                "last-absent": la,
            }
        )
    return results


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Concurrent adds and reads; reads return arbitrary subsets, strays and floats."""
    processes = draw(st.integers(1, 4))
    steps = draw(
        st.lists(st.tuples(st.integers(0, processes - 1), st.integers(0, 99)), max_size=80)
    )
    open_ops: dict[int, dict[str, Any]] = {}
    history: list[dict[str, Any]] = []
    added: list[int] = []
    next_value = 0
    time = 0
    for process, roll in steps:
        time += draw(st.integers(0, 3 * MS))
        if process in open_ops:
            invocation = open_ops.pop(process)
            kind = "ok" if roll < 70 else "fail" if roll < 80 else "info"
            value = invocation["value"]
            if invocation["f"] == "read":
                value = draw(st.lists(st.sampled_from([*added, 1000, 2.0]), max_size=12))
            op = {**invocation, "type": kind, "value": value}
        else:
            if roll < 45:
                value = next_value if roll > 3 or not added else draw(st.sampled_from(added))
                next_value += value == next_value
                added.append(value)
                op = {"process": process, "type": "invoke", "f": "add", "value": value}
            else:
                op = {"process": process, "type": "invoke", "f": "read", "value": None}
            open_ops[process] = op
        op = {**op, "index": len(history), "time": time}
        history.append(op)
        if op["type"] == "invoke":
            open_ops[process] = op
    return history


@settings(max_examples=300, deadline=None)
@given(histories())
def test_fast_tracker_matches_the_literal_algorithm(history):
    assert element_results(history) == literal_element_results(history, "add")


def load_benchmark_histories() -> Any:
    """The benchmark's broadcast histories, here in small and noisy sizes."""
    path = Path(__file__).parents[3] / "benchmarks" / "bench_checkers.py"
    spec = importlib.util.spec_from_file_location("bench_checkers", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.broadcast_history


@pytest.mark.parametrize("seed", range(6))
def test_fast_tracker_matches_the_literal_algorithm_on_long_histories(seed):
    """2,000 ops, 8 workers: values spread with random delays, some never show
    up, reads drop values at random or hold strays, some values are re-added."""
    broadcast_history = load_benchmark_histories()
    history = broadcast_history(
        ops=2000, concurrency=8, spread_ms=300, lose=0.05, noise=0.1, seed=seed, add_f="add"
    )
    assert element_results(history) == literal_element_results(history, "add")
