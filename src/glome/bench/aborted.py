"""The one exception that ends a run before analysis, shared by the runner and the
workloads (a workload may refuse its options when the run starts)."""

from __future__ import annotations


class TestAborted(Exception):
    """The run cannot reach analysis (init failed, a node crashed, setup failed): exit 255."""

    __test__ = False  # not a pytest test class, despite the name
