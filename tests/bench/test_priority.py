"""The loop's real-time priority: taken where allowed, never inherited, always given back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glome.bench.loop import delivery_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="no sched_* calls")


def test_priority_is_taken_and_given_back() -> None:
    before = os.sched_getscheduler(0)
    with delivery_priority() as got:
        inside = os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK
        if got == "realtime":
            assert inside == os.SCHED_FIFO
        else:
            assert got == "ordinary"
            assert inside == before
    assert os.sched_getscheduler(0) == before


def test_children_started_inside_are_ordinary() -> None:
    with delivery_priority() as got:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
        try:
            policy = os.sched_getscheduler(child.pid)
        finally:
            child.kill()
            child.wait()
    if got != "realtime":
        pytest.skip("this process may not take a real-time priority here")
    assert policy == os.SCHED_OTHER


def test_an_error_inside_still_gives_the_priority_back() -> None:
    before = os.sched_getscheduler(0)
    with pytest.raises(RuntimeError), delivery_priority():
        raise RuntimeError("boom")
    assert os.sched_getscheduler(0) == before
