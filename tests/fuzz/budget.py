"""How many inputs each fuzz test tries: a short default for every test run, and
long runs on request::

    GLOME_FUZZ_SCALE=100 python -m pytest tests/fuzz

multiplies every count (hypothesis examples, node batches, atheris runs) and the
time limits that go with them by 100.
"""

from __future__ import annotations

import os

SCALE = max(1, int(os.environ.get("GLOME_FUZZ_SCALE", "1")))


def inputs(default: int) -> int:
    """``default`` inputs, scaled."""
    return default * SCALE


def seconds(default: float) -> float:
    """A time limit of ``default`` seconds, scaled with the inputs."""
    return default * SCALE
