"""The txn workloads' generator (Elle's wr-txns with Maelstrom's defaults) and client."""

from __future__ import annotations

import random
from collections import Counter
from types import SimpleNamespace

import pytest

from glome.bench.client import Client
from glome.bench.loop import Loop, spawn
from glome.bench.net import Journal, Latency, Network
from glome.bench.workloads import create
from glome.bench.workloads.txn import ListAppend, RwRegister, WrTxns


def options(**overrides):
    defaults = {"key_count": None, "max_txn_length": 4, "max_writes_per_key": 16}
    return SimpleNamespace(**{**defaults, **overrides})


def txns(workload, count):
    return [workload.next_op(0)["value"] for _ in range(count)]


def test_the_registry_builds_both_workloads():
    assert isinstance(create("txn-rw-register", options(), random.Random(1)), RwRegister)
    assert isinstance(create("txn-list-append", options(), random.Random(1)), ListAppend)
    assert RwRegister.reusable_client and not RwRegister.final_phase


def test_lengths_are_uniform_from_one_to_the_maximum():
    workload = RwRegister(options(max_txn_length=3), random.Random(2))
    lengths = Counter(len(txn) for txn in txns(workload, 6000))
    assert set(lengths) == {1, 2, 3}
    assert all(abs(n / 6000 - 1 / 3) < 0.03 for n in lengths.values())


def test_reads_and_writes_are_half_and_half_and_reads_carry_null():
    mops = [mop for txn in txns(RwRegister(options(), random.Random(3)), 5000) for mop in txn]
    kinds = Counter(f for f, _, _ in mops)
    assert set(kinds) == {"r", "w"}
    assert abs(kinds["r"] / len(mops) - 0.5) < 0.02
    assert all(v is None for f, _, v in mops if f == "r")


def test_key_positions_follow_the_base_two_exponential():
    """Position i of the active keys has probability 2^(i+1) / 2046."""
    gen = WrTxns(random.Random(4), 10, 4, 16, "w")
    draws = Counter(gen.key_index() for _ in range(200_000))
    for i in range(10):
        expected = 2 ** (i + 1) / 2046
        assert abs(draws[i] / 200_000 - expected) < 0.01 + expected * 0.1, (i, draws[i])


def test_values_are_unique_per_key_and_keys_rotate_after_the_write_limit():
    workload = RwRegister(options(key_count=3, max_writes_per_key=5), random.Random(5))
    written: dict[int, list[int]] = {}
    active_sets = []
    for txn in txns(workload, 3000):
        for f, k, v in txn:
            if f == "w":
                written.setdefault(k, []).append(v)
        active_sets.append(list(workload.txns.active))
    for values in written.values():
        assert values == list(range(1, len(values) + 1))  # 1, 2, 3 ... in order
        assert len(values) <= 5
    assert max(written) > 10, "exhausted keys are replaced by fresh ones"
    assert all(len(active) == 3 == len(set(active)) for active in active_sets)
    assert all(k in range(max(written) + 1) for k in written)  # fresh keys count up


def test_key_count_sets_the_active_pool():
    """Two active keys: positions 0 and 1 drawn with odds 1/3 and 2/3."""
    workload = RwRegister(options(key_count=2, max_writes_per_key=10**6), random.Random(6))
    keys = Counter(k for txn in txns(workload, 3000) for _, k, _ in txn)
    assert set(keys) == {0, 1}
    assert abs(keys[1] / sum(keys.values()) - 2 / 3) < 0.03


def test_list_append_turns_writes_into_appends():
    mops = [mop for txn in txns(ListAppend(options(), random.Random(7)), 500) for mop in txn]
    assert {f for f, _, _ in mops} == {"r", "append"}


def test_the_same_seed_gives_the_same_stream():
    a = txns(RwRegister(options(), random.Random(8)), 100)
    b = txns(RwRegister(options(), random.Random(8)), 100)
    assert a == b


# --- the client -----------------------------------------------------------------------------


class TxnService:
    """A node at n1 that answers txn requests with ``reply(body)``."""

    def __init__(self, net, reply):
        self.net, self.reply = net, reply
        net.register("n1", self.receive)

    def receive(self, message, _due):
        _, src, _, body = message
        self.net.send("n1", src, {**self.reply(body), "in_reply_to": body["msg_id"]})


def invoke(workload, reply, value):
    loop = Loop()
    net = Network(loop, Latency(0, "constant", random.Random(1)), Journal(None))
    TxnService(net, reply)
    client = Client(loop, net, "c0")
    op = {"process": 0, "type": "invoke", "f": "txn", "value": value}
    return loop.run_until(spawn(loop, workload.invoke(client, "n1", op)))


def test_the_reply_txn_becomes_the_value_unchecked_against_the_request():
    workload = RwRegister(options(), random.Random(9))
    completed = [["r", 1, 5], ["w", 2, 3]]
    op = invoke(workload, lambda b: {"type": "txn_ok", "txn": completed}, [["r", 1, None]])
    assert op["type"] == "ok" and op["value"] == completed


@pytest.mark.parametrize(
    ("code", "kind"), [(30, "fail"), (11, "fail"), (14, "fail"), (13, "info"), (1000, "info")]
)
def test_definite_errors_fail_and_others_are_info(code, kind):
    workload = RwRegister(options(), random.Random(10))
    value = [["w", 1, 1]]
    op = invoke(workload, lambda b: {"type": "error", "code": code, "text": "no"}, value)
    assert op["type"] == kind and op["value"] == value


def test_a_malformed_reply_raises_for_the_worker_to_record_as_info():
    workload = ListAppend(options(), random.Random(11))
    bad = {"type": "txn_ok", "txn": [["r", 1, 5]]}  # a list-append read must be a list
    with pytest.raises(Exception, match="Malformed RPC response"):
        invoke(workload, lambda b: bad, [["r", 1, None]])
