"""The compiled routing core and its pure twin agree, message for message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome._fast import load_compiled, load_pure
from support.compiled import compiled_module

IDS = ["n1", "n2", "n3", "c1", "lin-kv"]
MS = 1_000_000

actions = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(IDS), st.sampled_from(IDS), st.integers(0, 9)),
        st.tuples(st.just("advance"), st.integers(0, 30)),
        st.tuples(st.just("drop"), st.sampled_from(IDS[:3]), st.sampled_from(IDS[:3])),
        st.tuples(
            st.just("heal"),
        ),
        st.tuples(st.just("open"), st.booleans()),
        st.tuples(st.just("line"), st.sampled_from(IDS), st.sampled_from([*IDS, "ghost"])),
    ),
    max_size=60,
)


def replay(module, script, latencies):
    now = [1_000 * MS]
    timers: list = []
    journal: list[bytes] = []
    log: list = []
    draws = iter(latencies * 100)
    router = module.Router(
        lambda when, callback: timers.append((when, len(timers), callback)),
        0,
        lambda: next(draws),
        journal.append,
        lambda: now[0],
    )
    for node in ("n1", "n2", "n3"):
        router.add(
            node, None, False, lambda node=node: log.append(("flush", node, router.drain(node)))
        )
    router.add("c1", lambda m, due: log.append(("c1", m, due)), True, False)
    router.add("lin-kv", lambda m, due: log.append(("svc", m, due)), False, False)
    for action in script:
        kind = action[0]
        if kind == "send":
            log.append(("id", router.send(action[1], action[2], {"v": action[3]}, None)))
        elif kind == "line":
            line = b'{"src":"%s","dest":"%s","body":{"x":1}}' % (
                action[1].encode(),
                action[2].encode(),
            )
            log.append(("routed", router.route_lines([line, b"bad"], 0)))
        elif kind == "advance":
            now[0] += action[1] * MS
            due = sorted(t for t in timers if t[0] <= now[0])
            timers[:] = [t for t in timers if t[0] > now[0]]
            for _, _, callback in due:
                callback()
            for node in router.pending():
                log.append(("flush", node, router.drain(node)))
        elif kind == "drop":
            router.partitions.setdefault(action[1], set()).add(action[2])
        elif kind == "heal":
            router.partitions.clear()
        elif kind == "open":
            router.set_open("c1", action[1])
    for node in ("n1", "n2", "n3"):
        log.append(("final", node, router.drain(node)))
    router.flush_journal()
    counters = (
        router.next_id,
        router.send_clients,
        router.send_servers,
        router.recv_clients,
        router.recv_servers,
        router.lateness_count,
        router.lateness_max_ns,
        router.lateness_quantile_ns(0.5),
    )
    return log, b"".join(journal), counters


@pytest.fixture(scope="module")
def compiled():
    return compiled_module("router")


@settings(max_examples=150, deadline=None)
@given(script=actions, latencies=st.lists(st.integers(0, 20), min_size=1, max_size=5))
def test_twins_agree(compiled, script, latencies):
    assert replay(compiled, script, latencies) == replay(load_pure("router"), script, latencies)


def test_unknown_ids_are_refused(backend):
    module = load_compiled("router") if backend == "compiled" else load_pure("router")
    router = module.Router(lambda *a: None, 0, None, None)
    router.add("n1", None, False, False)
    assert router.send("n1", "n9", {}, None) == -1
    assert router.send("n9", "n1", {}, None) == -1
    assert router.next_id == 2  # as in Maelstrom, a refused send uses up an id
    lines = [b'{"src":"n1","dest":"n1","body":{}}', b'{"src":"n1","dest":"n9","body":{}}']
    # the bulk path stops at the refused line without sending it: the caller's
    # diagnosis sends it, so it uses up one id, not two
    assert router.route_lines(lines, 0) == 1
    assert router.next_id == 3
