"""glome's own node binaries, after init, under hostile lines on their stdin.

Extends tests/node/test_hostile_input.py (one fixed mix, glome-echo) to every
challenge node and to bodies aimed at each node's own message types: whatever
arrives, the node keeps printing only envelopes the bench accepts, still answers
a probe after each batch (written in arbitrary pieces), evaluates nothing it is
sent, and exits 0 at end of input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import budget
from fuzz import strategies as fuzz
from glome import protocol
from glome.bench.process import parse_line

GLOME_BIN = Path(sys.executable).parent
BATCHES = budget.inputs(120)  # per node and backend; each batch is one write and one probe

#: (binary, arguments) -> the message types its handlers take
NODES = {
    ("glome-echo",): ["echo"],
    ("glome-unique-ids",): ["generate"],
    ("glome-broadcast",): ["broadcast", "read", "topology", "gossip"],
    ("glome-counter",): ["add", "read", "gossip"],
    ("glome-kafka",): ["send", "poll", "commit_offsets", "list_committed_offsets", "gossip"],
    ("glome-kafka", "kv"): [
        "send",
        "owner_send",
        "poll",
        "owner_poll",
        "commit_offsets",
        "list_committed_offsets",
    ],
    ("glome-txn",): ["txn", "replicate"],
}


def evaluation_bait(canary: Path) -> list[str]:
    """Strings that create ``canary`` if anything evaluates them as Python, shell or template."""
    return [
        f"__import__('pathlib').Path('{canary}').touch()",
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"; touch {canary}",
        f"{{{{__import__('os').system('touch {canary}')}}}}",
    ]


@st.composite
def baited(draw: st.DrawFn, types: list[str], bait: list[str]) -> bytes:
    """A request whose every field the nodes read holds evaluation bait."""
    body = {"type": draw(st.sampled_from(types)), "msg_id": draw(st.integers(0, 10**6))}
    body.update(dict.fromkeys(fuzz.FIELD_NAMES, draw(st.sampled_from(bait))))
    return fuzz.encode({"src": "c1", "dest": "n0", "body": body})


@pytest.mark.timeout(budget.seconds(120))
@pytest.mark.parametrize("command", list(NODES), ids=" ".join)
def test_node_survives_hostile_input(command, start_node, tmp_path, inputs) -> None:
    types = [*NODES[command], "init"]
    canary = tmp_path / "evaluated"
    node = start_node(GLOME_BIN / command[0], "n0", ["n0", "n1", "n2"], *command[1:])
    probes = iter(range(10**9, 2 * 10**9))
    codes: set[int] = set()

    @budget.settings(BATCHES)
    @given(
        st.lists(fuzz.lines(types) | baited(types, evaluation_bait(canary)), max_size=8),
        fuzz.chunk_cuts,
    )
    def batch(lines: list[bytes], cuts: list[int]) -> None:
        probe = next(probes)
        for piece in fuzz.split(b"".join(line + b"\n" for line in lines), cuts):
            node.send_raw(piece)  # one write each: the node may read any part of a line
        node.send("c9", {"type": "fuzz_probe", "msg_id": probe})
        inputs.tried(len(lines))
        while True:
            line = node._read_line(timeout=10)
            assert line is not None, f"no answer to the probe; stderr:\n{node.stderr()[-3000:]}"
            src, dest, body = parse_line("n0", line)
            assert src == "n0" and type(body.get("type")) is str, line
            if body["type"] == "error":
                codes.add(body.get("code"))
            if body.get("in_reply_to") == probe and dest == "c9":
                assert body["code"] == protocol.NOT_SUPPORTED, body
                return

    batch()
    assert not canary.exists(), "a node evaluated its input"
    status, rest = node.close()
    assert status == 0, node.stderr()[-3000:]
    assert all(message["src"] == "n0" for message in rest)
    print(f"error codes answered: {sorted(codes)}")
    assert codes <= set(protocol.ERROR_CODES), codes
    inputs.report(BATCHES)
