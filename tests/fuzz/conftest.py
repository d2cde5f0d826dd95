"""``inputs``: how many inputs a fuzz test tried, recorded, printed and held to a floor."""

from __future__ import annotations

from collections.abc import Callable

import pytest


class Inputs:
    """Counts the inputs one test tried; ``report`` fails a loop that silently ran short."""

    def __init__(self, name: str, record: Callable[[str, object], None]) -> None:
        self.name = name
        self.count = 0
        self._record = record

    def tried(self, count: int = 1) -> None:
        self.count += count

    def report(self, floor: int) -> None:
        self._record("inputs_tried", self.count)
        print(f"\n{self.name}: {self.count} inputs tried (floor {floor})")
        assert self.count >= floor, f"only {self.count} of at least {floor} inputs were tried"


@pytest.fixture
def inputs(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Inputs:
    return Inputs(request.node.name, record_property)
