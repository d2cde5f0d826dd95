"""Linearizability search for one CAS register (pure-Python twin of linear.pyx).

A Wing–Gong–Lowe depth-first search over memoised configurations. A
configuration is (return step r, register state, which open :ok calls are
already linearized, which indeterminate calls are already used). Calls are
only linearized just in time: at the return of a call that is not yet
linearized the search must linearize it, possibly after other open calls;
delaying every other choice is always allowed, so nothing else is branched on.

Two reductions keep the configuration space small:

* indeterminate calls with the same (f, arguments) are interchangeable, so
  only the earliest unused one of each kind is ever tried;
* a configuration that used a superset of the indeterminate calls of one
  already seen (same step, state and open set) can do nothing that one could
  not, so it is pruned.

Result tuple: (status, furthest, final_state, arrivals, explored). status is
"valid", "invalid", "timeout" or "config-limit"; furthest is the last return
step reached; final_state is the register after the linearization found
(valid only); arrivals holds up to ``ARRIVALS_KEPT`` configurations
(step, state, open mask, used mask, last call) that had just passed the
return before ``furthest`` (for an invalid history: the configurations in
which the op returning at ``furthest`` could not be linearized); explored
counts the configurations memoised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

READ, WRITE, CAS = 0, 1, 2
INCONSISTENT = -1
ARRIVALS_KEPT = 1000
CLOCK_CHECK_EVERY = 1024

Step = tuple[int, int, tuple[int, ...], tuple[int, ...], int]
Config = tuple[int, int, int, int, int]  # step, state, open mask, used mask, last call


def apply(code: int, arg_a: int, arg_b: int, state: int) -> int:
    """The register after the call, or INCONSISTENT when it cannot happen in ``state``."""
    if code == WRITE:
        return arg_a
    if state != arg_a:
        return INCONSISTENT
    return state if code == READ else arg_b


def _arrived(config: Config, steps: Sequence[Step]) -> bool:
    """Did this configuration just pass a return (rather than linearize a call)?"""
    r = config[0]
    return r > 0 and config[4] == steps[r - 1][0]


def search(
    codes: Sequence[int],
    args_a: Sequence[int],
    args_b: Sequence[int],
    steps: Sequence[Step],
    info_calls: Sequence[int],
    info_kinds: Sequence[int],
    deadline: float,
    config_limit: int,
) -> tuple[str, int, int, list[Config], int]:
    """Is there a linearization of the calls that passes every return step?"""

    def after(state: int, call: int) -> int:
        return apply(codes[call], args_a[call], args_b[call], state)

    return search_moves(after, steps, info_calls, info_kinds, deadline, config_limit)


def search_moves(
    after: Callable[[int, int], int],
    steps: Sequence[Step],
    info_calls: Sequence[int],
    info_kinds: Sequence[int],
    deadline: float,
    config_limit: int,
) -> tuple[str, int, int, list[Config], int]:
    """The search itself, for any model: ``after(state, call)`` is the state id the
    model reaches when ``call`` takes effect in state id ``state`` (the initial
    state is 0), or INCONSISTENT. ``search`` is this with the register's ``apply``;
    ``glome.check.search`` runs it on models whose states are any Python values."""
    step_count = len(steps)
    if step_count == 0:
        return "valid", 0, 0, [(0, 0, 0, 0, -1)], 0

    def successors(config: Config) -> Iterator[Config]:
        r, state, linearized, used, _ = config
        returning, slot, open_slots, open_calls, infos_invoked = steps[r]
        bit = 1 << slot
        if linearized & bit:
            yield r + 1, state, linearized & ~bit, used, returning
            return
        moved = after(state, returning)
        if moved != INCONSISTENT:
            yield r + 1, moved, linearized, used, returning
        for other_slot, other in zip(open_slots, open_calls, strict=True):
            other_bit = 1 << other_slot
            if other_bit == bit or linearized & other_bit:
                continue
            moved = after(state, other)
            if moved != INCONSISTENT:
                yield r, moved, linearized | other_bit, used, other
        tried_kinds = set()
        for info in range(infos_invoked):
            kind = info_kinds[info]
            if used >> info & 1 or kind in tried_kinds:
                continue
            tried_kinds.add(kind)
            call = info_calls[info]
            moved = after(state, call)
            if moved != INCONSISTENT:
                yield r, moved, linearized, used | 1 << info, call

    root: Config = (0, 0, 0, 0, -1)
    seen: dict[tuple[int, int, int], list[int]] = {(0, 0, 0): [0]}
    explored = 1
    furthest = 0
    arrivals: list[Config] = [root]
    stack = [successors(root)]
    while stack:
        config = next(stack[-1], None)
        if config is None:
            stack.pop()
            continue
        r, state, linearized, used, _ = config
        if r == step_count:
            return "valid", r, state, [config], explored
        memo_key = (r, state, linearized)
        kept = seen.get(memo_key)
        if kept is None:
            seen[memo_key] = [used]
        elif any(earlier & ~used == 0 for earlier in kept):
            continue
        else:
            kept[:] = [earlier for earlier in kept if used & ~earlier != 0]
            kept.append(used)
        explored += 1
        if explored % CLOCK_CHECK_EVERY == 0 and time.monotonic() > deadline:
            return "timeout", furthest, 0, arrivals, explored
        if explored > config_limit:
            return "config-limit", furthest, 0, arrivals, explored
        if r > furthest:
            furthest = r
            arrivals = [config]
        elif r == furthest and _arrived(config, steps) and len(arrivals) < ARRIVALS_KEPT:
            arrivals.append(config)
        stack.append(successors(config))
    return "invalid", furthest, 0, arrivals, explored
