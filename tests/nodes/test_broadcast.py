"""glome-broadcast: client replies, gossip, acks and retransmission, profiles, and 3a-3e.

The node tests drive a real node process over stdin/stdout on both backends,
with knob overrides that make periods and timeouts short. The bench tests run
the challenges through ``glome test``; the full-length ones are marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from glome._fast import load_pure
from glome.nodes.broadcast import PROFILES, choose_profile
from glome.protocol import MALFORMED_REQUEST, RESPONSE_SCHEMAS, response_violation

codec = load_pure("bitset")
SCHEMAS = RESPONSE_SCHEMAS["broadcast"]
BIN = Path(sys.executable).parent / "glome-broadcast"
THREE = ["n0", "n1", "n2"]


@pytest.fixture
def start(start_node: Any) -> Any:
    """``start(node_id, ids, *args)``: an initialised glome-broadcast on the backend under test."""
    return partial(start_node, BIN)


def gossip(values: list[int], own: list[int] | None = None, sent_at: float | None = None) -> dict:
    body: dict[str, Any] = {"type": "gossip", "h": codec.encode_values(values)}
    body["t"] = time.time() if sent_at is None else sent_at
    if own is not None:
        body["o"] = codec.encode_values(own)
    return body


def held(message: dict) -> list[int]:
    return codec.decode_values(message["body"]["h"])


def read(node: Any, msg_id: int) -> list[int]:
    reply = node.request("c1", {"type": "read", "msg_id": msg_id})
    assert response_violation(SCHEMAS["read"], reply) is None, reply
    return reply["messages"]


def collect(node: Any, seconds: float) -> list[dict]:
    """Every message the node prints within ``seconds``."""
    messages, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        line = node._read_line(left)
        if line is None:
            break
        messages.append(orjson.loads(line))
    return messages


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


def test_a_leaf_takes_gossiped_values_and_acknowledges_them_once(start):
    node = start("n1", THREE, *QUICK_STAR)
    node.send("n0", gossip([5, 9]))
    assert read(node, 2) == [5, 9]
    ack = node.recv(timeout=2.0)
    assert ack["dest"] == "n0" and ack["body"]["type"] == "gossip", ack
    assert held(ack) == [5, 9]
    assert node.silent_for(2.5), "everything is acknowledged both ways: nothing more to say"


def test_a_leaf_flushes_on_the_clock_and_retransmits_until_acknowledged(start):
    node = start("n1", THREE, *QUICK_STAR)
    node.request("c1", {"type": "broadcast", "message": 7, "msg_id": 2})
    first = node.recv(timeout=2.0)
    assert first["dest"] == "n0" and held(first) == [7], "a leaf writes to the hub only"
    phase = first["body"]["t"] % QUICK_PERIOD
    assert min(phase, QUICK_PERIOD - phase) < 0.06, f"leaves flush at k * period, not {phase}"
    again = node.recv(timeout=3.0)
    assert again["dest"] == "n0" and held(again) == [7]
    assert again["body"]["t"] - first["body"]["t"] >= 1.6, "retransmitted before the timeout"
    node.send("n0", gossip([7]))
    assert node.silent_for(3.0), "acknowledged: no more retransmissions"


def test_the_hub_flushes_one_network_delay_after_its_leaves(start):
    period, delay = 0.5, 0.08  # budget 8/s for 3 nodes
    node = start("n0", THREE, "efficient", "budget=8")
    node.send("n1", gossip([3], sent_at=time.time() - delay))
    forward = next(m for m in collect(node, 1.2) if m["dest"] == "n2")
    assert held(forward) == [3]
    offset = delay + PROFILES["efficient"].margin
    late = (forward["body"]["t"] - offset) % period
    assert late < 0.06, f"the hub flushed {late:.3f} s after k * period + {offset}"


def test_the_hub_forwards_only_what_a_leaf_lacks(start):
    node = start("n0", THREE, *QUICK_STAR)
    node.send("n1", gossip([1, 2]))
    node.send("n2", gossip([2]))
    messages = collect(node, 1.2)
    to_n2 = [m for m in messages if m["dest"] == "n2"]
    assert to_n2 and all(held(m) == [1, 2] for m in to_n2)
    assert len(to_n2) == 1, "one flush carries the value and the ack"
    to_n1 = [m for m in messages if m["dest"] == "n1"]
    assert len(to_n1) == 1, "n1 needs nothing but an ack, sent once after the ack delay"


def test_a_star_without_batching_relays_at_once(start):
    node = start("n0", THREE, "efficient", "budget=0")
    node.send("n1", gossip([6], sent_at=time.time() - 0.05))
    forward = node.recv(timeout=0.3)
    assert forward["dest"] == "n2" and held(forward) == [6]


# --- gossip in a mesh ----------------------------------------------------------------


def test_mesh_sends_a_client_value_to_every_node_at_once(start):
    node = start("n0", THREE, "latency", "ack_delay=0.3")
    node.send("c1", {"type": "broadcast", "message": 4, "msg_id": 2})
    replies = collect(node, 0.5)
    assert {"type": "broadcast_ok", "in_reply_to": 2} in [m["body"] for m in replies]
    sent = [m for m in replies if m["body"]["type"] == "gossip"]
    assert sorted(m["dest"] for m in sent) == ["n1", "n2"]
    for message in sent:
        assert held(message) == [4] and codec.decode_values(message["body"]["o"]) == [4]
    node.send("n2", gossip([4], own=[]))
    node.send("n1", gossip([4, 10], own=[10]))
    assert read(node, 3) == [4, 10]
    messages = collect(node, 2.0)
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


def test_the_binary_refuses_an_unknown_profile():
    done = subprocess.run([str(BIN), "bogus"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 254 and "unknown profile 'bogus'" in done.stderr


# --- the challenges through glome test ---------------------------------------------------

CHALLENGE_3B = ["--node-count", "5", "--time-limit", "20", "--rate", "10"]
CHALLENGE_3D = ["--node-count", "25", "--time-limit", "20", "--rate", "100", "--latency", "100"]
PARTITIONS = ["--nemesis", "partition"]


def run_challenge(cwd: Path, flags: list[str], profile: str, seed: int = 1) -> dict:
    command = [sys.executable, "-m", "glome", "test", "-w", "broadcast", "--bin", str(BIN)]
    command += [*flags, "--seed", str(seed), profile]
    subprocess.run(command, cwd=cwd, capture_output=True, timeout=110, check=False)
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


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_3a_single_node(tmp_path):
    """One node has no peers, so every profile runs the same code: one run covers them."""
    run_challenge(tmp_path, ["--node-count", "1", "--time-limit", "20", "--rate", "10"], "latency")


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_3b_values_reach_every_node_within_a_second(tmp_path, profile):
    results = run_challenge(tmp_path, CHALLENGE_3B, profile)
    assert results["workload"]["stable-latencies"]["1"] < 1000


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_3c_partitions_lose_nothing(tmp_path, profile):
    run_challenge(tmp_path, [*CHALLENGE_3B, *PARTITIONS], profile)


@pytest.mark.slow
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
