#!/usr/bin/env python3
"""Broken: every third writing transaction is reported aborted (txn-conflict, a
definite error) but its writes stay in the store, so others read them (G1a)."""

from itertools import count

from txn_store import Data, Txn, execute, serve

from glome.errors import TxnConflict

data: Data = {}
writers = count(1)


def handle(txn: Txn) -> Txn:
    done = execute(data, txn)
    if any(f != "r" for f, _, _ in txn) and next(writers) % 3 == 0:
        raise TxnConflict("reported aborted, yet its writes were kept")
    return done


serve(handle)
