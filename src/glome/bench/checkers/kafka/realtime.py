"""Realtime: the cycle check over wr + realtime edges, and the worst realtime lag.

Jepsen hands Elle a graph over sends and polls with a wr edge from each send
to every poll that returned its message and realtime edges (a -> b when the ok
op a completed before b was invoked), and asks for strict serializability.
Sends never read and polls never write, so wr edges only run send -> poll, and
realtime alone is acyclic. Following any cycle, each wr step s_i -> p_i is
followed by realtime steps to the next send s_(i+1), so p_i completed before
s_(i+1) was invoked. If no poll completed before the invocation of the send it
read from, every s_i was invoked before p_i completed, and the invocation times
of the sends would strictly increase around the cycle: impossible. So the graph
has a cycle exactly when some poll returned a message whose send was invoked
only after that poll completed (a read from the future), and each strongly
connected component holds such a pair. That makes the check linear in the
reads for every valid history (visibility.match_reads finds the future reads
while matching reads to writers); only when some exist are the components
computed (Tarjan on the graph, realtime order encoded as a chain of history
positions so it needs no quadratic edge set). Per component Elle reports two
things, and so does this: one concrete ``G1c-realtime`` cycle, and first the
cheaper proof that strong read committed fails there,
``strong-PL-2-cycle-exists``, naming every op of the component. Elle's other
cycle-exists checks find nothing in this graph (no ww, rw or process edges,
realtime alone is acyclic), and the ones stronger than strong-PL-2 are
skipped once it is proven; Jepsen's kafka checker takes Elle's anomalies as
they are, without dropping the cycle-exists ones a concrete cycle makes
redundant (that pruning only happens in Elle's own verdict).

``empty-transaction-graph`` is reported when that graph has no edge at all.
"""

from __future__ import annotations

from typing import Any, cast

import orjson

from glome.bench.checkers.elle import models
from glome.bench.checkers.elle.graph import EXISTENCE_SPECS
from glome.bench.checkers.kafka import backend
from glome.bench.checkers.kafka.transactions import SEND, Assign, KafkaHistory
from glome.bench.checkers.kafka.values import thaw
from glome.bench.checkers.kafka.version_order import Error
from glome.bench.checkers.kafka.visibility import FutureRead
from glome.bench.edn import Keyword
from glome.bench.history import INFO, OK

NANOS = 1e9
NO_LAG = {"time": 0.0, "lag": 0.0}
G1C_REALTIME = "G1c-realtime"
#: the cycle-exists check that holds wr + realtime edges (Elle's strong-PL-2 spec)
STRONG_PL_2 = next(spec for spec in EXISTENCE_SPECS if spec.model == "strong-PL-2")


def has_realtime_edge(history: KafkaHistory) -> bool:
    completions = [txn.comp_pos for txn in history.txns if txn.type == OK]
    return bool(completions) and min(completions) < max(txn.inv_pos for txn in history.txns)


def _components(history: KafkaHistory) -> dict[int, int]:
    """id(txn) -> strongly connected component number, over wr + realtime."""
    txns = history.txns
    count = len(txns)
    number = {id(txn): i for i, txn in enumerate(txns)}
    positions = sorted({txn.inv_pos for txn in txns} | {t.comp_pos for t in txns if t.type == OK})
    rank = {position: count + i for i, position in enumerate(positions)}
    edges: list[list[int]] = [[] for _ in range(count + len(positions))]
    for i in range(count, count + len(positions) - 1):
        edges[i].append(i + 1)
    for i, txn in enumerate(txns):
        edges[rank[txn.inv_pos]].append(i)
        if txn.type == OK:
            edges[i].append(rank[txn.comp_pos])
    for txn in history.ok_polls:
        reader = number[id(txn)]
        for key, pairs in txn.reads.items():
            writers = history.writer_of.get(key, {})
            for _, message in pairs:
                writer = writers.get(message)
                if writer is not None:
                    edges[number[id(writer)]].append(reader)
    component = _tarjan(edges)
    return {id(txn): component[i] for i, txn in enumerate(txns)}


def _tarjan(edges: list[list[int]]) -> list[int]:
    """Component number per node (iterative Tarjan; recursion would overflow)."""
    size = len(edges)
    index = [-1] * size
    low = [0] * size
    on_stack = [False] * size
    component = [-1] * size
    stack: list[int] = []
    counter = 0
    components = 0
    for root in range(size):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            targets = edges[node]
            while child < len(targets):
                target = targets[child]
                child += 1
                if index[target] == -1:
                    work.append((node, child))
                    work.append((target, 0))
                    break
                if on_stack[target]:
                    low[node] = min(low[node], index[target])
            else:
                if low[node] == index[node]:
                    while True:
                        member = stack.pop()
                        on_stack[member] = False
                        component[member] = components
                        if member == node:
                            break
                    components += 1
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return component


def _explain(case: FutureRead, invocation_of_writer: Any) -> str:
    """The cycle in words: which op is which, and the edge behind each step."""
    writer, reader = case.writer, case.reader
    invoked = invocation_of_writer.get("index", writer.inv_pos)
    completed = reader.op.get("index", reader.comp_pos)
    return "\n".join(
        [
            f"T1 = {orjson.dumps(writer.op).decode()}",
            f"T2 = {orjson.dumps(reader.op).decode()}",
            f"T1 -wr-> T2: T2 returned message {thaw(case.message)!r} of key "
            f"{thaw(case.key)!r}, which T1 sent.",
            f"T2 -realtime-> T1: T2 completed (history index {completed}) before T1 was "
            f"invoked (history index {invoked}), so T2 read a message before it was sent.",
        ]
    )


def _cycle(case: FutureRead, invocation_of_writer: Any) -> Error:
    return {
        "type": G1C_REALTIME,
        "cycle": [case.writer.op, case.reader.op, case.writer.op],
        "steps": [
            {"type": "wr", "key": thaw(case.key), "value": thaw(case.message)},
            {"type": "realtime", "a'": case.reader.op, "b": invocation_of_writer},
        ],
        "explanation": _explain(case, invocation_of_writer),
    }


def _cycle_exists(scc: list[int]) -> Error:
    """Elle's proof that a component breaks strong read committed, by its ops' indexes."""
    return {
        "type": Keyword(STRONG_PL_2.anomaly),
        "not": Keyword(models.friendly(STRONG_PL_2.model)),
        "subgraph": STRONG_PL_2.subgraph(),
        "scc-size": len(scc),
        "scc": scc,
    }


def cycle_cases(
    history: KafkaHistory, raw_history: list[Any], future: list[FutureRead]
) -> dict[str, list[Error]]:
    """Per strongly connected component: one ``strong-PL-2-cycle-exists`` and one
    ``G1c-realtime`` cycle (nothing when no poll read from the future)."""
    if not future:
        return {}
    component = _components(history)
    first_per_component: dict[int, FutureRead] = {}
    for case in sorted(future, key=lambda case: case.reader.comp_pos):
        first_per_component.setdefault(component[id(case.writer)], case)
    members: dict[int, list[int]] = {number: [] for number in first_per_component}
    for txn in history.txns:
        scc = members.get(component[id(txn)])
        if scc is not None:
            scc.append(txn.op.get("index", txn.comp_pos))
    return {
        STRONG_PL_2.anomaly: [_cycle_exists(sorted(members[number])) for number in members],
        G1C_REALTIME: [
            _cycle(case, raw_history[case.writer.inv_pos]) for case in first_per_component.values()
        ],
    }


def worst_realtime_lag(history: KafkaHistory) -> dict[str, Any]:
    """The poll that was provably the most out of date, as Jepsen measures it.

    For each key, offset i is known to exist from the completion time of the
    first ok/info op showing an offset >= i. A poll invoked at t whose process
    had read up to offset o of a key (-1 for assigned keys not read yet) lags
    by t minus the time offset o + 1 became known, or 0. The first poll with
    the largest lag wins; times come out in seconds.
    """
    if not history.has_times:
        return dict(NO_LAG)
    completed = [txn for txn in history.txns if txn.type == OK or txn.type == INFO]
    known = backend.orders.known_offsets([(txn.op["time"], txn.highest) for txn in completed])
    steps: list[tuple[Any, int, Any, bool]] = []
    for event in history.events:
        if event.type != OK:
            continue
        if type(event) is Assign:
            steps.append((event.process, 0, event.keys, True))
        elif event.f != SEND:
            # has_times: every invocation has a :time
            steps.append((event.process, cast(int, event.invoke_time), event.highest, False))
    worst = backend.orders.worst_lag(steps, known)
    if worst is None:
        return dict(NO_LAG)
    lag, started, process, key = worst
    return {"time": started / NANOS, "lag": lag / NANOS, "process": process, "key": thaw(key)}
