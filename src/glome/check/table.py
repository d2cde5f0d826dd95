"""The models ``glome check --model`` knows, and the checker behind each.

Every model runs a checker glome already has wherever one exists: Knossos's
cas-register and mutex run on lin-kv's register search, Elle's on glome's
Elle, set-full and the Maelstrom workloads on their own checkers. Only
Jepsen's counter, set, bank and long-fork, and Knossos's multi-register, had
no counterpart and have modules of their own here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glome.bench.checkers import set_full
from glome.bench.history import Op
from glome.check import bank, counter, elle, knossos, long_fork, maelstrom, sets
from glome.check.settings import Settings, UsageError

Check = Callable[[list[Op], Settings], dict[str, Any]]
ELLE_OPTIONS = frozenset({"consistency_models", "anomalies", "cycle_search_timeout_ms"})
TXN_OPTIONS = frozenset({"consistency_models", "cycle_search_timeout_ms"})
SEARCH_OPTIONS = frozenset({"time_limit"})


@dataclass(frozen=True)
class Model:
    """One ``--model``: where it comes from, what it checks, and how."""

    source: str  # Knossos, Elle, Jepsen or Maelstrom
    summary: str  # one line for --help
    check: Check
    options: frozenset[str] = frozenset()  # the Settings fields it reads
    validate: Callable[[Settings], None] | None = None


def _jepsen_set_full(history: list[Op], settings: Settings) -> dict[str, Any]:
    return set_full.check(history, None, add_f="add")


def _workload(name: str, options: frozenset[str] = frozenset()) -> Model:
    summary = f"Maelstrom's {name} workload checker"
    validate = elle.validate if "consistency_models" in options else None
    return Model("Maelstrom", summary, maelstrom.WORKLOADS[name], options, validate)


MODELS: dict[str, Model] = {
    "cas-register": Model(
        "Knossos",
        "one register: :read v, :write v, :cas [old new]; starts at nil",
        knossos.cas_register,
        SEARCH_OPTIONS | {"initial_value"},
    ),
    "mutex": Model("Knossos", "one lock: :acquire, :release", knossos.mutex, SEARCH_OPTIONS),
    "multi-register": Model(
        "Knossos",
        ":txn of [:read k v] / [:write k v] over a map of registers",
        knossos.multi_register,
        SEARCH_OPTIONS | {"initial_value"},
        knossos.check_initial_map,
    ),
    "rw-register": Model(
        "Elle",
        "transactions of [:r k v] / [:w k v]",
        elle.rw_register_check,
        ELLE_OPTIONS,
        elle.validate,
    ),
    "list-append": Model(
        "Elle",
        "transactions of [:r k [v ...]] / [:append k v]",
        elle.list_append_check,
        ELLE_OPTIONS,
        elle.validate,
    ),
    "counter": Model("Jepsen", "non-negative :add n and :read of a counter", counter.check),
    "set": Model("Jepsen", ":add x, then a final :read of the whole set", sets.check),
    "set-full": Model("Jepsen", ":add x and :read of the whole set, throughout", _jepsen_set_full),
    "bank": Model(
        "Jepsen",
        ":transfer between accounts and :read of every balance",
        bank.check,
        frozenset({"total_amount", "negative_balances"}),
    ),
    "long-fork": Model(
        "Jepsen",
        "single-key :w inserts and group reads of [:r k v]",
        long_fork.check,
        frozenset({"group_size"}),
        long_fork.validate,
    ),
    **{
        name: _workload(name)
        for name in ("echo", "unique-ids", "broadcast", "g-set", "g-counter", "pn-counter")
    },
    "lin-kv": _workload("lin-kv", SEARCH_OPTIONS),
    "kafka": _workload("kafka"),
    "txn-rw-register": _workload("txn-rw-register", TXN_OPTIONS),
    "txn-list-append": _workload("txn-list-append", TXN_OPTIONS),
}

#: Settings field -> the option that sets it, for messages.
OPTION_NAMES = {
    "consistency_models": "--consistency-models",
    "anomalies": "--anomalies",
    "cycle_search_timeout_ms": "--cycle-search-timeout",
    "group_size": "--group-size",
    "total_amount": "--total-amount",
    "negative_balances": "--allow-negative-balances",
    "initial_value": "--initial-value",
    "time_limit": "--time-limit",
}


def model(name: str) -> Model:
    """The model called ``name``; a UsageError listing the known ones otherwise."""
    found = MODELS.get(name)
    if found is None:
        raise UsageError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return found


def validate(name: str, settings: Settings) -> None:
    """Refuse options the model does not read, then let it check its own."""
    chosen = model(name)
    for field, option in OPTION_NAMES.items():
        if settings.given(field) and field not in chosen.options:
            users = [other for other, spec in MODELS.items() if field in spec.options]
            raise UsageError(f"{option} does not apply to {name} (only to {', '.join(users)})")
    if chosen.validate is not None:
        chosen.validate(settings)
