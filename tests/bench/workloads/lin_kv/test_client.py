"""lin-kv's client (docs/maelstrom.md §7.7 and §6.2): the RPCs it sends, its timeout, and how
replies, errors and timeouts become ok, fail and info."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace

import pytest

from glome.bench.client import ErrorReply, MalformedResponse, RPCTimeout
from glome.bench.history import FAIL, INFO, OK
from glome.bench.workloads import create
from glome.protocol import KEY_DOES_NOT_EXIST, PRECONDITION_FAILED


class Recorder:
    """A client that answers each RPC with ``answer`` (a reply body or an
    exception to raise) and remembers what it was asked."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls: list[tuple] = []

    async def rpc(self, workload, dest, body, timeout_s):
        self.calls.append((workload, dest, body, timeout_s))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def lin_kv(latency: int = 0):
    options = SimpleNamespace(nodes=["n0", "n1"], concurrency=4, latency=latency)
    return create("lin-kv", options, random.Random(1))


def invoke(f: str, value, answer, latency: int = 0):
    client = Recorder(answer)
    op = {"process": 2, "type": "invoke", "f": f, "value": value}
    completion = asyncio.run(lin_kv(latency).invoke(client, "n1", op))
    return completion, client.calls


def error(code: int, text: str) -> ErrorReply:
    return ErrorReply({"type": "error", "code": code, "text": text, "in_reply_to": 1})


def test_requests_have_maelstroms_shape():
    _, calls = invoke("read", [4, None], {"type": "read_ok", "value": 2})
    assert calls == [("lin-kv", "n1", {"type": "read", "key": 4}, 1.0)]
    _, calls = invoke("write", [4, 3], {"type": "write_ok"})
    assert calls[0][2] == {"type": "write", "key": 4, "value": 3}
    _, calls = invoke("cas", [4, [1, 2]], {"type": "cas_ok"})
    assert calls[0][2] == {"type": "cas", "key": 4, "from": 1, "to": 2}


@pytest.mark.parametrize(("latency", "timeout_s"), [(0, 1.0), (50, 1.0), (100, 1.0), (250, 2.5)])
def test_timeout_is_ten_latencies_but_at_least_a_second(latency, timeout_s):
    _, calls = invoke("write", [0, 1], {"type": "write_ok"}, latency)
    assert calls[0][3] == timeout_s


def test_ok_completions_carry_key_value_pairs():
    completion, _ = invoke("read", [4, None], {"type": "read_ok", "value": 2})
    assert (completion["type"], completion["value"]) == (OK, [4, 2])
    completion, _ = invoke("read", [4, None], {"type": "read_ok", "value": None})
    assert completion["value"] == [4, None]
    completion, _ = invoke("cas", [4, [1, 2]], {"type": "cas_ok"})
    assert (completion["type"], completion["value"]) == (OK, [4, [1, 2]])


@pytest.mark.parametrize(
    ("f", "value", "expected"),
    [("read", [0, None], FAIL), ("write", [0, 1], INFO), ("cas", [0, [1, 2]], INFO)],
)
def test_a_timed_out_read_failed_but_a_write_or_cas_may_have_happened(f, value, expected):
    completion, _ = invoke(f, value, RPCTimeout())
    assert completion["type"] == expected
    assert completion["error"] == "net-timeout"
    assert completion["value"] == value


@pytest.mark.parametrize(
    ("f", "value"), [("read", [0, None]), ("cas", [0, [1, 2]]), ("write", [0, 1])]
)
def test_missing_key_fails(f, value):
    completion, _ = invoke(f, value, error(KEY_DOES_NOT_EXIST, "key does not exist"))
    assert completion["type"] == FAIL
    assert completion["error"] == ["key-does-not-exist", "key does not exist"]


def test_cas_mismatch_fails():
    completion, _ = invoke(
        "cas", [0, [1, 2]], error(PRECONDITION_FAILED, "current value 3 is not 1")
    )
    assert completion["type"] == FAIL
    assert completion["error"] == ["precondition-failed", "current value 3 is not 1"]


@pytest.mark.parametrize(("f", "expected"), [("read", FAIL), ("write", INFO), ("cas", INFO)])
def test_indefinite_errors_fail_only_reads(f, expected):
    value = [0, [1, 2]] if f == "cas" else [0, 1]
    completion, _ = invoke(f, value, error(13, "boom"))
    assert completion["type"] == expected
    assert completion["error"] == ["crash", "boom"]


def test_malformed_replies_reach_the_worker():
    schema = ("read_ok", {"value": object})
    answer = MalformedResponse("n1", {"type": "read"}, schema, {"type": "read_ok"}, "missing")
    with pytest.raises(MalformedResponse):
        invoke("read", [0, None], answer)


def test_clients_are_kept_after_indeterminate_ops():
    assert lin_kv().reusable_client is True
