"""glome: Gossip Glomers nodes, a compiled node runtime, and a Maelstrom-compatible bench."""

__version__ = "0.1.0"
