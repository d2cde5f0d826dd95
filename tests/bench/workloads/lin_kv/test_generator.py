"""lin-kv's independent-key generator (docs/maelstrom.md §7.7): thread roles, values, the
20-process key rotation and the concurrency rule."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from types import SimpleNamespace

import pytest

from glome.bench.client import RPCTimeout
from glome.bench.history import INFO, OK
from glome.bench.workloads import create
from glome.bench.workloads.lin_kv import PROCESS_LIMIT, ConcurrencyRule


def options(node_count: int, concurrency: int, latency: int = 0) -> SimpleNamespace:
    nodes = [f"n{i}" for i in range(node_count)]
    return SimpleNamespace(nodes=nodes, concurrency=concurrency, latency=latency)


def lin_kv(node_count: int, concurrency: int, seed: int = 7):
    return create("lin-kv", options(node_count, concurrency), random.Random(seed))


class TimingOut:
    """A client whose every RPC times out."""

    async def rpc(self, workload, dest, body, timeout_s):
        raise RPCTimeout()


def crash(workload, thread: int) -> None:
    """Run one write on ``thread`` that times out, as the scheduler would: the
    invocation carries the thread's current process."""
    op = {"process": workload.process[thread], "type": "invoke", "f": "write", "value": [0, 1]}
    completion = asyncio.run(workload.invoke(TimingOut(), "n0", op))
    assert completion["type"] == INFO


def test_first_group_halves_read_and_write():
    workload = lin_kv(3, 6)
    for _ in range(200):
        for thread in range(3):
            assert workload.next_op(thread) == {"f": "read", "value": [0, None]}
        for thread in range(3, 6):
            assert workload.next_op(thread)["f"] in ("write", "cas")


def test_later_groups_have_no_read_only_threads():
    workload = lin_kv(2, 12)  # three groups of four
    fs = Counter(workload.next_op(thread)["f"] for thread in range(4, 12) for _ in range(300))
    assert fs["read"] == 0
    assert fs["write"] > 0 and fs["cas"] > 0
    assert [workload.next_op(thread)["value"][0] for thread in (0, 3, 4, 7, 8, 11)] == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]


def test_writes_a_third_cas_two_thirds_values_zero_to_four():
    workload = lin_kv(1, 2)
    ops = [workload.next_op(1) for _ in range(6000)]
    writes = [op["value"][1] for op in ops if op["f"] == "write"]
    cases = [op["value"][1] for op in ops if op["f"] == "cas"]
    assert len(writes) + len(cases) == len(ops)
    assert 0.30 < len(writes) / len(ops) < 0.37
    assert set(writes) == set(range(5))
    assert {value for pair in cases for value in pair} == set(range(5))
    assert all(len(pair) == 2 for pair in cases)


def test_key_rotates_once_more_than_20_processes_have_worked_on_it():
    workload = lin_kv(1, 2)  # one group: processes 0 and 1 to start with
    crashes_allowed = PROCESS_LIMIT - 2
    for _ in range(crashes_allowed):
        crash(workload, 1)
        assert workload.next_op(0)["value"][0] == 0
    crash(workload, 1)  # the 21st process
    assert workload.next_op(0)["value"][0] == 1
    # the new key starts counting from the threads' current processes
    for _ in range(crashes_allowed):
        crash(workload, 0)
        assert workload.next_op(1)["value"][0] == 1
    crash(workload, 0)
    assert workload.next_op(1)["value"][0] == 2


def test_a_rotating_group_takes_the_next_unused_key():
    workload = lin_kv(1, 6)  # groups on keys 0, 1, 2
    for _ in range(PROCESS_LIMIT - 1):
        crash(workload, 3)
    assert workload.next_op(3)["value"][0] == 3
    assert workload.next_op(2)["value"][0] == 3  # the group's other thread follows
    assert workload.next_op(1)["value"][0] == 0  # other groups keep their keys
    assert workload.next_op(5)["value"][0] == 2
    for _ in range(PROCESS_LIMIT - 1):
        crash(workload, 0)
    assert workload.next_op(1)["value"][0] == 4


def test_processes_follow_the_scheduler_numbering():
    workload = lin_kv(2, 8)
    crash(workload, 5)
    crash(workload, 5)
    assert workload.process[5] == 5 + 2 * 8
    assert workload.key_processes[1] == {4, 5, 6, 7, 13, 21}
    assert workload.key_processes[0] == {0, 1, 2, 3}


def test_an_exception_in_the_client_also_moves_the_thread_on():
    class Broken:
        async def rpc(self, workload, dest, body, timeout_s):
            raise ValueError("malformed")

    workload = lin_kv(1, 2)
    op = {"process": 1, "type": "invoke", "f": "cas", "value": [0, [1, 2]]}
    with pytest.raises(ValueError):
        asyncio.run(workload.invoke(Broken(), "n0", op))
    assert workload.process[1] == 3


@pytest.mark.parametrize(
    ("node_count", "concurrency"), [(2, 2), (2, 3), (2, 6), (3, 5), (1, 1), (5, 15)]
)
def test_concurrency_not_a_positive_multiple_of_2n_aborts(node_count, concurrency):
    with pytest.raises(ConcurrencyRule, match=f"multiple of {2 * node_count}; it is {concurrency}"):
        lin_kv(node_count, concurrency)


@pytest.mark.parametrize(("node_count", "concurrency"), [(1, 2), (2, 4), (2, 8), (5, 10), (3, 18)])
def test_multiples_of_2n_are_accepted(node_count, concurrency):
    assert lin_kv(node_count, concurrency).group_size == 2 * node_count


def test_more_than_ten_nodes_cannot_keep_a_key():
    with pytest.raises(ConcurrencyRule, match="at most 10 nodes"):
        lin_kv(11, 22)


def test_the_seed_fixes_the_op_stream():
    streams = [[lin_kv(2, 4, seed=3).next_op(t % 4) for t in range(100)] for _ in range(2)]
    assert streams[0] == streams[1]
    assert streams[0] != [lin_kv(2, 4, seed=4).next_op(t % 4) for t in range(100)]


def test_an_ok_op_keeps_the_process():
    class Fine:
        async def rpc(self, workload, dest, body, timeout_s):
            return {"type": "write_ok", "in_reply_to": 1}

    workload = lin_kv(1, 2)
    op = {"process": 1, "type": "invoke", "f": "write", "value": [0, 3]}
    assert asyncio.run(workload.invoke(Fine(), "n0", op))["type"] == OK
    assert workload.process == [0, 1]
