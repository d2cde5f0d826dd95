"""The schedule (docs/maelstrom.md §6.4-6.5): stagger, time limit, workers, client
replacement, the nemesis packages and the final phase, on the virtual clock,
where every time in the history is exact."""

from __future__ import annotations

import itertools
import random

import pytest

from glome.bench.generator import RECOVERY_S, SECOND, History, Scheduler
from glome.bench.history import INFO, INVOKE, NEMESIS, OK
from glome.bench.loop import sleep_until, spawn
from glome.bench.nemesis import PartitionNemesis, ProcessNemesis
from glome.bench.simulation import VirtualLoop
from glome.bench.workloads import Workload

MS = 1_000_000


def Loop() -> VirtualLoop:
    return VirtualLoop(step_timeout_s=1.0)


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
            await sleep_until(self.loop, self.loop.now() + int(self.delay_s * 1e9))
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


def run(workload, loop, concurrency=1, rate=100.0, time_limit=0.5, nemeses=(), interval=10):
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
        nemeses=[(nemesis, random.Random(3 + i)) for i, nemesis in enumerate(nemeses)],
        nemesis_interval_s=interval,
    )
    loop.run_until(spawn(loop, scheduler.run()))
    return history.ops


def invocations(ops):
    return [op for op in ops if op["type"] == INVOKE]


def test_stagger_rate_and_round_robin_workers():
    loop = Loop()
    ops = run(Scripted(loop), loop, concurrency=3, rate=200, time_limit=5)
    times = [op["time"] for op in invocations(ops)]
    assert 900 <= len(times) <= 1100  # 200/s for 5 s, uniform gaps of mean 5 ms
    assert times[0] == 0 and times[-1] < 5 * SECOND
    assert max(b - a for a, b in itertools.pairwise(times)) < 10 * MS  # gaps < 2/rate
    # instant ops rotate through threads 0, 1, 2 and the nemesis' slot (which
    # wraps to 0): 0, 1, 2, 0, 0, 1, 2, 0, ...
    processes = [op["process"] for op in invocations(ops)][:8]
    assert processes == [0, 1, 2, 0, 0, 1, 2, 0]
    assert [op["index"] for op in ops] == list(range(len(ops)))


class LateLoop(VirtualLoop):
    """A virtual loop whose every timer fires ``LATE_NS`` after it was due, as a busy
    machine's loop wakes late."""

    LATE_NS = 2 * MS

    def call_at(self, when_ns, callback):
        return super().call_at(when_ns + self.LATE_NS, callback)


def test_late_wake_ups_slow_the_schedule_as_jepsens_interpreter_does():
    """Jepsen's stagger times each op when its scheduler actually woke and draws the
    next gap from there, so every late wake-up pushes the rest of the schedule back:
    gaps of mean 5 ms plus 2 ms of lateness give about 5 s / 7 ms ops, not 1,000."""
    loop = LateLoop(step_timeout_s=1.0)
    times = [op["time"] for op in invocations(run(Scripted(loop), loop, rate=200, time_limit=5))]
    assert 650 <= len(times) <= 780
    assert min(b - a for a, b in itertools.pairwise(times)) >= LateLoop.LATE_NS


def test_busy_workers_limit_the_rate():
    loop = Loop()
    ops = run(Scripted(loop, delay_s=0.05), loop, concurrency=2, rate=1000, time_limit=3)
    # each worker runs ops back to back, 50 ms each: 60 apiece in 3 s
    assert 119 <= len(invocations(ops)) <= 120
    assert {op["process"] for op in ops} == {0, 1}


def test_rate_zero_issues_no_client_ops_and_lasts_the_time_limit():
    loop = Loop()
    assert run(Scripted(loop), loop, rate=0, time_limit=2) == []
    assert loop.now() == 2 * SECOND


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


def test_nemesis_starts_at_once_and_flip_flops():
    loop = Loop()
    net = FakeNet()
    nemesis = PartitionNemesis(net, ["n1", "n2", "n3"], random.Random(4))
    ops = run(Scripted(loop), loop, rate=0, time_limit=0.6, nemeses=[nemesis], interval=0.05)
    nemesis_ops = [op for op in ops if op["process"] == NEMESIS]
    assert nemesis_ops[0]["f"] == "start-partition" and nemesis_ops[0]["time"] == 0
    assert all(op["type"] == INFO for op in nemesis_ops)
    fs = [op["f"] for op in nemesis_ops[::2]]
    assert fs[:4] == ["start-partition", "stop-partition"] * 2
    start, done = nemesis_ops[0], nemesis_ops[1]
    assert start["value"] in ("one", "minority-third", "majority", "majorities-ring")
    assert done["value"][0] == "isolated" and isinstance(done["value"][1], dict)
    assert nemesis_ops[3]["value"] == "network-healed"
    assert nemesis_ops[-1]["time"] < 600 * MS


def test_the_phase_ends_at_the_time_limit_not_at_the_next_scheduled_op():
    loop = Loop()
    nemesis = PartitionNemesis(FakeNet(), ["n1", "n2", "n3"], random.Random(4))
    run(Scripted(loop), loop, rate=0.5, time_limit=0.3, nemeses=[nemesis], interval=30)
    assert loop.now() <= 300 * MS  # not the ~2 s and ~30 s gaps


def test_final_phase_heals_waits_and_reads_once_per_worker():
    loop = Loop()
    net = FakeNet()
    nemesis = PartitionNemesis(net, ["n1", "n2"], random.Random(5))
    ops = run(
        Scripted(loop, final=True),
        loop,
        concurrency=2,
        rate=50,
        time_limit=0.2,
        nemeses=[nemesis],
        interval=10,
    )
    assert net.grudges[-1] == "healed"
    finals = [op for op in ops if op.get("final?")]
    assert len(invocations(finals)) == 2 and {op["process"] for op in finals} == {0, 1}
    heal = max(i for i, op in enumerate(ops) if op["f"] == "stop-partition")
    first_final = min(i for i, op in enumerate(ops) if op.get("final?"))
    assert heal < first_final
    assert ops[first_final]["time"] - ops[heal]["time"] == RECOVERY_S * SECOND


class FakeControl:
    """The process nemesis's hands, recording what they were asked to do."""

    def __init__(self, loop, restart_s=0.0) -> None:
        self.loop = loop
        self.restart_s = restart_s
        self.done: list[tuple[str, str]] = []

    def kill(self, node):
        self.done.append(("kill", node))
        return "killed"

    async def restart(self, node):
        await sleep_until(self.loop, self.loop.now() + int(self.restart_s * SECOND))
        self.done.append(("start", node))
        return "started"

    def pause(self, node):
        self.done.append(("pause", node))
        return "paused"

    def resume(self, node):
        self.done.append(("resume", node))
        return "resumed"


def test_each_package_keeps_its_own_schedule_and_the_final_phase_undoes_every_fault():
    loop = Loop()
    partition = PartitionNemesis(FakeNet(), ["n1", "n2", "n3"], random.Random(4))
    control = FakeControl(loop, restart_s=0.3)
    process = ProcessNemesis(control, ["n1", "n2", "n3"], ["kill", "pause"], random.Random(6))
    workload = Scripted(loop, final=True)
    ops = run(workload, loop, rate=0, time_limit=20, nemeses=[partition, process], interval=1)
    nemesis_ops = [op for op in ops if op["process"] == NEMESIS]
    invoked = nemesis_ops[0::2]
    # both packages start at once, the partition first (the order they were given)
    assert invoked[0]["f"] == "start-partition" and invoked[0]["time"] == 0
    assert invoked[1]["f"] in ("kill", "pause") and invoked[1]["time"] == 0
    partition_fs = [op["f"] for op in invoked if "partition" in op["f"]]
    assert len(partition_fs) >= 10  # ~20 s at a mean interval of 1 s, on its own schedule
    main = [op for op in invoked if op["time"] < 20 * SECOND]
    process_fs = [op["f"] for op in main if "partition" not in op["f"]]
    for fault, undo in (("kill", "start"), ("pause", "resume")):
        own = [f for f in process_fs if f in (fault, undo)]
        assert own[0::2] == [fault] * len(own[0::2]) and own[1::2] == [undo] * len(own[1::2])
    assert {"kill", "pause"} <= set(process_fs)
    # a kill's targets come from a node spec; start and resume always name every node
    assert all(
        op["value"] in (None, "one", "minority-third", "minority", "majority", "all")
        for op in main
        if op["f"] in ("kill", "pause")
    )
    assert all(op["value"] == "all" for op in main if op["f"] in ("start", "resume"))
    # a restart takes time, and the nemesis is one thread: nothing overlaps it
    for invocation, completion in zip(nemesis_ops[0::2], nemesis_ops[1::2], strict=True):
        assert invocation["f"] == completion["f"]
        if invocation["f"] == "start":
            assert completion["time"] - invocation["time"] == 3 * 300 * MS  # one node after another
    # before the final phase: heal, then resume, then start, every node
    finals = [op["f"] for op in invoked if op["time"] >= 20 * SECOND]
    assert finals == ["stop-partition", "resume", "start"]
    assert control.done[-6:] == [("resume", n) for n in ("n1", "n2", "n3")] + [
        ("start", n) for n in ("n1", "n2", "n3")
    ]


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


def test_final_ops_repeat_per_worker_until_the_workload_is_done():
    loop = Loop()
    ops = run(RepeatedFinals(loop, per_worker=3, gap_s=0.02), loop, concurrency=2, time_limit=0.1)
    finals = invocations([op for op in ops if op.get("final?")])
    for process in (0, 1):
        mine = [op for op in finals if op["process"] == process]
        assert [op["value"] for op in mine] == [0, 1, 2]
        gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(mine)]
        assert gaps == [20 * MS, 20 * MS]


def test_final_phase_timeout_stops_issuing_ops():
    loop = Loop()
    workload = RepeatedFinals(loop, per_worker=10_000, gap_s=0.01, timeout_s=0.2)
    ops = run(workload, loop, concurrency=2, time_limit=0.1)
    finals = invocations([op for op in ops if op.get("final?")])
    assert 2 * 20 <= len(finals) <= 2 * 21  # one every 10 ms for 200 ms, not the 10,000 asked
    assert finals[-1]["time"] < (100 + RECOVERY_S * 1000 + 200) * MS
    # every final op that was started also completed
    assert len([op for op in ops if op.get("final?") and op["type"] == OK]) == len(finals)
