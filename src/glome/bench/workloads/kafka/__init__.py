"""The kafka workload (spec 5.6): Maelstrom's Kafka-style log test.

For now the package holds the checker (``check``), faithful to the Jepsen
kafka checker Maelstrom runs, plus tools that make kafka histories without a
node: ``builder`` for hand-written histories and ``synthetic`` for whole
simulated runs against correct and deliberately broken log services.
"""

from glome.bench.workloads.kafka.checker import check

__all__ = ["check"]
