#!/usr/bin/env python3
"""A minimal echo node; it logs its working directory to stderr first.

``--bad-line-after N`` prints a non-JSON line after N echoes, ``--ghost-after N``
sends a message to a client id that does not exist after N echoes, and
``--exit-after N`` exits with status 3 after N echoes."""

import os
import sys

import orjson


def main() -> None:
    args = sys.argv[1:]
    bad_after = int(args[args.index("--bad-line-after") + 1]) if "--bad-line-after" in args else -1
    exit_after = int(args[args.index("--exit-after") + 1]) if "--exit-after" in args else -1
    ghost_after = int(args[args.index("--ghost-after") + 1]) if "--ghost-after" in args else -1
    print(f"cwd: {os.getcwd()}", file=sys.stderr, flush=True)
    node_id = ""
    echoes = 0
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        message = orjson.loads(line)
        body = message["body"]
        if body["type"] == "init":
            node_id = body["node_id"]
            reply = {"type": "init_ok"}
        else:
            reply = {"type": "echo_ok", "echo": body["echo"]}
            echoes += 1
            if echoes == exit_after:
                print("exiting on purpose", file=sys.stderr, flush=True)
                sys.exit(3)
        reply["in_reply_to"] = body["msg_id"]
        out.write(orjson.dumps({"src": node_id, "dest": message["src"], "body": reply}) + b"\n")
        if echoes == bad_after:
            out.write(b"this is not json\n")
        if echoes == ghost_after:
            ghost = {"src": node_id, "dest": "c999", "body": {"type": "echo_ok", "in_reply_to": 7}}
            out.write(orjson.dumps(ghost) + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
