#!/usr/bin/env python3
"""A one-node in-memory kafka log with one deliberate fault, for checker tests.

``faulty_log.py FAULT``; every ``EVERY``-th send or poll misbehaves:

* ``none``: a correct log (the control);
* ``duplicate-offset``: a send is acknowledged with the offset the previous
  send of the key got (and stored there too);
* ``skip-offset``: a poll leaves out the second message it would return;
* ``lose-write``: a send is acknowledged but never stored;
* ``rewind``: a poll starts one message before the requested offset;
* ``refuse-commit``: every other ``commit_offsets`` is refused with a definite
  error (11, temporarily unavailable), so the poll before it fails;
* ``phantom``: a poll returns the last message of a key as text (``"5"`` for
  ``5``): a value no send carried.
"""

import sys
from bisect import bisect_left

from glome.node import Node

EVERY = 7


def build(fault: str) -> Node:
    node = Node()
    logs: dict[str, list[list]] = {}
    commits: dict[str, int] = {}
    next_offsets: dict[str, int] = {}
    counts = {"send": 0, "poll": 0, "commit": 0}

    def strikes(kind: str) -> bool:
        counts[kind] += 1
        return counts[kind] % EVERY == 0

    @node.on("send")
    def send(msg):
        body = msg["body"]
        log = logs.setdefault(body["key"], [])
        offset = next_offsets.get(body["key"], 0)
        next_offsets[body["key"]] = offset + 1
        if strikes("send"):
            if fault == "duplicate-offset" and log:
                offset = log[-1][0]
            elif fault == "lose-write":
                return {"type": "send_ok", "offset": offset}
        log.append([offset, body["msg"]])
        return {"type": "send_ok", "offset": offset}

    @node.on("poll")
    def poll(msg):
        struck = strikes("poll")
        found = {}
        for key, start in msg["body"]["offsets"].items():
            log = logs.get(key, [])
            first = bisect_left([entry[0] for entry in log], start)
            if struck and fault == "rewind":
                first = max(0, first - 1)
            entries = log[first:]
            if struck and fault == "skip-offset" and len(entries) > 2:
                entries = entries[:1] + entries[2:]
            if struck and fault == "phantom" and entries:
                entries = [*entries[:-1], [entries[-1][0], str(entries[-1][1])]]
            found[key] = entries
        return {"type": "poll_ok", "msgs": found}

    @node.on("commit_offsets")
    def commit_offsets(msg):
        counts["commit"] += 1
        if fault == "refuse-commit" and counts["commit"] % 2 == 0:
            return {"type": "error", "code": 11, "text": "commit refused"}
        for key, offset in msg["body"]["offsets"].items():
            commits[key] = max(commits.get(key, -1), offset)
        return {"type": "commit_offsets_ok"}

    @node.on("list_committed_offsets")
    def list_committed_offsets(msg):
        keys = msg["body"]["keys"]
        return {
            "type": "list_committed_offsets_ok",
            "offsets": {k: commits[k] for k in keys if k in commits},
        }

    return node


if __name__ == "__main__":
    sys.exit(build(sys.argv[1]).run())
