"""``glome check``: glome's checkers on histories from any Jepsen-style framework.

A history file (EDN as Jepsen writes it, or JSON) is read into glome's op
shape (``reading``), handed to the checker its model names (``table``), and
the verdict printed as ``FILE<TAB>true|false|unknown`` (``command``), with
the checker's whole result written on request (``explanations``). Each model
reuses the checker glome already has wherever one exists; the modules beside
those hold only what glome had no checker for (Jepsen's counter, set, bank and
long-fork, Knossos's multi-register) and the adapters between op shapes.
"""
