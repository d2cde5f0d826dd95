"""Where the test suite's own nodes live: small scripts, each one behaviour on purpose
(a misbehaving echo, a broken transaction store, a simulation probe ...)."""

from __future__ import annotations

from pathlib import Path

FIXTURE_NODES = Path(__file__).resolve().parents[1] / "fixture_nodes"


def fixture_node(name: str) -> str:
    """The path of ``tests/fixture_nodes/<name>``, as a ``--bin`` or argv entry."""
    path = FIXTURE_NODES / name
    if not path.is_file():
        raise FileNotFoundError(f"no fixture node {name!r} in {FIXTURE_NODES}")
    return str(path)
