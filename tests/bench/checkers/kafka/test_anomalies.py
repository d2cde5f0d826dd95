"""Every error type of the kafka checker: one history that must be flagged and a
near-identical one that must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from glome.bench.checkers.kafka import check
from support.kafka_builder import HistoryBuilder


def verdict(build: Callable[[HistoryBuilder], None]) -> dict:
    builder = HistoryBuilder()
    build(builder)
    return check(builder.history, None)


def two_sent(b: HistoryBuilder) -> None:
    b.send(0, "k", "a", 0)
    b.send(0, "k", "b", 1)


def inconsistent(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(1, "k", "b", 1 if clean else 0)
        b.poll(2, {"k": [[0, "a"], [1, "b"]] if clean else [[0, "a"]]})

    return build


def duplicate(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        two_sent(b)
        b.poll(1, {"k": [[0, "a"], [1, "b"]] + ([] if clean else [[2, "a"]])})

    return build


def lost_write(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        two_sent(b)
        b.poll(1, {"k": [[0, "a"], [1, "b"]] if clean else [[1, "b"]]})

    return build


def aborted_read(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1, kind="ok" if clean else "fail")
        b.poll(1, {"k": [[0, "a"], [1, "b"]]})

    return build


def poll_skip(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1)
        b.send(0, "k", "c", 2)
        b.poll(1, {"k": [[0, "a"]]})
        b.poll(1, {"k": [[1, "b"], [2, "c"]] if clean else [[2, "c"]]})
        b.poll(2, {"k": [[0, "a"], [1, "b"], [2, "c"]]})

    return build


def nonmonotonic_poll(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1)
        b.send(0, "k", "c", 2)
        b.poll(1, {"k": [[0, "a"], [1, "b"]]})
        b.poll(1, {"k": [[2, "c"]] if clean else [[1, "b"], [2, "c"]]})

    return build


def internal_poll_skip(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.send(0, "k", "b", 1)
        b.send(0, "k", "c", 2)
        b.poll(1, {"k": [[0, "a"], [1, "b"], [2, "c"]] if clean else [[0, "a"], [2, "c"]]})
        b.poll(2, {"k": [[1, "b"]]})

    return build


def internal_nonmonotonic_poll(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        two_sent(b)
        b.poll(1, {"k": [[0, "a"], [1, "b"]] if clean else [[1, "b"], [0, "a"]]})

    return build


def nonmonotonic_send(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 5)
        b.send(1, "k", "x", 3)
        b.send(0, "k", "b", 7 if clean else 4)
        b.poll(
            2,
            {"k": [[3, "x"], [4, "b"], [5, "a"]] if not clean else [[3, "x"], [5, "a"], [7, "b"]]},
        )

    return build


def unseen(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        two_sent(b)
        b.poll(1, {"k": [[0, "a"], [1, "b"]] if clean else [[0, "a"]]})

    return build


def future_read(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        if clean:
            b.send(0, "k", "a", 0)
        poll = b.invoke(1, "poll", [["poll"]])
        b.complete(poll, "ok", [["poll", {"k": [[0, "a"]]}]])
        if not clean:
            b.send(0, "k", "a", 0)

    return build


def empty_graph(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.assign(0, ["k"])
        b.poll(0, {"k": []})
        if clean:
            b.poll(0, {"k": []})

    return build


def unwritten_read(clean: bool) -> Callable[[HistoryBuilder], None]:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.poll(1, {"k": [[0, "a"]] if clean else [[0, "a"], [1, "nobody sent me"]]})

    return build


#: (offset of a, offset of b, offset of y) around a two-message send op
SEND_OP_OFFSETS = {"skip": (1, 3, 2), "nonmonotonic": (2, 1, 3), "clean": (1, 2, 3)}


def internal_send_order(kind: str, clean: bool) -> Callable[[HistoryBuilder], None]:
    """One send op carrying two send micro-ops (a, then b) to the same key."""
    a, b_offset, y = SEND_OP_OFFSETS["clean" if clean else kind]

    def build(b: HistoryBuilder) -> None:
        b.send(1, "k", "x", 0)
        invocation = b.invoke(0, "send", [["send", "k", "a"], ["send", "k", "b"]])
        b.complete(invocation, "ok", [["send", "k", [a, "a"]], ["send", "k", [b_offset, "b"]]])
        b.send(1, "k", "y", y)
        b.poll(2, {"k": sorted([[0, "x"], [a, "a"], [b_offset, "b"], [y, "y"]])})

    return build


CASES = {
    "inconsistent-offsets": inconsistent,
    "duplicate": duplicate,
    "lost-write": lost_write,
    "G1a": aborted_read,
    "poll-skip": poll_skip,
    "nonmonotonic-poll": nonmonotonic_poll,
    "int-poll-skip": internal_poll_skip,
    "int-nonmonotonic-poll": internal_nonmonotonic_poll,
    "nonmonotonic-send": nonmonotonic_send,
    "unseen": unseen,
    "G1c-realtime": future_read,
    "strong-PL-2-cycle-exists": future_read,
    "empty-transaction-graph": empty_graph,
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_flagged(kind: str) -> None:
    result = verdict(CASES[kind](clean=False))
    assert kind in result["error-types"]
    assert kind in result["bad-error-types"]
    assert result["valid?"] is False


@pytest.mark.parametrize("kind", sorted(CASES))
def test_near_identical_history_is_clean(kind: str) -> None:
    result = verdict(CASES[kind](clean=True))
    assert result["error-types"] == []
    assert result["valid?"] is True


def test_int_send_skip_is_reported_but_allowed() -> None:
    result = verdict(internal_send_order("skip", clean=False))
    assert "int-send-skip" in result["error-types"]
    assert "int-send-skip" not in result["bad-error-types"]
    assert result["int-send-skip"]["errs"][0]["skipped"] == ["y"]
    assert result["valid?"] is True
    assert verdict(internal_send_order("skip", clean=True))["error-types"] == []


def test_int_nonmonotonic_send() -> None:
    result = verdict(internal_send_order("nonmonotonic", clean=False))
    assert "int-nonmonotonic-send" in result["bad-error-types"]
    assert result["int-nonmonotonic-send"]["errs"][0]["values"] == ["a", "b"]
    assert verdict(internal_send_order("nonmonotonic", clean=True))["valid?"] is True


def test_examples_name_the_evidence() -> None:
    skip = verdict(poll_skip(clean=False))["poll-skip"]
    assert skip["count"] == 1
    (error,) = skip["errs"]
    assert error["key"] == "k" and error["delta"] == 2 and error["skipped"] == ["b"]
    assert [op["index"] for op in error["ops"]] == [7, 9]

    lost = verdict(lost_write(clean=False))["lost-write"]["errs"]
    assert [(e["value"], e["index"], e["max-read-index"]) for e in lost] == [("a", 0, 1)]
    assert lost[0]["writer"]["value"] == [["send", "k", [0, "a"]]]
    assert lost[0]["max-read"]["f"] == "poll"

    g1a = verdict(aborted_read(clean=False))["G1a"]["errs"]
    assert [(e["value"], e["writer"]["type"], e["reader"]["f"]) for e in g1a] == [
        ("b", "fail", "poll")
    ]

    bad = verdict(inconsistent(clean=False))["inconsistent-offsets"]["errs"]
    assert bad == [{"key": "k", "offset": 0, "index": 0, "values": ["a", "b"]}]

    dup = verdict(duplicate(clean=False))["duplicate"]["errs"]
    assert dup == [{"key": "k", "value": "a", "count": 2, "offsets": [0, 2]}]

    seen = verdict(unseen(clean=False))["unseen"]
    assert seen["unseen"] == {"k": 1} and seen["messages"] == {"k": ["b"]}


def test_message_nobody_sent_makes_the_analysis_unknown() -> None:
    """Jepsen's wr graph throws no-writer-of-value and its guarded check answers
    :unknown with only the error: nothing else is reported, whatever else is wrong."""
    result = verdict(unwritten_read(clean=False))
    assert result["valid?"] == "unknown"
    assert set(result) == {"valid?", "error"}
    error = result["error"]
    assert error["type"] == "no-writer-of-value"
    assert (error["key"], error["value"]) == ("k", "nobody sent me")
    assert "no-writer-of-value" in error["explanation"]
    assert '"nobody sent me"' in error["explanation"] and "index 3" in error["explanation"]
    assert verdict(unwritten_read(clean=True))["valid?"] is True


def test_unknown_outranks_anomalies_the_checker_never_gets_to_report() -> None:
    def build(b: HistoryBuilder) -> None:
        lost_write(clean=False)(b)  # a lost write on its own is invalid ...
        b.poll(2, {"j": [[0, "ghost"]]})  # ... but the ghost stops the analysis first

    assert verdict(lost_write(clean=False))["valid?"] is False
    result = verdict(build)
    assert result["valid?"] == "unknown"
    assert (result["error"]["key"], result["error"]["value"]) == ("j", "ghost")


def test_a_message_sent_to_another_key_has_no_writer() -> None:
    def build(b: HistoryBuilder) -> None:
        b.send(0, "k", "a", 0)
        b.poll(1, {"j": [[0, "a"]]})

    assert verdict(build)["valid?"] == "unknown"


def test_a_failed_or_indeterminate_send_is_a_writer() -> None:
    def build(kind: str) -> Callable[[HistoryBuilder], None]:
        def history(b: HistoryBuilder) -> None:
            b.send(0, "k", "a", kind=kind)
            b.poll(1, {"k": [[0, "a"]]})

        return history

    assert verdict(build("fail"))["error-types"] == ["G1a"]
    assert verdict(build("info"))["valid?"] is True


def test_a_future_read_proves_strong_read_committed_broken() -> None:
    """Elle reports the cycle-exists proof beside the concrete cycle, per component."""
    result = verdict(future_read(clean=False))
    assert result["error-types"] == ["G1c-realtime", "strong-PL-2-cycle-exists"]
    assert result["bad-error-types"] == result["error-types"]
    proof = result["strong-PL-2-cycle-exists"]
    assert proof["count"] == 1
    (case,) = proof["errs"]
    assert case == {
        "type": "strong-PL-2-cycle-exists",
        "not": "strong-read-committed",
        "subgraph": ["union", "ww", "wwp", "wr", "wrp", "realtime"],
        "scc-size": 2,
        "scc": [1, 3],  # the completions of the poll and of the send
    }


def test_future_read_is_explained_as_a_cycle() -> None:
    result = verdict(future_read(clean=False))
    (cycle,) = result["G1c-realtime"]["errs"]
    assert [op["f"] for op in cycle["cycle"]] == ["send", "poll", "send"]
    assert [step["type"] for step in cycle["steps"]] == ["wr", "realtime"]
    assert cycle["steps"][1]["b"]["type"] == "invoke"
    assert "before" in cycle["explanation"]
