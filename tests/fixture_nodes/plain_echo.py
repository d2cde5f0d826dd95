#!/usr/bin/env python3
"""An echo node in plain Python, without glome's runtime: it does not speak --sim's protocol."""

import json
import sys

for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue  # a control line of --sim, or noise
    body = message.get("body", {})
    kind = "init_ok" if body.get("type") == "init" else "echo_ok"
    reply = {"type": kind, "in_reply_to": body.get("msg_id"), "echo": body.get("echo")}
    if kind == "init_ok":
        reply.pop("echo")
    print(json.dumps({"src": message["dest"], "dest": message["src"], "body": reply}), flush=True)
