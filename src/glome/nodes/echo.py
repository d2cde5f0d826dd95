"""Challenge 1, echo: answer every ``echo`` with the same payload."""

from __future__ import annotations

from glome.node import Message, Node, field


def build() -> Node:
    node = Node()

    @node.on("echo")
    def echo(msg: Message) -> dict[str, object]:
        return {"type": "echo_ok", "echo": field(msg, "echo")}

    return node


def main() -> int:
    return build().run()
