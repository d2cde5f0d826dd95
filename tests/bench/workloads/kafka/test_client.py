"""The kafka client (docs/maelstrom.md §7.6) against a scripted node: what it sends,
what it records."""

from __future__ import annotations

import random
from collections.abc import Coroutine
from typing import Any

import pytest

from glome.bench.client import ErrorReply, RPCTimeout
from glome.bench.history import FAIL, INFO, OK, Op
from glome.bench.options import TestOptions
from glome.bench.workloads import create


class ScriptedClient:
    """Answers each RPC with the next scripted reply (or raises it); records requests."""

    def __init__(self, client_id: str, replies: list[Any]) -> None:
        self.id = client_id
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    async def rpc(self, workload: str, dest: str, body: dict[str, Any], *_: Any) -> dict:
        assert workload == "kafka"
        self.requests.append(body)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def run(coroutine: Coroutine[Any, Any, Op]) -> Op:
    """Drive a coroutine whose awaits all finish at once."""
    with pytest.raises(StopIteration) as stop:
        coroutine.send(None)
    return stop.value.value


@pytest.fixture
def workload():
    return create("kafka", TestOptions(bin="x", workload="kafka", concurrency=2), random.Random(1))


def invoke(workload, client, op: Op) -> Op:
    return run(workload.invoke(client, "n0", {"process": 0, "type": "invoke", **op}))


def poll_reply(msgs: dict) -> dict:
    return {"type": "poll_ok", "msgs": msgs}


def test_send_records_the_offset_with_the_message(workload):
    client = ScriptedClient("c1", [{"type": "send_ok", "offset": 7}])
    done = invoke(workload, client, {"f": "send", "value": [["send", "3", 1]]})
    assert client.requests == [{"type": "send", "key": "3", "msg": 1}]
    assert done["type"] == OK
    assert done["value"] == [["send", "3", [7, 1]]]


def test_poll_sends_local_offsets_then_commits_the_highest_polled(workload):
    client = ScriptedClient(
        "c1",
        [
            {"type": "list_committed_offsets_ok", "offsets": {"1": 4}},
            poll_reply({"1": [[4, 10], [6, 11]], "2": []}),
            {"type": "commit_offsets_ok"},
            poll_reply({}),
        ],
    )
    assert invoke(workload, client, {"f": "assign", "value": ["1", "2"]})["type"] == OK
    done = invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    assert done["type"] == OK
    assert done["value"] == [["poll", {"1": [[4, 10], [6, 11]], "2": []}]]
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    poll, commit, next_poll = client.requests[1:]
    assert poll == {"type": "poll", "offsets": {"1": 4, "2": 0}}
    assert commit == {"type": "commit_offsets", "offsets": {"1": 6}}
    assert next_poll == {"type": "poll", "offsets": {"1": 7, "2": 0}}


def test_a_poll_without_messages_commits_nothing(workload):
    client = ScriptedClient("c1", [poll_reply({"5": []})])
    assert invoke(workload, client, {"f": "poll", "value": [["poll"]]})["type"] == OK
    assert [request["type"] for request in client.requests] == ["poll"]


def test_a_failed_commit_makes_the_poll_indeterminate_yet_the_offsets_moved_on(workload):
    client = ScriptedClient(
        "c1",
        [poll_reply({"1": [[0, 1]]}), RPCTimeout(), poll_reply({})],
    )
    done = invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    assert done["type"] == INFO
    assert done["error"] == "net-timeout"
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    assert client.requests[2]["offsets"] == {"1": 1}


def test_assign_keeps_local_offsets_resumes_new_keys_at_commit_and_drops_the_rest(workload):
    client = ScriptedClient(
        "c1",
        [
            poll_reply({"1": [[0, 1], [1, 2]], "9": [[3, 1]]}),
            {"type": "commit_offsets_ok"},
            {"type": "list_committed_offsets_ok", "offsets": {"1": 0, "2": 5}},
            poll_reply({}),
        ],
    )
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    invoke(workload, client, {"f": "assign", "value": ["1", "2", "3"]})
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    assert client.requests[2] == {"type": "list_committed_offsets", "keys": ["1", "2", "3"]}
    assert client.requests[3]["offsets"] == {"1": 2, "2": 5, "3": 0}


def test_seek_to_beginning_starts_every_key_at_zero_without_asking(workload):
    client = ScriptedClient("c1", [poll_reply({})])
    op = {"f": "assign", "value": ["4", "8"], "seek-to-beginning?": True}
    assert invoke(workload, client, op)["type"] == OK
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    assert client.requests == [{"type": "poll", "offsets": {"4": 0, "8": 0}}]


def test_assign_is_idempotent_send_is_not(workload):
    assign = invoke(workload, ScriptedClient("c1", [RPCTimeout()]), {"f": "assign", "value": ["1"]})
    send = invoke(
        workload, ScriptedClient("c2", [RPCTimeout()]), {"f": "send", "value": [["send", "1", 1]]}
    )
    assert (assign["type"], send["type"]) == (FAIL, INFO)


def test_a_definite_error_fails_a_send(workload):
    error = ErrorReply({"type": "error", "code": 20, "text": "no such key"})
    send = invoke(
        workload, ScriptedClient("c1", [error]), {"f": "send", "value": [["send", "1", 1]]}
    )
    assert send["type"] == FAIL
    assert send["error"] == ["key-does-not-exist", "no such key"]


def test_crash_completes_info_at_once_and_forgets_the_offsets(workload):
    client = ScriptedClient("c1", [poll_reply({"1": [[0, 1]]}), {"type": "commit_offsets_ok"}])
    invoke(workload, client, {"f": "poll", "value": [["poll"]]})
    done = invoke(workload, client, {"f": "crash", "value": None})
    assert done["type"] == INFO
    assert len(client.requests) == 2
    assert "c1" not in workload.offsets


def test_kafka_clients_are_never_reused(workload):
    assert workload.reusable_client is False
    assert workload.final_phase is True
    assert workload.final_phase_timeout_s == 10
