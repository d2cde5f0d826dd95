"""Challenge 2, unique-ids: globally unique ids with no coordination at all."""

from __future__ import annotations

import itertools
import os
import time

from glome.node import Message, Node
from glome.nodes import durable_by_design


def incarnation() -> str:
    """A token that differs between any two runs of a node process.

    An id is ``<node id>.<incarnation>.<counter>``. The node id makes ids of
    different nodes differ and the counter those of one run, so the only risk is
    a restarted process reusing its node id: two runs of the same node then
    differ in their incarnation. Its first part is the wall-clock start time in
    nanoseconds, which a later run exceeds unless the clock was stepped back;
    its second part is 32 bits from the kernel's random source, which covers a
    clock stepped back (a clash then needs the same nanosecond and the same 32
    random bits). No state survives a restart, so none is needed: no disk, no
    messages, and the node stays available under any partition.
    """
    return f"{time.time_ns():x}{os.urandom(4).hex()}"


def build() -> Node:
    node = Node()
    counter = itertools.count()
    prefix = ""

    @node.on_init
    def name_ids() -> None:
        nonlocal prefix
        prefix = f"{node.id}.{incarnation()}."

    @node.on("generate")
    def generate(msg: Message) -> dict[str, object]:
        return {"type": "generate_ok", "id": f"{prefix}{next(counter)}"}

    return node


def main(argv: list[str] | None = None) -> int:
    why = "a restarted process names its ids with a new incarnation, so no id repeats"
    durable_by_design("glome-unique-ids", __doc__.splitlines()[0], why).parse_args(argv)
    return build().run()
