"""The per-key indexes every analysis builds and walks (``glome._fast.kafka_orders``).

The compiled module when it was built, else its pure twin (see ``glome._fast``).
The analyses reach it as ``backend.orders``, so tests and benchmarks swap both
backends in this one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glome._fast import load

if TYPE_CHECKING:
    from glome._fast import kafka_orders as orders
else:
    orders = load("kafka_orders")

__all__ = ["orders"]
