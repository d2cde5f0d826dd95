"""Dependency-graph primitives of the Elle checkers (graph.pyx and its twin _pure_graph.py)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

WW: int
WR: int
RW: int
PROCESS: int
REALTIME: int
INVOKED: int
COMMITTED: int

Adjacency = Mapping[Any, Iterable[Any]]

def strongly_connected(adjacency: Adjacency, vertices: Iterable[Any]) -> list[list[Any]]: ...
def realtime_edges(
    kinds: Sequence[int], txns: Sequence[int], out: dict[int, dict[int, int]]
) -> bool: ...
def link_edges(out: dict[Any, dict[Any, int]], edges: Iterable[tuple[Any, Any, int]]) -> int: ...
def project(out: Mapping[Any, Mapping[Any, int]], present: int, mask: int) -> Adjacency: ...
def smallest_cyclic_component(
    out: Mapping[Any, Mapping[Any, int]], present: int, base: int, extension: int
) -> list[Any] | None: ...

class Subgraphs:
    """A graph whose model subgraphs are searched one after another."""

    def __init__(self, out: Mapping[Any, Mapping[Any, int]], present: int) -> None: ...
    def smallest_cyclic(self, base: int, extension: int) -> list[Any] | None: ...
