"""Challenge 1, echo: answer every ``echo`` with the same payload."""

from __future__ import annotations

from glome.node import Node
from glome.nodes import durable_by_design


def build() -> Node:
    node = Node()
    # the reply is the request's body (its ``echo`` included) with type echo_ok
    node.mirror("echo", "echo_ok", required=("echo",))
    return node


def main(argv: list[str] | None = None) -> int:
    why = "it keeps no state, so a restarted process answers as its predecessor did"
    durable_by_design("glome-echo", __doc__.splitlines()[0], why).parse_args(argv)
    return build().run()
