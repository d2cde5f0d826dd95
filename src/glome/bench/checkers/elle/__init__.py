"""Elle-grade transactional checkers for the txn-rw-register and
txn-list-append workloads.

``rw_register.check`` and ``list_append.check`` take a history and a
CheckContext (or ``consistency_models=[...]``) and return Elle's result map:
"valid?", "anomaly-types", "anomalies" (every example with an
"explanation"), "not" and "also-not". Modules: ``models`` (consistency models
and the anomalies they prohibit), ``graph`` (dependency graphs, components,
cycle search and classification), ``analysis`` (what both checkers share),
``explain`` (explanations and the store/elle/ files), ``synthetic``
(simulated histories for benchmarks and tests).
"""
