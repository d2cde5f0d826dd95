"""glome-counter (challenge 4): durable adds in seq-kv, exact convergence after partitions.

The unit tests run real node processes on both backends and wire them by hand:
node-to-node messages go through a switchboard that can cut links, and seq-kv
is the bench's own service (Maelstrom's stale-read algorithm), whose requests
a test may hold back to reorder or delay them. The bench tests run
``glome test`` itself: the challenge's exact command and its latency variants.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glome.bench.services import SeqKV, kv_apply
from glome.bench.workloads import response_schemas
from glome.challenge.catalog import BY_ID, command_line
from glome.nodes.counter import (
    GOSSIP_INTERVAL,
    KEY_PREFIX,
    WRITE_BEHIND_INTERVAL,
    exceeds,
    merge_into,
)
from glome.protocol import MALFORMED_REQUEST, response_violation

COUNTER = str(Path(sys.executable).parent / "glome-counter")
SCHEMAS = response_schemas()["g-counter"]
CHALLENGE = BY_ID["4"]
#: time for every answered add to be written and reach every peer, with slack
SETTLE = WRITE_BEHIND_INTERVAL + 2 * GOSSIP_INTERVAL + 0.5
#: the node's command-line arguments for each way of answering adds
MODES = {"write-behind": [], "durable-acks": ["--durable-acks"]}

Message = dict[str, Any]


def count_of(value: dict[str, Any] | None) -> int:
    """The count in a value of a node's seq-kv key (None: the key is absent)."""
    return 0 if value is None else value["count"]


def writes(msgs: list[Message]) -> list[tuple[int, int]]:
    """The (from, to) counts of cas requests."""
    return [(count_of(m["body"]["from"]), count_of(m["body"]["to"])) for m in msgs]


class Cluster:
    """glome-counter processes, a switchboard between them, and seq-kv.

    ``cut`` holds the (src, dest) links that drop messages; ``hold`` picks the
    seq-kv requests to keep back in ``held`` until ``serve`` is called on them.
    """

    def __init__(self, env: dict[str, str], logs: Path, ids: list[str], args: list[str]) -> None:
        self.env, self.logs, self.ids, self.args = env, logs, ids, args
        self.seq_kv = SeqKV(random.Random(7))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.buffers: dict[str, bytes] = {}
        self.cut: set[tuple[str, str]] = set()
        self.hold: Callable[[Message], bool] = lambda _msg: False
        self.held: list[Message] = []
        self.sent: list[Message] = []  # everything the nodes printed, in order
        self.replies: dict[int, Message] = {}  # client requests' replies by msg_id
        self.msg_ids = itertools.count(1)
        for node_id in ids:
            self.start(node_id)

    # --- processes -----------------------------------------------------------

    def start(self, node_id: str) -> None:
        stderr = (self.logs / f"{node_id}-{len(self.sent)}.log").open("wb")
        self.procs[node_id] = subprocess.Popen(
            [COUNTER, *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=self.env,
        )
        self.buffers[node_id] = b""
        body = {"type": "init", "node_id": node_id, "node_ids": self.ids}
        assert self.request(node_id, body) == {"type": "init_ok", "in_reply_to": body["msg_id"]}

    def restart(self, node_id: str) -> None:
        """Kill the node's process and start a new one with the same id."""
        self.kill(node_id)
        self.start(node_id)

    def kill(self, node_id: str) -> None:
        proc = self.procs.pop(node_id)
        proc.kill()
        proc.wait()

    def close(self) -> None:
        for node_id in list(self.procs):
            self.kill(node_id)

    # --- messages --------------------------------------------------------------

    def deliver(self, dest: str, src: str, body: Message) -> None:
        proc = self.procs.get(dest)
        if proc is not None and proc.stdin is not None:
            proc.stdin.write(orjson.dumps({"src": src, "dest": dest, "body": body}) + b"\n")
            proc.stdin.flush()

    def send(self, node_id: str, body: Message) -> int:
        """A client request; returns its msg_id (the reply lands in ``replies``)."""
        body["msg_id"] = msg_id = next(self.msg_ids)
        self.deliver(node_id, "c1", body)
        return msg_id

    def request(self, node_id: str, body: Message) -> Message:
        msg_id = self.send(node_id, body)
        self.pump_until(lambda: msg_id in self.replies)
        return self.replies.pop(msg_id)

    def add(self, node_id: str, delta: int) -> None:
        reply = self.request(node_id, {"type": "add", "delta": delta})
        assert response_violation(SCHEMAS["add"], reply) is None, reply

    def read(self, node_id: str) -> int:
        reply = self.request(node_id, {"type": "read"})
        assert response_violation(SCHEMAS["read"], reply) is None, reply
        return reply["value"]

    def serve(self, msg: Message, answer: bool = True) -> None:
        """Let seq-kv take a request now; ``answer=False`` loses the reply."""
        reply = self.seq_kv.handle(msg["src"], msg["body"])
        if answer:
            self.deliver(msg["src"], "seq-kv", {**reply, "in_reply_to": msg["body"]["msg_id"]})

    def stored(self, node_id: str, state: int = -1) -> int:
        """The node's count in one of seq-kv's states (the newest by default); 0 if absent."""
        request = {"type": "read", "key": KEY_PREFIX + node_id}
        _, reply = kv_apply(self.seq_kv.states[state], request)
        return count_of(reply.get("value"))

    def route(self, msg: Message) -> None:
        self.sent.append(msg)
        src, dest, body = msg["src"], msg["dest"], msg["body"]
        if dest == "seq-kv":
            if self.hold(msg):
                self.held.append(msg)
            else:
                self.serve(msg)
        elif dest in self.ids:  # to a node not (yet, or no longer) running: lost
            if (src, dest) not in self.cut:
                self.deliver(dest, src, body)
        else:
            self.replies[body["in_reply_to"]] = body

    def pump(self, seconds: float, until: Callable[[], bool] = lambda: False) -> bool:
        """Route messages for ``seconds`` or until ``until()``; whether it came true."""
        deadline = time.monotonic() + seconds
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            readable = {proc.stdout.fileno(): node for node, proc in self.procs.items()}
            for fd in select.select(list(readable), [], [], left)[0]:
                node_id = readable[fd]
                self.buffers[node_id] += os.read(fd, 1 << 20)
                *lines, self.buffers[node_id] = self.buffers[node_id].split(b"\n")
                for line in lines:
                    self.route(orjson.loads(line))
        return True

    def pump_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        assert self.pump(timeout, condition), f"timed out after {timeout}s"

    # --- partitions ------------------------------------------------------------

    def isolate(self, a: str, b: str) -> None:
        self.cut |= {(a, b), (b, a)}

    def isolate_all(self) -> None:
        for a, b in itertools.combinations(self.ids, 2):
            self.isolate(a, b)

    def heal(self) -> None:
        self.cut.clear()

    def sent_to(self, dest: str, kind: str) -> list[Message]:
        return [m for m in self.sent if m["dest"] == dest and m["body"]["type"] == kind]


@pytest.fixture
def cluster(backend_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    started: list[Cluster] = []

    def make(ids: list[str], *args: str) -> Cluster:
        started.append(Cluster(backend_env, tmp_path, ids, list(args)))
        return started[-1]

    yield make
    for each in started:
        each.close()


# --- the ledger: adds are durable in seq-kv before they are answered -------------


def test_durable_acks_answer_adds_once_seq_kv_holds_them(cluster):
    """With --durable-acks, adds that arrive while a write is in flight share the next."""
    c = cluster(["n0"], "--durable-acks")
    c.hold = lambda msg: msg["body"]["type"] == "cas"
    first = c.send("n0", {"type": "add", "delta": 5})
    c.pump_until(lambda: c.held)
    later = [c.send("n0", {"type": "add", "delta": delta}) for delta in (2, 0, 3)]
    c.pump(0.3)
    assert c.replies == {}, "an add was answered before seq-kv held it"
    assert len(c.held) == 1, "one write in flight at a time"
    assert set(c.held[0]["body"]) == {"type", "key", "from", "to", "create_if_not_exists", "msg_id"}
    assert c.held[0]["body"]["key"] == "g-counter/n0"
    assert writes(c.held) == [(0, 5)]
    c.serve(c.held.pop())
    c.pump_until(lambda: first in c.replies and c.held)
    assert c.stored("n0") == 5 and all(msg_id not in c.replies for msg_id in later)
    c.serve(c.held.pop())
    c.pump_until(lambda: all(msg_id in c.replies for msg_id in later))
    assert writes(c.sent_to("seq-kv", "cas")) == [(0, 5), (5, 10)], "waiting adds share a write"
    assert c.stored("n0") == 10
    assert c.read("n0") == 10


def test_write_behind_answers_at_once_and_writes_in_batches(cluster):
    c = cluster(["n0"])
    for delta in (1, 2, 3, 4):
        c.add("n0", delta)
    assert c.read("n0") == 10, "an answered add is in this node's reads at once"
    c.pump_until(lambda: c.stored("n0") == 10)
    assert writes(c.sent_to("seq-kv", "cas")) == [(0, 1), (1, 10)], "later adds share a write"
    c.pump(2 * WRITE_BEHIND_INTERVAL)
    assert len(c.sent_to("seq-kv", "cas")) == 2, "an unchanged count is not written again"


def test_reads_answer_from_memory(cluster):
    c = cluster(["n0"])
    c.add("n0", 4)
    before = len(c.sent_to("seq-kv", "read"))
    assert [c.read("n0") for _ in range(50)] == [4] * 50
    assert len(c.sent_to("seq-kv", "read")) == before


def test_a_zero_add_writes_nothing(cluster):
    c = cluster(["n0"])
    c.add("n0", 0)
    assert c.sent_to("seq-kv", "cas") == []
    assert c.read("n0") == 0


@pytest.mark.parametrize("delta", [-1, 1.5, "3", None, True])
def test_rejects_what_a_grow_only_counter_cannot_add(cluster, delta):
    c = cluster(["n0"])
    reply = c.request("n0", {"type": "add", "delta": delta})
    assert reply["type"] == "error" and reply["code"] == MALFORMED_REQUEST, reply
    assert c.read("n0") == 0


@pytest.mark.timeout(30)
@pytest.mark.parametrize("mode", MODES)
def test_a_write_that_timed_out_never_lowers_the_count(cluster, mode):
    """Both orders of a late write and its retry: the key only grows, every add counts once.

    n0's late ``cas`` arrives after its retry (it fails: the key moved on); n1's
    arrives before the retry (the retry fails, n1 reads what landed and goes on).
    """
    c = cluster(["n0", "n1"], *MODES[mode])
    c.hold = lambda msg: msg["body"]["type"] == "cas"
    adds = [c.send(node_id, {"type": "add", "delta": 5}) for node_id in ("n0", "n1")]
    c.pump_until(lambda: len(c.held) == 2)
    adds += [c.send(node_id, {"type": "add", "delta": 2}) for node_id in ("n0", "n1")]
    c.pump_until(lambda: len(c.held) == 4, timeout=15)  # each node retried after its timeout
    first = {m["src"]: m for m in c.held[:2]}
    retry = {m["src"]: m for m in c.held[2:]}
    assert writes(list(retry.values())) == [(0, 7)] * 2
    c.hold = lambda _msg: False
    for msg in (retry["n0"], first["n0"], first["n1"], retry["n1"]):
        c.serve(msg)
    c.pump_until(lambda: all(msg_id in c.replies for msg_id in adds) and c.stored("n1") == 7)
    assert {c.replies[msg_id]["type"] for msg_id in adds} == {"add_ok"}
    assert c.stored("n0") == 7
    n1_writes = [m for m in c.sent_to("seq-kv", "cas") if m["src"] == "n1"]
    assert writes(n1_writes) == [(0, 5), (0, 7), (5, 7)], "n1 learnt where its late write got"
    for node_id in ("n0", "n1"):
        values = [c.stored(node_id, state) for state in range(len(c.seq_kv.states))]
        assert values == sorted(values), f"{node_id}'s count went down: {values}"
    c.pump(SETTLE)
    assert c.read("n0") == c.read("n1") == 14


@pytest.mark.parametrize("mode", MODES)
def test_a_late_write_of_an_earlier_process_is_built_upon(cluster, mode):
    """n0 dies with a write in flight, which lands before its successor's first write:
    the successor's add goes on top of that count, not into it.

    The late write's reply is lost: the runtime numbers requests from 1 in every
    process, so it could otherwise be taken for the answer to the successor's own.
    """
    c = cluster(["n0"], *MODES[mode])
    c.hold = lambda msg: msg["body"]["type"] == "cas"
    c.send("n0", {"type": "add", "delta": 5})
    c.pump_until(lambda: c.held)
    c.restart("n0")
    later = c.send("n0", {"type": "add", "delta": 2})
    c.pump_until(lambda: len(c.held) == 2)
    assert writes(c.held) == [(0, 5), (0, 2)]
    c.hold = lambda _msg: False
    c.serve(c.held[0], answer=False)
    c.serve(c.held[1])
    c.pump_until(lambda: later in c.replies and c.stored("n0") == 7)
    assert c.replies[later]["type"] == "add_ok"
    assert c.read("n0") == 7


@pytest.mark.parametrize("mode", MODES)
def test_a_restarted_node_recovers_its_count_and_relearns_the_others(cluster, mode):
    c = cluster(["n0", "n1", "n2"], *MODES[mode])
    c.add("n0", 7)
    c.add("n1", 3)
    c.add("n1", 1)
    c.add("n2", 2)
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [13] * 3
    c.restart("n1")
    assert c.read("n1") >= 4, "its own durable count comes back from seq-kv at once"
    c.add("n1", 10)
    c.pump_until(lambda: c.stored("n1") >= 14)
    assert c.stored("n1") == 14, "the new count continues from the recovered one"
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [23] * 3


# --- gossip: convergence after partitions, silence when idle --------------------


def test_partitioned_nodes_converge_to_the_exact_total(cluster):
    c = cluster(["n0", "n1", "n2"])
    c.isolate_all()
    for node_id, deltas in {"n0": [1, 2, 3], "n1": [4], "n2": [0, 5]}.items():
        for delta in deltas:
            c.add(node_id, delta)
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [6, 4, 5], "gossip crossed a cut link"
    c.heal()
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [15] * 3


def test_counts_travel_around_a_cut_link(cluster):
    c = cluster(["n0", "n1", "n2"])
    c.isolate("n0", "n2")
    c.add("n0", 20)
    c.add("n2", 22)
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [42] * 3


def test_a_stale_vector_never_lowers_a_count(cluster):
    """A one-way cut (as majorities-ring makes) leaves n2 with an old count of n1's,
    which n2 keeps sending to n0: merging by maximum keeps n0's newer one."""
    c = cluster(["n0", "n1", "n2"])
    c.add("n1", 3)
    c.pump(SETTLE)
    c.cut |= {("n0", "n2"), ("n1", "n2")}  # n2 hears nobody, everybody hears n2
    c.add("n1", 4)
    c.pump(SETTLE)
    c.add("n2", 1)
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [8, 8, 4]
    c.heal()
    c.pump(SETTLE)
    assert [c.read(node_id) for node_id in c.ids] == [8] * 3


def test_idle_nodes_send_nothing(cluster):
    c = cluster(["n0", "n1", "n2"])
    c.add("n0", 3)
    c.add("n2", 1)
    c.pump(SETTLE)
    quiet_from = len(c.sent)
    c.pump(4 * GOSSIP_INTERVAL)
    assert c.sent[quiet_from:] == []
    assert [c.read(node_id) for node_id in c.ids] == [4] * 3


# --- the G-counter join ------------------------------------------------------------

vectors = st.dictionaries(st.sampled_from(["n0", "n1", "n2", "n3"]), st.integers(0, 50))


@given(vectors, vectors, vectors)
def test_merge_is_a_join(a, b, c):
    def merged(*parts: dict[str, int]) -> dict[str, int]:
        result: dict[str, int] = {}
        for part in parts:
            merge_into(result, part)
        return result

    assert merged(a, b) == merged(b, a)
    assert merged(merged(a, b), c) == merged(a, merged(b, c))
    assert merged(a, a) == merged(a)
    joined = merged(a, b)
    assert not exceeds(a, joined) and not exceeds(b, joined)
    assert merge_into(dict(joined), a) is False
    assert exceeds(joined, a) == (joined != merged(a))


# --- the bench: the challenge's command and its latency variants ------------------


def run_challenge(
    cwd: Path, *extra: str, time_limit: int | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Challenge 4's exact command line (optionally shortened), then ``extra``, on the
    virtual clock."""
    args = command_line(CHALLENGE, CHALLENGE.command_lines[0], COUNTER)
    if time_limit is not None:
        args[args.index("--time-limit") + 1] = str(time_limit)
    command = [sys.executable, "-m", "glome", "test", "--sim", *args, *extra]
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=100, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads((cwd / "store" / "latest" / "results.json").read_text())


def assert_exact_total(results: dict[str, Any]) -> None:
    """Valid, every add acknowledged, and every final read equal to their exact sum."""
    workload = results["workload"]
    assert results["valid?"] is True, workload
    assert results["stats"]["info-count"] == 0
    [[total, high]] = workload["acceptable"]
    assert total == high > 0
    assert workload["final-reads"] == [total] * 3


@pytest.mark.timeout(120)
def test_challenge_command(tmp_path, backend_env):
    results = run_challenge(tmp_path, "--seed", "4", env=backend_env)
    assert_exact_total(results)
    assert results["net"]["servers"]["msgs-per-op"] <= CHALLENGE.targets.msgs_per_op
    journal = (tmp_path / "store" / "latest" / "net-journal.jsonl").read_text().splitlines()
    sent = [event[3] for event in map(json.loads, journal) if event[1] == "send"]
    writers = {m["src"] for m in sent if m["dest"] == "seq-kv" and m["body"]["type"] == "cas"}
    assert writers == {"n0", "n1", "n2"}, "every node keeps its count in seq-kv"


@pytest.mark.timeout(120)
def test_challenge_with_exponential_latency(tmp_path):
    results = run_challenge(
        tmp_path, "--latency", "100", "--latency-dist", "exponential", "--seed", "5"
    )
    assert_exact_total(results)


@pytest.mark.timeout(120)
def test_challenge_with_latency_short(tmp_path):
    assert_exact_total(run_challenge(tmp_path, "--latency", "100", "--seed", "6", time_limit=5))


@pytest.mark.timeout(120)
def test_challenge_with_durable_acks_short(tmp_path):
    results = run_challenge(tmp_path, "--seed", "7", "--", "--durable-acks", time_limit=5)
    assert_exact_total(results)
