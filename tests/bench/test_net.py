"""The simulated network's semantics (docs/maelstrom.md §4.2-4.5) on a hand-driven clock."""

from __future__ import annotations

import random

import pytest

from glome.bench.net import Journal, Latency, NetError, Network

MS = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * MS

    def __call__(self) -> int:
        return self.now


class ManualLoop:
    """Collects timers; the test fires them by advancing the clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.timers: list[tuple[int, object]] = []

    def call_at(self, when: int, callback) -> None:
        self.timers.append((when, callback))

    def advance(self, ms: float) -> None:
        self.clock.now += round(ms * MS)  # ns are integers, as the loop's clock gives them
        due = sorted((t for t in self.timers if t[0] <= self.clock.now), key=lambda t: t[0])
        self.timers = [t for t in self.timers if t[0] > self.clock.now]
        for _, callback in due:
            callback()


@pytest.fixture
def setup():
    clock = Clock()
    loop = ManualLoop(clock)
    net = Network(loop, Latency(100, "constant", random.Random(1)), Journal(None), clock=clock)
    received: dict[str, list] = {}
    for node in ("n1", "n2", "n3", "c1", "lin-kv"):
        received[node] = []
        net.register(node, lambda m, due, node=node: received[node].append(m))
    return net, loop, received


def test_ids_count_from_zero_and_unknown_ids_are_refused(setup):
    net, _, _ = setup
    assert net.send("n1", "n2", {"type": "a"}) == 0
    assert net.send("n1", "n2", {"type": "b"}) == 1
    with pytest.raises(NetError):
        net.send("n1", "c9", {"type": "late reply"})
    with pytest.raises(NetError):
        net.send("ghost", "n1", {"type": "x"})
    # as in Maelstrom, which numbers a message before it checks its ids, each refused
    # send used up an id
    assert net.send("n1", "n2", {"type": "c"}) == 4


def test_latency_applies_only_between_non_clients(setup):
    net, loop, received = setup
    net.send("c1", "n1", {"type": "req"})
    assert [m[3]["type"] for m in received["n1"]] == ["req"]  # clients: no latency
    net.send("n1", "lin-kv", {"type": "read"})  # services get latency
    net.send("n1", "n2", {"type": "gossip"})
    assert received["lin-kv"] == [] and received["n2"] == []
    loop.advance(98.9)
    assert received["n2"] == []
    loop.advance(0.1)  # 99 ms: the whole milliseconds strictly below the 100 left
    assert len(received["n2"]) == 1 and len(received["lin-kv"]) == 1


def test_a_receiver_sleeps_whole_milliseconds_from_when_it_takes_a_message(setup):
    """Maelstrom's receiver sleeps the time left as whole ms, rounded down, read just
    after it takes the head: when idle, at the send; else after its last delivery."""
    net, loop, received = setup
    net.send("n1", "n2", {"type": "first"})  # deadline 100, taken at 0: arrives at 99
    loop.advance(0.5)
    net.send("n3", "n2", {"type": "second"})  # deadline 100.5, taken at 99: 1.5 left
    loop.advance(98.5)
    assert [m[3]["type"] for m in received["n2"]] == ["first"]
    loop.advance(0.9)
    assert [m[3]["type"] for m in received["n2"]] == ["first"]
    loop.advance(0.1)  # 100 ms: one whole ms after it was taken
    assert [m[3]["type"] for m in received["n2"]] == ["first", "second"]


def test_head_of_line_blocking_behind_a_held_message(setup):
    net, loop, received = setup
    net.send("n1", "n2", {"type": "slow"})  # taken at once, held 99 ms
    loop.advance(10)
    net.send("c1", "n2", {"type": "client"})  # deadline now, but waits behind
    assert received["n2"] == []
    loop.advance(89)
    assert [m[3]["type"] for m in received["n2"]] == ["slow", "client"]


def test_partitions_are_checked_at_dequeue(setup):
    net, loop, received = setup
    net.send("n1", "n2", {"type": "in flight"})  # dequeued before the partition
    net.send("n3", "n2", {"type": "queued"})  # still in the queue
    net.drop({"n2": ["n1", "n3"]})
    loop.advance(100)
    assert [m[3]["type"] for m in received["n2"]] == ["in flight"]
    net.send("n1", "n2", {"type": "during"})
    assert received["n2"][-1][3]["type"] == "in flight"
    net.heal()
    net.send("n1", "n2", {"type": "after"})
    loop.advance(100)
    assert [m[3]["type"] for m in received["n2"]] == ["in flight", "after"]
    stats = net.stats()
    assert stats["servers"]["send-count"] == 4
    assert stats["servers"]["recv-count"] == 2


def test_messages_sent_during_a_partition_arrive_if_dequeued_after_heal(setup):
    net, loop, received = setup
    net.send("n1", "n2", {"type": "first"})
    net.drop({"n2": ["n3"]})
    net.send("n3", "n2", {"type": "second"})  # queued behind "first"
    net.heal()
    loop.advance(100)
    assert [m[3]["type"] for m in received["n2"]] == ["first", "second"]


def test_statistics_split_clients_and_servers(setup):
    net, loop, _ = setup
    net.send("c1", "n1", {"type": "req"})
    net.send("n1", "c1", {"type": "req_ok"})
    net.send("n1", "lin-kv", {"type": "read"})
    loop.advance(100)
    stats = net.stats()
    assert stats["clients"] == {"send-count": 2, "recv-count": 2, "msg-count": 2}
    assert stats["servers"] == {"send-count": 1, "recv-count": 1, "msg-count": 1}
    assert stats["all"]["msg-count"] == 3


def test_pulling_recipients_take_messages_only_while_open():
    clock = Clock()
    loop = ManualLoop(clock)
    net = Network(loop, Latency(0, "constant", random.Random(1)), Journal(None), clock=clock)
    got = []
    net.register("n1", lambda m, due: None)
    net.register("c1", lambda m, due: got.append(m), pull=True)
    net.send("n1", "c1", {"type": "early"})
    assert got == []
    net.set_open("c1", True)
    assert [m[3]["type"] for m in got] == ["early"]


@pytest.mark.parametrize(("dist", "low", "high"), [("uniform", 0, 19), ("exponential", 0, 10_000)])
def test_latency_distributions_draw_whole_milliseconds(dist, low, high):
    latency = Latency(10, dist, random.Random(7))
    draws = [latency.draw_ms() for _ in range(2000)]
    assert all(isinstance(d, int) and low <= d <= high for d in draws)
    assert 7 < sum(draws) / len(draws) < 13


def test_node_deliveries_are_encoded_id_src_dest_body_and_batched():
    clock = Clock()
    loop = ManualLoop(clock)
    net = Network(loop, Latency(5, "constant", random.Random(1)), Journal(None), clock=clock)
    net.register("c3", lambda m, due: None)
    net.register("n2", lambda m, due: None)
    net.register("n1", None, batching=True)
    net.send("c3", "n1", {"type": "echo"})  # no latency: delivered at once
    assert net.pending() == ["n1"]
    data, dues = net.drain("n1")
    assert data == b'{"id":0,"src":"c3","dest":"n1","body":{"type":"echo"}}\n'
    assert dues == [clock.now]
    net.send("n2", "n1", {"type": "a"})
    net.send("n2", "n1", {"type": "b"})
    loop.advance(5)
    assert net.pending() == ["n1"] and net.pending() == []
    data, dues = net.drain("n1")
    assert data.count(b"\n") == 2 and len(dues) == 2


def test_journal_lines_are_json(tmp_path):
    import orjson

    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    clock = Clock()
    net = Network(ManualLoop(clock), Latency(0, "constant", random.Random(1)), journal, clock=clock)
    net.register("n1", lambda m, due: None)
    net.register("n2", lambda m, due: None)
    net.send("n1", "n2", {"type": "x"})
    net.send("n1", "n2", {"type": "y"}, b'{"src":"n1","dest":"n2","body":{"type":"y"}}')
    net.flush_journal()
    journal.close()
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    now = clock.now
    assert events[0] == [now, "send", 0, {"src": "n1", "dest": "n2", "body": {"type": "x"}}]
    assert events[1] == [now, "recv", 0]
    assert events[2][3]["body"] == {"type": "y"}
    assert events[3] == [now, "recv", 1]
