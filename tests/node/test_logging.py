"""stderr stays quiet unless asked; stdout carries protocol JSON only."""

from __future__ import annotations


def session(spawn, **env: str):
    node = spawn("service_node.py", env=env)
    node.init()
    node.request("c1", {"type": "ping", "msg_id": 2})
    node.send("n1", {"type": "pong", "in_reply_to": 12345})  # a reply nobody waits for
    node.request("c1", {"type": "boom", "msg_id": 3})
    status, rest = node.close()
    assert status == 0 and rest == []
    return node.stderr()


def test_default_logs_only_the_crash(spawn):
    stderr = session(spawn, GLOME_LOG="")
    assert "Traceback" in stderr and "crashed" in stderr
    assert "initialised" not in stderr and "nobody waits" not in stderr
    assert "a stray print must not reach stdout" in stderr  # recv() checked stdout stayed JSON


def test_debug_logs_the_rest(spawn):
    stderr = session(spawn, GLOME_LOG="debug")
    assert "n0 info: initialised as n0 of ['n0']" in stderr
    assert "nobody waits" in stderr and "end of input" in stderr and "Traceback" in stderr


def test_off_is_silent(spawn):
    # only the handler's own print() is left, on stderr where prints go
    assert session(spawn, GLOME_LOG="off") == "a stray print must not reach stdout\n"
