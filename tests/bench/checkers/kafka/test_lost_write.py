"""lost-write and unseen against a direct transcription of Jepsen's definitions.

The reference builds each key's log as a dense vector indexed by offset (sets
of messages, holes as None), derives first and last dense indexes from it, and
takes the must-read prefix up to the highest first index any ok poll reached.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.checkers.kafka import check
from support.synthetic.kafka import RunShape, simulate


def reference(history: list[dict]) -> tuple[set, dict]:
    logs: dict[str, list] = {}
    ok_reads: dict[str, set] = {}
    sent: dict[str, set] = {}
    writer_type: dict[tuple, str] = {}

    def record(key: str, offset: int, message: int) -> None:
        log = logs.setdefault(key, [])
        log.extend([None] * (offset + 1 - len(log)))
        log[offset] = (log[offset] or set()) | {message}

    for op in history:
        if op["type"] == "invoke":
            continue
        for mop in op["value"] or ():
            if mop[0] == "send":
                message = mop[2][1] if op["type"] == "ok" else mop[2]
                writer_type[(mop[1], message)] = op["type"]
                if op["type"] == "ok":
                    record(mop[1], mop[2][0], message)
                    sent.setdefault(mop[1], set()).add(message)
            elif mop[0] == "poll" and len(mop) > 1:
                for key, pairs in mop[1].items():
                    ok_reads.setdefault(key, set()).update(m for _, m in pairs)
                    for offset, message in pairs:
                        record(key, offset, message)
    lost = set()
    for key, read in ok_reads.items():
        dense = [messages for messages in logs.get(key, []) if messages]
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for index, messages in enumerate(dense):
            for message in messages:
                first.setdefault(message, index)
                last[message] = index
        bound = max([first[m] for m in read if m in first], default=-1)
        for message, index in last.items():
            if index <= bound and message not in read and writer_type[(key, message)] == "ok":
                lost.add((key, message))
    unseen = {key: len(messages - ok_reads.get(key, set())) for key, messages in sent.items()}
    return lost, {key: count for key, count in unseen.items() if count}


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fault=st.sampled_from([None, "lost-writes", "skipped-offsets", "duplicate-messages"]),
    limit=st.sampled_from([None, 2]),
)
def test_lost_writes_and_unseen_match_reference(seed: int, fault: str | None, limit) -> None:
    shape = RunShape(operations=600, fault=fault, fault_rate=0.05, poll_limit=limit)
    history = simulate(shape, seed)
    result = check(history, None)
    lost, unseen = reference(history)
    found = {(e["key"], e["value"]) for e in result.get("lost-write", {"errs": []})["errs"]}
    assert found == lost
    assert result.get("unseen", {"unseen": {}})["unseen"] == dict(sorted(unseen.items()))
