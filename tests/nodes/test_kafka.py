"""glome-kafka: the fast log's gossip and stable prefix, and 5a-5c through glome test.

The state-machine tests drive ``FastLog`` for several nodes in-process, with
a network that loses, duplicates and reorders gossip, and check what every
consumer of a poll relies on. The bench tests run the challenges through
``glome test``; the full-length ones are marked slow.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glome.challenge.judging import ok_fraction
from glome.errors import KeyDoesNotExist, PreconditionFailed, Timeout
from glome.node import Future, Node, Task
from glome.nodes.kafka import FastLog, KvLog, main

BIN = Path(sys.executable).parent / "glome-kafka"


class FakeNode:
    """What FastLog uses of a Node: ids, send (into an outbox) and every."""

    def __init__(self, node_id: str, ids: list[str]) -> None:
        self.id = node_id
        self.ids = ids
        self.outbox: list[tuple[str, str, dict]] = []

    def send(self, dest: str, body: dict) -> None:
        self.outbox.append((self.id, dest, json.loads(json.dumps(body))))

    def every(self, seconds: float, fn: Any) -> None:
        pass


def cluster(count: int) -> dict[str, FastLog]:
    ids = [f"n{index}" for index in range(count)]
    logs = {}
    for node_id in ids:
        log = FastLog(FakeNode(node_id, ids))
        log.start()
        logs[node_id] = log
    return logs


def exchange(logs: dict[str, FastLog], rng: random.Random | None = None, loss: float = 0) -> None:
    """One gossip round; with ``rng``, messages are lost, duplicated and shuffled."""
    in_flight = []
    for log in logs.values():
        log.gossip()
        in_flight += log.node.outbox
        log.node.outbox = []
    if rng is not None:
        in_flight = [m for m in in_flight if rng.random() >= loss]
        in_flight += rng.sample(in_flight, len(in_flight) // 4)
        rng.shuffle(in_flight)
    for src, dest, body in in_flight:
        logs[dest].receive(src, body)


def test_one_node_polls_its_sends_at_once():
    log = cluster(1)["n0"]
    offsets = [log.send("k", message) for message in "abc"]
    assert offsets == [0, 1, 2]
    assert log.poll({"k": 1}) == {"k": [[1, "b"], [2, "c"]]}
    assert log.poll({"k": 3, "other": 0}) == {}


def test_a_send_is_polled_only_once_every_node_has_moved_past_its_offset():
    logs = cluster(2)
    exchange(logs)
    offset = logs["n1"].send("k", "m")
    assert offset == 1  # node 1 of 2 allocates odd offsets
    assert logs["n1"].poll({"k": 0}) == {}  # node 0 might still allocate offset 0
    exchange(logs)  # n0 learns of offset 1 and moves past it
    exchange(logs)  # n1 learns n0's new frontier
    assert logs["n1"].poll({"k": 0}) == {"k": [[1, "m"]]}
    assert logs["n0"].poll({"k": 0}) == {"k": [[1, "m"]]}
    assert logs["n0"].send("k", "next") > offset


def test_commits_merge_by_maximum_across_nodes():
    logs = cluster(2)
    logs["n0"].commit({"a": 4, "b": 1})
    logs["n1"].commit({"a": 2})
    exchange(logs)
    assert logs["n1"].committed(["a", "b", "c"]) == {"a": 4, "b": 1}
    assert logs["n0"].committed(["a"]) == {"a": 4}


def test_quiet_nodes_stop_gossiping():
    logs = cluster(3)
    logs["n0"].send("k", 1)
    for _ in range(6):
        exchange(logs)
    for log in logs.values():
        log.gossip()
        assert log.node.outbox == []


@pytest.mark.parametrize("seed", range(5))
def test_polls_under_lossy_gossip_never_skip_go_back_or_disagree(seed):
    """Consumers polling every node while sends land everywhere: each sees one
    gap-free, ever-growing sequence per key, and all nodes agree on it."""
    rng = random.Random(seed)
    logs = cluster(3)
    names = list(logs)
    acknowledged: dict[tuple[str, int], Any] = {}
    consumers = {name: {"k0": 0, "k1": 0} for name in names}
    seen: dict[str, dict[str, list]] = {name: {"k0": [], "k1": []} for name in names}
    for step in range(400):
        node = rng.choice(names)
        key = rng.choice(["k0", "k1"])
        offset = logs[node].send(key, step)
        acknowledged[(key, offset)] = step
        if rng.random() < 0.3:
            exchange(logs, rng, loss=0.3)
        for name in names:
            for key, entries in logs[name].poll(consumers[name]).items():
                seen[name][key] += entries
                consumers[name][key] = entries[-1][0] + 1
    for _ in range(20):
        exchange(logs)
    for name in names:
        for key, entries in logs[name].poll(consumers[name]).items():
            seen[name][key] += entries
    for key in ("k0", "k1"):
        expected = sorted([offset, msg] for (k, offset), msg in acknowledged.items() if k == key)
        for name in names:
            assert seen[name][key] == expected


@pytest.mark.parametrize(
    ("argv", "why"),
    [(["bogus"], "unknown kafka mode"), (["fast", "durable"], "durable needs kv mode")],
)
def test_a_bad_mode_is_refused_with_exit_254(capsys, argv, why):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 254
    assert why in capsys.readouterr().err


# --- the challenges through glome test ---------------------------------------------------

CHALLENGE = ["--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]


def run_challenge(
    cwd: Path, flags: list[str], mode: str = "fast", seed: int = 1, env: dict | None = None
) -> dict:
    """A kafka run on the virtual clock, valid with no anomaly."""
    command = [sys.executable, "-m", "glome", "test", "--sim", "-w", "kafka", "--bin", str(BIN)]
    command += [*flags, "--seed", str(seed), mode]
    subprocess.run(command, cwd=cwd, capture_output=True, timeout=200, check=False, env=env)
    results = json.loads((cwd / "store" / "latest" / "results.json").read_text())
    assert results["workload"]["error-types"] == [], results["workload"]
    assert results["valid?"] is True
    return results


@pytest.mark.parametrize("mode", ["fast", "kv"])
def test_a_short_partitioned_run_is_valid_on_each_backend(tmp_path, mode, backend_env):
    flags = ["--node-count", "2", "--concurrency", "2n", "--time-limit", "4", "--rate", "300"]
    flags += ["--nemesis", "partition", "--nemesis-interval", "1"]
    run_challenge(tmp_path, flags, mode, seed=2, env=backend_env)


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    "flags",
    [
        ["--node-count", "1", *CHALLENGE],
        ["--node-count", "2", *CHALLENGE],
        ["--node-count", "2", *CHALLENGE, "--latency", "50"],
        ["--node-count", "5", *CHALLENGE, "--nemesis", "partition"],
    ],
    ids=["5a", "5b-5c", "5c-latency-50", "5-nodes-partition"],
)
def test_challenges_fast(tmp_path, flags):
    results = run_challenge(tmp_path, flags)
    assert ok_fraction(results) >= 0.9999
    assert results["net"]["servers"]["msgs-per-op"] <= 1.0


@pytest.mark.timeout(200)
@pytest.mark.parametrize("nodes", ["1", "2"], ids=["5a", "5b"])
def test_challenges_kv(tmp_path, nodes):
    results = run_challenge(tmp_path, ["--node-count", nodes, *CHALLENGE], "kv")
    assert ok_fraction(results) >= 0.9999
    assert results["net"]["servers"]["msgs-per-op"] <= 4.0


@pytest.mark.timeout(200)
def test_kv_with_latency_and_five_nodes(tmp_path):
    run_challenge(tmp_path, ["--node-count", "5", *CHALLENGE, "--latency", "50"], "kv")


# --- kv mode's single-writer appends ---------------------------------------------------


class ScriptedServices:
    """What KvLog uses of a Node, with lin-kv answered by hand: ``rpc`` returns a
    pending future per request, kept in ``calls`` for the test to settle."""

    def __init__(self) -> None:
        self.id = "n0"
        self.ids = ["n0"]
        self.calls: list[tuple[dict, Future]] = []

    def rpc(self, dest: str, body: dict, timeout: float = 1) -> Future:
        future = Future()
        self.calls.append((body, future))
        return future

    spawn = staticmethod(Task)
    gather = staticmethod(Node.gather)


def settle_next(services: ScriptedServices, reply: Any) -> dict:
    body, future = services.calls.pop(0)
    if isinstance(reply, Exception):
        future.set_exception(reply)
    else:
        future.set_result(reply)
    return body


def test_kv_sends_waiting_on_a_write_share_the_next_cas():
    services = ScriptedServices()
    log = KvLog(services)
    first = Task(log.send("k", "a"))
    second, third = Task(log.send("k", "b")), Task(log.send("k", "c"))
    cas = settle_next(services, {"type": "cas_ok"})
    assert (cas["from"], cas["to"], cas["create_if_not_exists"]) == ([], [[0, "a"]], True)
    batch = settle_next(services, {"type": "cas_ok"})
    assert batch["to"] == [[0, "a"], [1, "b"], [2, "c"]]
    assert [first.result(), second.result(), third.result()] == [0, 1, 2]
    assert services.calls == []
    poll = Task(log.local_poll({"k": 1}))  # its own writes loaded the key: no read
    assert poll.result() == {"k": [[1, "b"], [2, "c"]]}
    assert services.calls == []


def test_kv_a_restarted_owner_reads_a_key_back_before_it_answers_a_poll():
    services = ScriptedServices()
    log = KvLog(services)  # a new process: it holds no copy of any key
    poll = Task(log.local_poll({"k": 0}))
    read = settle_next(services, {"type": "read_ok", "value": [[0, "a"], [1, "b"]]})
    assert read == {"type": "read", "key": "log/k"}
    assert poll.result() == {"k": [[0, "a"], [1, "b"]]}
    again = Task(log.local_poll({"k": 1}))  # read once: later polls answer from the copy
    assert again.result() == {"k": [[1, "b"]]}
    assert services.calls == []


def test_kv_a_timed_out_cas_that_landed_is_not_appended_again():
    services = ScriptedServices()
    log = KvLog(services)
    sent = Task(log.send("k", "a"))
    settle_next(services, Timeout("lost reply"))
    read = settle_next(services, {"type": "read_ok", "value": [[0, "a"]]})
    assert read == {"type": "read", "key": "log/k"}
    assert sent.result() == 0
    assert services.calls == []


def test_kv_a_cas_that_did_not_land_is_retried_from_what_lin_kv_holds():
    services = ScriptedServices()
    log = KvLog(services)
    sent = Task(log.send("k", "a"))
    settle_next(services, PreconditionFailed("changed"))
    settle_next(services, KeyDoesNotExist("absent"))
    retry = settle_next(services, {"type": "cas_ok"})
    assert (retry["from"], retry["to"]) == ([], [[0, "a"]])
    assert sent.result() == 0
