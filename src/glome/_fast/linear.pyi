"""Linearizability search for one CAS register (linear.pyx and its twin _pure_linear.py)."""

from collections.abc import Callable, Sequence

READ: int
WRITE: int
CAS: int
INCONSISTENT: int
ARRIVALS_KEPT: int
CLOCK_CHECK_EVERY: int

Step = tuple[int, int, tuple[int, ...], tuple[int, ...], int]
Config = tuple[int, int, int, int, int]

def apply(code: int, arg_a: int, arg_b: int, state: int) -> int: ...
def search(
    codes: Sequence[int],
    args_a: Sequence[int],
    args_b: Sequence[int],
    steps: Sequence[Step],
    info_calls: Sequence[int],
    info_kinds: Sequence[int],
    deadline: float,
    config_limit: int,
) -> tuple[str, int, int, list[Config], int]: ...
def search_moves(
    after: Callable[[int, int], int],
    steps: Sequence[Step],
    info_calls: Sequence[int],
    info_kinds: Sequence[int],
    deadline: float,
    config_limit: int,
) -> tuple[str, int, int, list[Config], int]: ...
