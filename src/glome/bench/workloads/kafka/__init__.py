"""The kafka workload (spec 5.6): Maelstrom's Kafka-style log test.

``create`` builds the workload ``glome test -w kafka`` runs: the client
(workload.py), the op stream (generator.py) and the checker (``check``,
faithful to the Jepsen kafka checker Maelstrom runs). ``builder`` makes
hand-written histories and ``synthetic`` whole simulated runs against correct
and deliberately broken log services, without a node.
"""

from glome.bench.workloads.kafka.checker import check
from glome.bench.workloads.kafka.workload import create

__all__ = ["check", "create"]
