"""glome-broadcast: client replies, gossip, acks and retransmission, profiles, and 3a-3e.

The node tests drive a real node process over stdin/stdout on both backends,
with knob overrides that make periods and timeouts short, timing ones in
lock-step on the virtual clock. The bench tests run the challenges' full-length
runs through ``glome test --sim``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from glome import simulation
from glome._fast import load_pure
from glome.bench.workloads import response_schemas
from glome.nodes.broadcast import PROFILES, choose_profile
from glome.protocol import MALFORMED_REQUEST, response_violation
from support.lockstep import LockstepNode

codec = load_pure("bitset")
SCHEMAS = response_schemas()["broadcast"]
BIN = Path(sys.executable).parent / "glome-broadcast"
THREE = ["n0", "n1", "n2"]


@pytest.fixture
def start(start_node: Any) -> Any:
    """``start(node_id, ids, *args)``: an initialised glome-broadcast on the backend under test."""
    return partial(start_node, BIN)


def gossip(values: list[int], sent_at: float, own: list[int] | None = None) -> dict:
    body: dict[str, Any] = {"type": "gossip", "h": codec.encode_values(values), "t": sent_at}
    if own is not None:
        body["o"] = codec.encode_values(own)
    return body


def held(message: dict) -> list[int]:
    return codec.decode_values(message["body"]["h"])


def read(node: Any, msg_id: int) -> list[int]:
    reply = node.request("c1", {"type": "read", "msg_id": msg_id})
    assert response_violation(SCHEMAS["read"], reply) is None, reply
    return reply["messages"]


# --- client requests ---------------------------------------------------------------


def test_client_replies_have_exactly_the_schemas_fields(start):
    node = start("n0", ["n0"])
    topology = {"type": "topology", "msg_id": 2, "topology": {"n0": ["n1"]}}
    assert node.request("c1", topology) == {"type": "topology_ok", "in_reply_to": 2}
    for msg_id, value in [(3, 20), (4, 3), (5, 20), (6, 0)]:
        reply = node.request("c1", {"type": "broadcast", "message": value, "msg_id": msg_id})
        assert reply == {"type": "broadcast_ok", "in_reply_to": msg_id}
    reply = node.request("c1", {"type": "read", "msg_id": 7})
    assert reply == {"type": "read_ok", "messages": [0, 3, 20], "in_reply_to": 7}
    assert response_violation(SCHEMAS["read"], reply) is None
    assert node.silent_for(0.6), "a lone node has nobody to gossip with"


def test_values_that_are_not_set_integers_are_refused(start):
    node = start("n0", ["n0"])
    for msg_id, value in enumerate(["7", -1, 1.5, True, None, 2**63], start=2):
        reply = node.request("c1", {"type": "broadcast", "message": value, "msg_id": msg_id})
        assert reply["type"] == "error" and reply["code"] == MALFORMED_REQUEST, (value, reply)
    assert read(node, 20) == []


def test_malformed_gossip_is_answered_and_changes_nothing(start):
    node = start("n1", THREE)
    bad = {"type": "gossip", "h": "r!!", "msg_id": 9}
    node.send("n0", bad)
    reply = node.recv()
    assert reply["dest"] == "n0" and reply["body"]["code"] == MALFORMED_REQUEST, reply
    assert read(node, 10) == []


# --- gossip in a star ----------------------------------------------------------------

# 3 nodes, budget 20/s: period 2 * 2 / 20 = 0.2 s; acks wait 0.3 + 0.2 s for a ride;
# the first retransmission comes 0.5 + 0.2 + 1 s after a send
QUICK_STAR = ("efficient", "budget=20", "ack_delay=0.3")
QUICK_PERIOD = 0.2
QUICK_ACK_DELAY = 0.3
S = simulation.SECOND_NS
FLOAT_NS = 1_000  # the node's float time.time() is exact to about 0.2 µs today
MS = 1_000_000


class Virtual:
    """A glome-broadcast in lock-step on the virtual clock (support.lockstep): each
    step is delivered at an exact time and every timer is run at its own time, so
    the flush and retransmission schedules are checked exactly, up to the node's
    float ``time.time()`` (about 0.2 µs at today's epoch: ``FLOAT_NS``)."""

    def __init__(self, node: LockstepNode, ids: list[str]) -> None:
        self.node = node
        self.next: int | None = None
        self.now = 0
        self.earlier: list[tuple[int, dict]] = []  # what timers sent before the last ``at``
        self._report(node.init(0, ids))

    def _report(self, line: bytes) -> None:
        self.next = simulation.parse_report(line)[1]

    def at(self, now: int, *messages: dict) -> list[dict]:
        """Deliver ``messages`` (from, body) at ``now``, after running the timers due
        before it, as the bench wakes a node for each; what the node sent at ``now``."""
        self.earlier = self.run_until(now - 1)
        wrapped = [{"src": src, "dest": self.node.node_id, "body": body} for src, body in messages]
        sent, report = self.node.deliver(now, *wrapped)
        self.now = now
        self._report(report)
        return sent

    def run_until(self, until: int) -> list[tuple[int, dict]]:
        """Run every timer due up to ``until``; (time, message) for each message sent."""
        sent = []
        while self.next is not None and self.next <= until:
            when = self.next
            step, report = self.node.deliver(when)
            self._report(report)
            sent.extend((when, message) for message in step)
        self.now = max(self.now, until)
        return sent

    def read(self, msg_id: int) -> list[int]:
        (reply,) = self.at(self.now, ("c1", {"type": "read", "msg_id": msg_id}))
        return reply["body"]["messages"]


def seconds(ns: int) -> float:
    """The node's time.time() at virtual ``ns``."""
    return (simulation.EPOCH_NS + ns) / simulation.SECOND_NS


@pytest.fixture
def virtual(backend_env: dict[str, str], lockstep_nodes: list[LockstepNode]) -> Any:
    """``virtual(node_id, ids, *args)``: a glome-broadcast in lock-step, initialised at 0."""

    def start(node_id: str, ids: list[str], *args: str) -> Virtual:
        node = LockstepNode([str(BIN), *args], backend_env, 1, node_id)
        lockstep_nodes.append(node)
        return Virtual(node, ids)

    return start


def test_a_leaf_takes_gossiped_values_and_acknowledges_them_once(virtual):
    node = virtual("n1", THREE, *QUICK_STAR)
    assert node.at(S, ("n0", gossip([5, 9], sent_at=seconds(S)))) == []
    assert node.read(2) == [5, 9]
    [(when, ack), *more] = node.run_until(20 * S)
    assert ack["dest"] == "n0" and ack["body"]["type"] == "gossip", ack
    assert held(ack) == [5, 9]
    # it waited the ack delay for a ride, then the next flush took it
    assert S + int(QUICK_ACK_DELAY * S) < when <= S + int((QUICK_ACK_DELAY + 2 * QUICK_PERIOD) * S)
    assert more == [], "everything is acknowledged both ways: nothing more to say"


def test_a_leaf_flushes_on_the_clock_and_retransmits_until_acknowledged(virtual):
    node = virtual("n1", THREE, *QUICK_STAR)
    broadcast = node.at(S + 30 * MS, ("c1", {"type": "broadcast", "message": 7, "msg_id": 2}))
    assert [m["body"]["type"] for m in broadcast] == ["broadcast_ok"]
    (first_at, first), (again_at, again) = node.run_until(S + 3 * S)[:2]
    assert first["dest"] == "n0" and held(first) == [7], "a leaf writes to the hub only"
    phase = first_at % int(QUICK_PERIOD * S)
    assert min(phase, int(QUICK_PERIOD * S) - phase) < FLOAT_NS, "leaves flush at k * period"
    assert abs(first["body"]["t"] - seconds(first_at)) < FLOAT_NS / S
    assert again["dest"] == "n0" and held(again) == [7]
    assert again_at - first_at >= int(1.6 * S), "retransmitted before the timeout"
    node.at(node.now, ("n0", gossip([7], sent_at=seconds(node.now))))
    assert node.run_until(node.now + 20 * S) == [], "acknowledged: no more retransmissions"


def test_the_hub_flushes_one_network_delay_after_its_leaves(virtual):
    period, delay = 0.5, 0.08  # budget 8/s for 3 nodes
    node = virtual("n0", THREE, "efficient", "budget=8")
    node.at(S, ("n1", gossip([3], sent_at=seconds(S) - delay)))
    when, forward = next((t, m) for t, m in node.run_until(S + 2 * S) if m["dest"] == "n2")
    assert held(forward) == [3]
    offset = delay + PROFILES["efficient"].margin
    late = (seconds(when) - offset) % period
    assert min(late, period - late) < 1e-6, f"flushed {late:.9f} s after k * period + {offset}"


def test_the_hub_forwards_only_what_a_leaf_lacks(virtual):
    node = virtual("n0", THREE, *QUICK_STAR)
    now = seconds(S)
    messages = node.at(S, ("n1", gossip([1, 2], sent_at=now)), ("n2", gossip([2], sent_at=now)))
    messages += [message for _, message in node.run_until(S + 1200 * MS)]
    to_n2 = [m for m in messages if m["dest"] == "n2"]
    assert len(to_n2) == 1 and held(to_n2[0]) == [1, 2], "one flush: the value and the ack"
    to_n1 = [m for m in messages if m["dest"] == "n1"]
    assert len(to_n1) == 1, "n1 needs nothing but an ack, sent once after the ack delay"


def test_a_star_without_batching_relays_at_once(virtual):
    node = virtual("n0", THREE, "efficient", "budget=0")
    (forward,) = node.at(S, ("n1", gossip([6], sent_at=seconds(S) - 0.05)))
    assert forward["dest"] == "n2" and held(forward) == [6]  # in the very step it came


# --- gossip in a mesh ----------------------------------------------------------------


def test_mesh_sends_a_client_value_to_every_node_at_once(virtual):
    node = virtual("n0", THREE, "latency", "ack_delay=0.3")
    sent = node.at(S, ("c1", {"type": "broadcast", "message": 4, "msg_id": 2}))
    assert {"type": "broadcast_ok", "in_reply_to": 2} in [m["body"] for m in sent]
    gossiped = [m for m in sent if m["body"]["type"] == "gossip"]
    assert sorted(m["dest"] for m in gossiped) == ["n1", "n2"]
    for message in gossiped:
        assert held(message) == [4] and codec.decode_values(message["body"]["o"]) == [4]
    now = seconds(S + MS)
    node.at(S + MS, ("n2", gossip([4], own=[], sent_at=now)))
    node.at(S + MS, ("n1", gossip([4, 10], own=[10], sent_at=now)))
    assert node.read(3) == [4, 10]
    messages = [message for _, message in node.run_until(S + 3 * S)]
    assert [m["dest"] for m in messages] == ["n1"], "n1 gets its ack; n2 is owed nothing"
    assert held(messages[0]) == [4, 10]


# --- profiles --------------------------------------------------------------------------


def test_profiles_are_chosen_by_argument_then_environment_then_default():
    assert choose_profile([], {}) == PROFILES["efficient"]
    assert choose_profile([], {"GLOME_BROADCAST_PROFILE": "frugal"}) == PROFILES["frugal"]
    chosen = choose_profile(["latency"], {"GLOME_BROADCAST_PROFILE": "frugal"})
    assert chosen == PROFILES["latency"]


def test_knobs_override_one_field_each():
    profile = choose_profile(["frugal", "budget=30", "layout=mesh"], {})
    assert profile == replace(PROFILES["frugal"], layout="mesh", budget=30.0)
    assert profile.period(25) == 0.0, "a mesh never batches"
    assert choose_profile(["frugal"], {}).period(25) == pytest.approx(48 / 35)
    assert choose_profile(["budget=0"], {}).period(25) == 0.0


@pytest.mark.parametrize(
    "args",
    [["bogus"], ["latency", "frugal"], ["speed=3"], ["budget=-1"], ["budget=nan"], ["layout=ring"]],
)
def test_bad_profile_arguments_are_refused(args):
    with pytest.raises(ValueError):
        choose_profile(args, {})


# --- the challenges through glome test ---------------------------------------------------

CHALLENGE_3B = ["--node-count", "5", "--time-limit", "20", "--rate", "10"]
CHALLENGE_3D = ["--node-count", "25", "--time-limit", "20", "--rate", "100", "--latency", "100"]
PARTITIONS = ["--nemesis", "partition"]


def run_challenge(
    cwd: Path, flags: list[str], profile: str, seed: int = 1, env: dict[str, str] | None = None
) -> dict:
    """A broadcast run on the virtual clock (exact and quick; the real clock's runs are
    the challenge command's), valid with nothing lost."""
    command = [sys.executable, "-m", "glome", "test", "--sim", "-w", "broadcast", "--bin", str(BIN)]
    command += [*flags, "--seed", str(seed), profile]
    subprocess.run(command, cwd=cwd, capture_output=True, timeout=110, check=False, env=env)
    results = json.loads((cwd / "store" / "latest" / "results.json").read_text())
    assert results["workload"]["lost-count"] == 0, results["workload"]["lost"]
    assert results["valid?"] is True, results
    if "partition" in flags:
        servers = results["net"]["servers"]
        assert servers["send-count"] > servers["recv-count"], "the partitions dropped nothing"
    return results


def test_a_short_run_is_valid(tmp_path):
    """A quick end-to-end check outside the slow set: 5 nodes split 2 | 3 for the whole 3 s."""
    flags = ["--node-count", "5", "--time-limit", "3", "--rate", "20", *PARTITIONS]
    results = run_challenge(tmp_path, flags, "efficient", seed=2)  # seed 2: a majority split
    assert results["workload"]["stable-count"] > 0


@pytest.mark.timeout(120)
def test_3a_single_node(tmp_path):
    """One node has no peers, so every profile runs the same code: one run covers them."""
    run_challenge(tmp_path, ["--node-count", "1", "--time-limit", "20", "--rate", "10"], "latency")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_3b_values_reach_every_node_within_a_second(tmp_path, profile):
    results = run_challenge(tmp_path, CHALLENGE_3B, profile)
    assert results["workload"]["stable-latencies"]["1"] < 1000


@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_3c_partitions_lose_nothing(tmp_path, profile):
    run_challenge(tmp_path, [*CHALLENGE_3B, *PARTITIONS], profile)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("profile", "flags"),
    [
        ("efficient", CHALLENGE_3D),
        ("frugal", CHALLENGE_3D),
        ("latency", [*CHALLENGE_3D, *PARTITIONS]),
        ("efficient", [*CHALLENGE_3D, *PARTITIONS]),
        ("frugal", [*CHALLENGE_3D, *PARTITIONS]),
    ],
    ids=["3d", "3e", "3d-latency-partition", "3d-efficient-partition", "3e-frugal-partition"],
)
def test_3d_and_3e(tmp_path, profile, flags):
    run_challenge(tmp_path, flags, profile)


@pytest.mark.timeout(120)
def test_3d_on_each_backend(tmp_path, backend_env):
    """The challenge's hardest run end to end on the pure backend too."""
    results = run_challenge(tmp_path, CHALLENGE_3D, "efficient", env=backend_env)
    assert results["glome"]["core"] == (
        "pure" if "GLOME_NO_EXTENSIONS" in backend_env else "compiled"
    )
