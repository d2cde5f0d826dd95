"""Integer sets for gossip state and their compact wire encoding (bitset.pyx and _pure_bitset.py).

The encoding (version 1, layouts ``r``, ``d``, ``b``) is specified in the
docstring of ``_pure_bitset``.
"""

from collections.abc import Iterable, Iterator
from typing import ClassVar

MAX_VALUE: int
DEFAULT_MAX_COUNT: int
ALPHABET: str
RUNS: str
DELTAS: str
BITMAP: str

class Bitset:
    """A growable set of integers in ``[0, MAX_VALUE]``, ascending when listed."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __init__(self, values: Iterable[int] = ()) -> None: ...
    @property
    def changes(self) -> int:
        """How many values were added or removed so far (compare it to a remembered figure)."""
    def add(self, value: int) -> bool:
        """Add ``value``; True when it was not held before."""
    def add_many(self, values: Iterable[int]) -> int:
        """Add every value (all are checked before any is added); how many were new."""
    def add_range(self, start: int, stop: int) -> int:
        """Add ``start .. stop - 1``; how many were new."""
    def discard(self, value: int) -> bool:
        """Remove ``value``; True when it was held."""
    def clear(self) -> None: ...
    def update(self, other: Bitset) -> int:
        """Add every value of ``other``; how many were new."""
    def update_new(self, other: Bitset) -> list[int]:
        """Add every value of ``other``; the new ones, ascending (to pass them on)."""
    def difference(self, other: Bitset) -> Bitset:
        """The values held here and not in ``other`` (what a peer is not known to hold)."""
    def difference_count(self, other: Bitset) -> int:
        """``len(self.difference(other))`` without building it."""
    def difference_update(self, other: Bitset) -> int:
        """Remove every value of ``other``; how many were removed."""
    def copy(self) -> Bitset:
        """An independent copy, with the same ``changes``."""
    def to_list(self) -> list[int]:
        """The values ascending, as a plain list (for JSON replies)."""
    def encode(self) -> str:
        """The set in the compact wire encoding."""
    @staticmethod
    def decode(text: str, max_count: int = ...) -> Bitset:
        """The set ``text`` encodes; ValueError when malformed or over ``max_count`` values."""
    def __contains__(self, value: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[int]: ...
    def __eq__(self, other: object, /) -> bool: ...

def encode_values(values: Iterable[int]) -> str:
    """The encoding of the set of ``values`` (any order, repeats allowed), without a Bitset."""

def decode_values(text: str, max_count: int = ...) -> list[int]:
    """The values ``text`` encodes, ascending, without a Bitset; ValueError when malformed."""
