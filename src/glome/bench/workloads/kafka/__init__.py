"""The kafka workload (docs/maelstrom.md §7.6): Maelstrom's Kafka-style log test.

``create`` builds the workload ``glome test -w kafka`` runs: the client
(workload.py) and the op stream (generator.py); its checker is
``glome.bench.checkers.kafka``.
"""

from glome.bench.workloads.kafka.workload import create

__all__ = ["create"]
