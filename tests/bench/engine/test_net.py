"""The simulated network's semantics (spec 3.2-3.5) on a hand-driven clock."""

from __future__ import annotations

import random

import pytest

from glome.bench import net as net_module
from glome.bench.net import Journal, Latency, NetError, Network, encode

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

    def advance(self, ms: int) -> None:
        self.clock.now += ms * MS
        due = sorted((t for t in self.timers if t[0] <= self.clock.now), key=lambda t: t[0])
        self.timers = [t for t in self.timers if t[0] > self.clock.now]
        for _, callback in due:
            callback()


@pytest.fixture
def setup(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(net_module, "monotonic_ns", clock)
    loop = ManualLoop(clock)
    net = Network(loop, Latency(100, "constant", random.Random(1)), Journal(None))
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


def test_latency_applies_only_between_non_clients(setup):
    net, loop, received = setup
    net.send("c1", "n1", {"type": "req"})
    assert [m[3]["type"] for m in received["n1"]] == ["req"]  # clients: no latency
    net.send("n1", "lin-kv", {"type": "read"})  # services get latency
    net.send("n1", "n2", {"type": "gossip"})
    assert received["lin-kv"] == [] and received["n2"] == []
    loop.advance(99)
    assert received["n2"] == []
    loop.advance(1)
    assert len(received["n2"]) == 1 and len(received["lin-kv"]) == 1


def test_head_of_line_blocking_behind_a_held_message(setup):
    net, loop, received = setup
    net.send("n1", "n2", {"type": "slow"})  # taken at once, held 100 ms
    loop.advance(10)
    net.send("c1", "n2", {"type": "client"})  # deadline now, but waits behind
    assert received["n2"] == []
    loop.advance(90)
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


def test_pulling_recipients_take_messages_only_while_open(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(net_module, "monotonic_ns", clock)
    loop = ManualLoop(clock)
    net = Network(loop, Latency(0, "constant", random.Random(1)), Journal(None))
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


def test_encode_puts_id_src_dest_body_in_order():
    assert encode((3, "c3", "n1", {"type": "echo"})) == (
        b'{"id":3,"src":"c3","dest":"n1","body":{"type":"echo"}}\n'
    )


def test_journal_lines_are_json(tmp_path):
    import orjson

    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.send(5, (0, "n1", "n2", {"type": "x"}), None)
    journal.send(6, (1, "n1", "n2", {"type": "y"}), b'{"src":"n1","dest":"n2","body":{"type":"y"}}')
    journal.recv(7, 0)
    journal.close()
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert events[0] == [5, "send", 0, {"src": "n1", "dest": "n2", "body": {"type": "x"}}]
    assert events[1][3]["body"] == {"type": "y"}
    assert events[2] == [7, "recv", 0]
