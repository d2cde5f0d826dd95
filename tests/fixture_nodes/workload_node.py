#!/usr/bin/env python3
"""A small correct node for unique-ids, g-set, g-counter and pn-counter tests.

It keeps its state in lin-kv (a read-modify-write with cas) so that every node
sees the same set or counter; that also exercises the services.
"""

import sys

import orjson


class Node:
    def __init__(self) -> None:
        self.node_id = ""
        self.next_msg_id = 0
        self.counter = 0
        self.pending: dict = {}  # msg_id -> callback on the service's reply
        self.out = sys.stdout.buffer

    def send(self, dest: str, body: dict) -> None:
        self.out.write(orjson.dumps({"src": self.node_id, "dest": dest, "body": body}) + b"\n")
        self.out.flush()

    def rpc(self, body: dict, callback) -> None:
        self.next_msg_id += 1
        body["msg_id"] = self.next_msg_id
        self.pending[self.next_msg_id] = callback
        self.send("lin-kv", body)

    def update(self, change, done) -> None:
        """Read the shared value, apply ``change``, cas it back; retry on conflict."""

        def on_read(reply):
            current = reply.get("value") if reply["type"] == "read_ok" else None
            new = change(current)
            self.rpc(
                {
                    "type": "cas",
                    "key": "state",
                    "from": current,
                    "to": new,
                    "create_if_not_exists": True,
                },
                lambda r: done() if r["type"] == "cas_ok" else self.update(change, done),
            )

        self.rpc({"type": "read", "key": "state"}, on_read)

    def handle(self, message: dict) -> None:
        body, src = message["body"], message["src"]
        kind = body["type"]
        if "in_reply_to" in body and body["in_reply_to"] in self.pending:
            self.pending.pop(body["in_reply_to"])(body)
            return

        def reply(extra: dict) -> None:
            self.send(src, {**extra, "in_reply_to": body["msg_id"]})

        if kind == "init":
            self.node_id = body["node_id"]
            reply({"type": "init_ok"})
        elif kind == "generate":
            self.counter += 1
            reply({"type": "generate_ok", "id": f"{self.node_id}-{self.counter}"})
        elif kind == "add" and "element" in body:
            element = body["element"]
            self.update(
                lambda cur: sorted(set(cur or []) | {element}), lambda: reply({"type": "add_ok"})
            )
        elif kind == "add":
            delta = body["delta"]
            self.update(lambda cur: (cur or 0) + delta, lambda: reply({"type": "add_ok"}))
        elif kind == "read":

            def answer(r):
                value = r.get("value") if r["type"] == "read_ok" else None
                if isinstance(value, list) or (value is None and self.set_like):
                    reply({"type": "read_ok", "value": value or []})
                else:
                    reply({"type": "read_ok", "value": value or 0})

            self.rpc({"type": "read", "key": "state"}, answer)

    set_like = "--set" in sys.argv


def main() -> None:
    node = Node()
    for line in sys.stdin.buffer:
        node.handle(orjson.loads(line))


if __name__ == "__main__":
    main()
