#!/usr/bin/env python3
"""Broken (registers): a key written twice in one transaction keeps its first
value, so later readers see a write its own transaction overwrote (G1b)."""

from txn_store import Data, Txn, execute, serve

data: Data = {}


def handle(txn: Txn) -> Txn:
    done = execute(data, txn)
    first: dict = {}
    for f, k, v in txn:
        if f == "w":
            first.setdefault(k, v)
    data.update(first)
    return done


serve(handle)
