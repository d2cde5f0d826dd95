#!/usr/bin/env python3
"""Broken: micro-ops of concurrent transactions interleave, one every
millisecond, each write visible at once to everyone (no isolation at all)."""

from txn_store import NODE, Data, Txn, apply_mop, serve

data: Data = {}


async def handle(txn: Txn) -> Txn:
    done = []
    for mop in txn:
        done.append(apply_mop(data, mop))
        await NODE.sleep(0.001)
    return done


serve(handle)
