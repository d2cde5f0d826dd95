"""The kafka checker's per-key indexes (kafka_orders.pyx and its twin _pure_kafka_orders.py)."""

from collections.abc import Callable, Sequence
from typing import Any

NOT_FOUND: int

Key = Any
Message = Any
Pair = Sequence[Any]
KeyOrder = tuple[list[int], list[Message], dict[Message, int], dict[Message, int]]
Known = dict[Key, tuple[list[int], list[int]]]

def read_poll(
    messages: dict[Any, Any],
    reads: dict[Key, list[Pair]],
    highest: dict[Key, int],
    returned: dict[Key, set[Message]],
    freeze: Callable[[Any], Any],
) -> None: ...
def version_orders(
    writes: list[list[tuple[Key, Any, Message]]],
    reads: list[dict[Key, list[Pair]]],
    sort_values: Callable[[Any], list[Message]],
) -> tuple[
    dict[Key, KeyOrder],
    list[tuple[Key, int, int, list[Message]]],
    list[tuple[Key, Message, list[int]]],
]: ...
def irregular_steps(
    reads: list[dict[Key, list[Pair]]], index_of: dict[Key, dict[Message, int]]
) -> list[tuple[int, Key, int]]: ...
def match_reads(
    reads: list[dict[Key, list[Pair]]], completed: list[int], writers: dict[Key, dict[Message, Any]]
) -> tuple[list[tuple[int, Key, int]], list[tuple[int, Key, int, Any]], bool]: ...
def known_offsets(steps: list[tuple[int, dict[Key, int]]]) -> Known: ...
def worst_lag(
    steps: list[tuple[Any, int, Any, bool]], known: Known
) -> tuple[int, int, Any, Key] | None: ...
