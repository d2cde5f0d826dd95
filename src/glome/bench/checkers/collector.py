"""Pausing Python's cyclic garbage collector while a checker analyses a history.

An analysis allocates a few containers per op and frees almost none until it
returns, so every automatic collection would walk the whole heap, the history
included, for nothing: on 100,000-op histories those sweeps took a third of the
time or more. The checkers build no reference cycles worth collecting early.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (or, as a decorator, the call),
    and restore it as it was, also when the block raises."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
