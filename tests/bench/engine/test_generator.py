"""The schedule (spec 5.0.4-5.0.5): stagger, time limit, workers, client
replacement, the nemesis flip-flop and the final phase, on the real loop."""

from __future__ import annotations

import itertools
import random

import pytest

from glome.bench import generator as generator_module
from glome.bench.generator import History, Scheduler
from glome.bench.history import INFO, INVOKE, NEMESIS, OK
from glome.bench.loop import Loop, monotonic_ns, sleep_until, spawn
from glome.bench.nemesis import PartitionNemesis
from glome.bench.workloads import Workload


class FakeClient:
    opened = 0

    def __init__(self) -> None:
        FakeClient.opened += 1
        self.id = f"c{FakeClient.opened}"
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Scripted(Workload):
    """Ops complete after ``delay_s``; the first ``failures`` complete info."""

    name = "scripted"

    def __init__(self, loop, delay_s=0.0, failures=0, final=False, reusable=False):
        super().__init__(None, random.Random(1))
        self.loop = loop
        self.delay_s = delay_s
        self.failures = failures
        self.final_phase = final
        self.reusable_client = reusable
        self.clients: list = []

    def next_op(self, thread):
        return {"f": "op", "value": None}

    def final_op(self, thread):
        return self.once_per_thread(thread, {"f": "read", "final?": True, "value": None})

    async def invoke(self, client, node, op):
        self.clients.append((op["process"], client.id))
        if self.delay_s:
            await sleep_until(self.loop, monotonic_ns() + int(self.delay_s * 1e9))
        if self.failures:
            self.failures -= 1
            return {**op, "type": INFO, "error": "net-timeout"}
        return {**op, "type": OK}


class FakeNet:
    def __init__(self) -> None:
        self.grudges: list = []

    def drop(self, grudge) -> None:
        self.grudges.append(grudge)

    def heal(self) -> None:
        self.grudges.append("healed")


def run(workload, loop, concurrency=1, rate=100.0, time_limit=0.5, nemesis=None, interval=10):
    history = History(loop.now)
    scheduler = Scheduler(
        loop,
        workload,
        ["n1", "n2"],
        concurrency,
        FakeClient,
        history,
        random.Random(2),
        rate,
        time_limit,
        nemesis=nemesis,
        nemesis_interval_s=interval,
        nemesis_rng=random.Random(3),
    )
    loop.run_until(spawn(loop, scheduler.run()))
    return history.ops


def invocations(ops):
    return [op for op in ops if op["type"] == INVOKE]


def test_stagger_rate_and_round_robin_workers():
    loop = Loop()
    ops = run(Scripted(loop), loop, concurrency=3, rate=200, time_limit=0.5)
    count = len(invocations(ops))
    assert 60 <= count <= 140  # 200/s for 0.5 s, uniform gaps of mean 5 ms
    # instant ops rotate through threads 0, 1, 2 and the nemesis' slot (which
    # wraps to 0): 0, 1, 2, 0, 0, 1, 2, 0, ...
    processes = [op["process"] for op in invocations(ops)][:8]
    assert processes == [0, 1, 2, 0, 0, 1, 2, 0]
    assert [op["index"] for op in ops] == list(range(len(ops)))


def test_busy_workers_limit_the_rate():
    loop = Loop()
    ops = run(Scripted(loop, delay_s=0.05), loop, concurrency=2, rate=1000, time_limit=0.3)
    assert 8 <= len(invocations(ops)) <= 16
    assert {op["process"] for op in ops} == {0, 1}


def test_rate_zero_issues_no_client_ops():
    loop = Loop()
    assert run(Scripted(loop), loop, rate=0, time_limit=0.2) == []


@pytest.mark.parametrize(("reusable", "clients"), [(False, 2), (True, 1)])
def test_an_info_op_moves_the_worker_to_a_new_process(reusable, clients):
    loop = Loop()
    workload = Scripted(loop, failures=1, reusable=reusable)
    ops = run(workload, loop, concurrency=3, rate=20, time_limit=0.6)
    completions = [op for op in ops if op["type"] != INVOKE]
    assert completions[0]["type"] == INFO and completions[0]["process"] == 0
    thread_0 = [op["process"] for op in invocations(ops) if op["process"] % 3 == 0]
    assert thread_0[:2] == [0, 3]  # 0 + concurrency
    assert len({client for process, client in workload.clients if process % 3 == 0}) == clients


def test_nemesis_starts_at_once_and_flip_flops(monkeypatch):
    loop = Loop()
    net = FakeNet()
    nemesis = PartitionNemesis(net, ["n1", "n2", "n3"], random.Random(4))
    ops = run(Scripted(loop), loop, rate=0, time_limit=0.6, nemesis=nemesis, interval=0.05)
    nemesis_ops = [op for op in ops if op["process"] == NEMESIS]
    assert nemesis_ops[0]["f"] == "start-partition" and nemesis_ops[0]["time"] < 50_000_000
    assert all(op["type"] == INFO for op in nemesis_ops)
    fs = [op["f"] for op in nemesis_ops[::2]]
    assert fs[:4] == ["start-partition", "stop-partition"] * 2
    start, done = nemesis_ops[0], nemesis_ops[1]
    assert start["value"] in ("one", "minority-third", "majority", "majorities-ring")
    assert done["value"][0] == "isolated" and isinstance(done["value"][1], dict)
    assert nemesis_ops[3]["value"] == "network-healed"


def test_the_phase_ends_at_the_time_limit_not_at_the_next_scheduled_op():
    loop = Loop()
    nemesis = PartitionNemesis(FakeNet(), ["n1", "n2", "n3"], random.Random(4))
    start = monotonic_ns()
    run(Scripted(loop), loop, rate=0.5, time_limit=0.3, nemesis=nemesis, interval=30)
    assert (monotonic_ns() - start) / 1e9 < 1.0  # not the ~2 s and ~30 s gaps


def test_final_phase_heals_waits_and_reads_once_per_worker(monkeypatch):
    monkeypatch.setattr(generator_module, "RECOVERY_S", 0.05)
    loop = Loop()
    net = FakeNet()
    nemesis = PartitionNemesis(net, ["n1", "n2"], random.Random(5))
    ops = run(
        Scripted(loop, final=True),
        loop,
        concurrency=2,
        rate=50,
        time_limit=0.2,
        nemesis=nemesis,
        interval=10,
    )
    assert net.grudges[-1] == "healed"
    finals = [op for op in ops if op.get("final?")]
    assert len(invocations(finals)) == 2 and {op["process"] for op in finals} == {0, 1}
    heal = max(i for i, op in enumerate(ops) if op["f"] == "stop-partition")
    first_final = min(i for i, op in enumerate(ops) if op.get("final?"))
    assert heal < first_final
    assert ops[first_final]["time"] - ops[heal]["time"] >= 50_000_000


class RepeatedFinals(Scripted):
    """Each worker performs final ops until it has done ``per_worker`` of them,
    ``gap_s`` apart, within a final phase limited to ``timeout_s``."""

    def __init__(self, loop, per_worker, gap_s=0.0, timeout_s=None):
        super().__init__(loop, final=True)
        self.per_worker = per_worker
        self.gap_s = gap_s
        self.final_phase_timeout_s = timeout_s
        self.done = {}

    def final_op(self, thread):
        count = self.done.get(thread, 0)
        if count >= self.per_worker:
            return None
        self.done[thread] = count + 1
        return {"f": "read", "final?": True, "value": count}

    def final_delay(self, thread):
        return self.gap_s if self.done.get(thread) else 0.0


def test_final_ops_repeat_per_worker_until_the_workload_is_done(monkeypatch):
    monkeypatch.setattr(generator_module, "RECOVERY_S", 0.01)
    loop = Loop()
    ops = run(RepeatedFinals(loop, per_worker=3, gap_s=0.02), loop, concurrency=2, time_limit=0.1)
    finals = invocations([op for op in ops if op.get("final?")])
    for process in (0, 1):
        mine = [op for op in finals if op["process"] == process]
        assert [op["value"] for op in mine] == [0, 1, 2]
        gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(mine)]
        assert min(gaps) >= 20_000_000


def test_final_phase_timeout_stops_issuing_ops(monkeypatch):
    monkeypatch.setattr(generator_module, "RECOVERY_S", 0.01)
    loop = Loop()
    workload = RepeatedFinals(loop, per_worker=10_000, gap_s=0.01, timeout_s=0.2)
    start = monotonic_ns()
    ops = run(workload, loop, concurrency=2, time_limit=0.1)
    finals = invocations([op for op in ops if op.get("final?")])
    assert 4 <= len(finals) <= 60  # ~20 per worker at most, never the 10,000 asked for
    assert (monotonic_ns() - start) / 1e9 < 1.5
    # every final op that was started also completed
    assert len([op for op in ops if op.get("final?") and op["type"] == OK]) == len(finals)
