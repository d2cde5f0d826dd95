"""How many inputs each fuzz test tries: a short default for every test run, and
long runs on request::

    GLOME_FUZZ_SCALE=100 python -m pytest tests/fuzz

multiplies every count (hypothesis examples, node batches, atheris runs) and the
time limits that go with them by 100.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

SCALE = max(1, int(os.environ.get("GLOME_FUZZ_SCALE", "1")))


def inputs(default: int) -> int:
    """``default`` inputs, scaled."""
    return default * SCALE


def seconds(default: float) -> float:
    """A time limit of ``default`` seconds, scaled with the inputs."""
    return default * SCALE


def settings(examples: int) -> hypothesis_settings:
    """Hypothesis settings for a fuzz loop of ``examples`` inputs (already scaled): no
    deadline or health check on speed, since the machine is shared, and no example
    database, so every run draws afresh."""
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
    )
