#!/usr/bin/env python3
"""A correct single-node store: each transaction runs alone (strict serializable)."""

from txn_store import Data, execute, serve

data: Data = {}
serve(lambda txn: execute(data, txn))
