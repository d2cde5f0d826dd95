"""A node on glome's runtime in lock-step, driven through its stdin/stdout as --sim drives it.

Each test starts the probe node (``tests/fixture_nodes/sim_probe.py``) with the
protocol's environment, hands it steps and reads back what it sent and its report, on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from glome import simulation
from support.fixture_nodes import fixture_node
from support.lockstep import LockstepNode

PROBE = fixture_node("sim_probe.py")
PERIOD_NS = 250_000_000  # the probe's timer


@pytest.fixture
def lockstep(backend_env: dict[str, str], lockstep_nodes: list[LockstepNode]) -> Any:
    def start(seed: int = 1, node_id: str = "n1", *args: str) -> LockstepNode:
        node = LockstepNode([str(PROBE), *args], backend_env, seed, node_id)
        lockstep_nodes.append(node)
        return node

    return start


def init(node: LockstepNode, now: int = 0) -> bytes:
    reply, report = node.request(
        now, {"type": "init", "node_id": node.node_id, "node_ids": [node.node_id]}
    )
    assert reply == {"type": "init_ok", simulation.KEY: simulation.VERSION, "in_reply_to": 1}
    return report


def test_init_ok_announces_the_protocol_and_the_report_names_the_first_timer(lockstep) -> None:
    node = lockstep()
    assert simulation.parse_report(init(node, 1_000)) == ("idle", 1_000 + PERIOD_NS)


def test_the_clocks_read_the_step_time(lockstep) -> None:
    node = lockstep()
    init(node)
    now = 3 * 10**9 + 123_456_789
    reply, _ = node.request(now, {"type": "probe"})
    assert reply["monotonic_ns"] == now
    assert reply["monotonic"] == reply["perf_counter"] == now / 1e9
    assert reply["time_ns"] == simulation.EPOCH_NS + now
    assert reply["time"] == pytest.approx((simulation.EPOCH_NS + now) / 1e9)


def test_timers_fire_at_their_virtual_time_and_not_before(lockstep) -> None:
    node = lockstep()
    init(node)
    sent, report = node.step(PERIOD_NS - 1)  # a step of no messages, just before the tick
    assert sent == [] and simulation.parse_report(report) == ("idle", PERIOD_NS)
    node.step(PERIOD_NS)
    reply, report = node.request(PERIOD_NS + 1, {"type": "probe"})
    assert reply["ticks"] == 1
    assert simulation.parse_report(report) == ("idle", 2 * PERIOD_NS)
    # a step's messages come first, then the timers due by its time; a periodic timer
    # that missed ticks (no step woke it) skips them
    reply, report = node.request(12 * PERIOD_NS + 5, {"type": "probe"})
    assert reply["ticks"] == 1
    assert simulation.parse_report(report) == ("idle", 13 * PERIOD_NS + 5)
    reply, _ = node.request(12 * PERIOD_NS + 6, {"type": "probe"})
    assert reply["ticks"] == 2


def test_sleep_blocks_until_the_bench_says_its_time_has_come(lockstep) -> None:
    node = lockstep()
    init(node)
    sent, report = node.step(100, {"type": "nap", "seconds": 0.5, "msg_id": 7})
    assert sent == [] and simulation.parse_report(report) == ("sleep", 100 + 500_000_000)
    # what arrived meanwhile comes with the wake-up, and is handled after the nap ends
    sent, report = node.step(100 + 500_000_000, {"type": "probe", "msg_id": 8})
    assert [m["body"]["type"] for m in sent] == ["nap_ok", "probe_ok"]
    assert sent[0]["body"]["before"] == 100 and sent[0]["body"]["after"] == 500_000_100
    assert sent[1]["body"]["monotonic_ns"] == 500_000_100
    assert simulation.parse_report(report)[0] == "idle"


def test_randomness_follows_the_seed_and_the_node_id(lockstep) -> None:
    def draws(seed: int, node_id: str) -> dict[str, Any]:
        node = lockstep(seed, node_id)
        init(node)
        reply, _ = node.request(10, {"type": "probe"})
        node.kill()
        return {key: reply[key] for key in ("random", "urandom", "secrets", "uuid4")}

    first = draws(5, "n1")
    assert draws(5, "n1") == first
    assert all(value != first[key] for key, value in draws(6, "n1").items())
    assert all(value != first[key] for key, value in draws(5, "n2").items())
