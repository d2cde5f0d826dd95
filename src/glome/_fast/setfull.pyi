"""set-full's sweep over elements and reads (setfull.pyx and _pure_setfull.py)."""

from collections.abc import Callable, Iterable
from typing import Any

NOWHERE: int

class Tracker:
    """Elements and reads of one set-full history, fed in history order; ``key``
    maps a value to its element's hashable stand-in and returns an ``int`` unchanged."""

    def __init__(self, key: Callable[[Any], Any]) -> None: ...
    def add(self, value: Any, position: int) -> None:
        """An add of ``value`` invoked at ``position``: a re-add starts its tracking over."""
    def acknowledge(self, value: Any, position: int) -> None:
        """An ok add completion at ``position``: its element is known from here on."""
    def read(self, values: Iterable[Any] | None, invoked_at: int, completed_at: int) -> None:
        """An ok read invoked at ``invoked_at`` that returned ``values`` at ``completed_at``."""
    def sightings(self) -> list[tuple[Any, int, int, int]]:
        """Per tracked element, in add order: its value, where it became known, and the
        invocations of the newest reads that held it and that missed it (``NOWHERE``: none)."""
