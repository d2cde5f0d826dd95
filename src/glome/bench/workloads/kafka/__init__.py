"""The kafka workload (docs/maelstrom.md §7.6): Maelstrom's Kafka-style log test.

``create`` builds the workload ``glome test -w kafka`` runs: the client
(workload.py, which also declares the reply schemas and the options it reads)
and the op stream (generator.py); its checker is ``glome.bench.checkers.kafka``.
"""

from glome.bench.workloads.kafka.workload import OPTIONS, RESPONSE_SCHEMAS, create

__all__ = ["OPTIONS", "RESPONSE_SCHEMAS", "create"]
