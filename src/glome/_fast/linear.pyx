# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Linearizability search for one CAS register, compiled (twin of _pure_linear.py).

The same depth-first search over memoised configurations, visiting
configurations in the same order, with the open-call and indeterminate-call
sets held as 64-bit masks and the memo as an open-addressing table of
(step, state, open mask, used mask) entries. Problems that need wider masks
(more than 64 calls open at once, or 64 indeterminate calls on one key) go to
the pure-Python twin.
"""

import time

from libc.stdint cimport int32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc

from glome._fast import _pure_linear

# the constants, the type aliases, ``apply`` and the search over any model (state
# ids from a Python function, ``search_moves``) are the pure twin's; the constants
# the C search needs are bound to C variables once, here
from glome._fast._pure_linear import (
    ARRIVALS_KEPT,
    CAS,
    CLOCK_CHECK_EVERY,
    INCONSISTENT,
    READ,
    WRITE,
    Config,
    Step,
    apply,
    search_moves,
)

MASK_BITS = 64  # this module's open-call and indeterminate-call masks

cdef long long _CLOCK_CHECK_EVERY = CLOCK_CHECK_EVERY
cdef int32_t _READ = READ
cdef int32_t _WRITE = WRITE
cdef int32_t _INCONSISTENT = INCONSISTENT


cdef inline int32_t _apply(int32_t code, int32_t arg_a, int32_t arg_b, int32_t state) noexcept nogil:
    # the pure twin's apply (any code but READ and WRITE is CAS)
    if code == _WRITE:
        return arg_a
    if state != arg_a:
        return _INCONSISTENT
    return state if code == _READ else arg_b


cdef struct Entry:
    int32_t step  # -1 marks an empty entry
    int32_t state
    uint64_t linearized
    uint64_t used


cdef struct Memo:
    Entry* entries
    size_t capacity  # a power of two
    size_t size


cdef struct Frame:
    int32_t step
    int32_t state
    int32_t last
    int32_t cursor
    uint64_t linearized
    uint64_t used


cdef struct Problem:
    int32_t* codes
    int32_t* args_a
    int32_t* args_b
    int32_t* step_call
    int32_t* step_slot
    int32_t* step_infos
    int32_t* open_start  # open calls of step r: open_start[r] .. open_start[r + 1]
    int32_t* open_slot
    int32_t* open_call
    int32_t* info_call
    int32_t* info_previous  # the previous indeterminate call of the same kind, or -1


cdef inline uint64_t _hash(int32_t step, int32_t state, uint64_t linearized) noexcept nogil:
    cdef uint64_t h = (<uint64_t>step) * 0x9E3779B97F4A7C15ULL
    h ^= ((<uint64_t>state) + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL
    h ^= linearized * 0x165667B19E3779F9ULL
    h ^= h >> 29
    h *= 0xBF58476D1CE4E5B9ULL
    h ^= h >> 32
    return h


cdef int _memo_init(Memo* memo, size_t capacity) noexcept nogil:
    cdef size_t i
    memo.entries = <Entry*>malloc(capacity * sizeof(Entry))
    if memo.entries == NULL:
        return -1
    for i in range(capacity):
        memo.entries[i].step = -1
    memo.capacity = capacity
    memo.size = 0
    return 0


cdef int _memo_grow(Memo* memo) noexcept nogil:
    cdef Memo bigger
    cdef size_t i, j
    cdef Entry* entry
    if _memo_init(&bigger, memo.capacity * 2) != 0:
        return -1
    for i in range(memo.capacity):
        entry = &memo.entries[i]
        if entry.step < 0:
            continue
        j = _hash(entry.step, entry.state, entry.linearized) & (bigger.capacity - 1)
        while bigger.entries[j].step >= 0:
            j = (j + 1) & (bigger.capacity - 1)
        bigger.entries[j] = entry[0]
    bigger.size = memo.size
    free(memo.entries)
    memo[0] = bigger
    return 0


cdef int _memo_visit(
    Memo* memo, int32_t step, int32_t state, uint64_t linearized, uint64_t used
) noexcept nogil:
    """1 and remembered when new; 0 when a configuration using a subset of
    ``used`` was seen; -1 when out of memory."""
    cdef size_t j = _hash(step, state, linearized) & (memo.capacity - 1)
    cdef Entry* entry
    while memo.entries[j].step >= 0:
        entry = &memo.entries[j]
        if (
            entry.step == step
            and entry.state == state
            and entry.linearized == linearized
            and entry.used & ~used == 0
        ):
            return 0
        j = (j + 1) & (memo.capacity - 1)
    memo.entries[j].step = step
    memo.entries[j].state = state
    memo.entries[j].linearized = linearized
    memo.entries[j].used = used
    memo.size += 1
    if memo.size * 2 > memo.capacity and _memo_grow(memo) != 0:
        return -1
    return 1


cdef bint _next(Problem* p, Frame* frame, Frame* child) noexcept nogil:
    """The frame's next successor, in the pure twin's order; False when none is left."""
    cdef int32_t r = frame.step
    cdef int32_t returning = p.step_call[r]
    cdef uint64_t bit = (<uint64_t>1) << p.step_slot[r]
    cdef int32_t open_count = p.open_start[r + 1] - p.open_start[r]
    cdef int32_t cursor, after, call, index, previous
    cdef uint64_t other_bit
    child.cursor = 0
    if frame.linearized & bit:
        if frame.cursor > 0:
            return False
        frame.cursor = 1
        child.step = r + 1
        child.state = frame.state
        child.linearized = frame.linearized & ~bit
        child.used = frame.used
        child.last = returning
        return True
    while True:
        cursor = frame.cursor
        frame.cursor += 1
        if cursor == 0:
            after = _apply(p.codes[returning], p.args_a[returning], p.args_b[returning], frame.state)
            if after == _INCONSISTENT:
                continue
            child.step = r + 1
            child.state = after
            child.linearized = frame.linearized
            child.used = frame.used
            child.last = returning
            return True
        index = cursor - 1
        if index < open_count:
            other_bit = (<uint64_t>1) << p.open_slot[p.open_start[r] + index]
            if other_bit == bit or frame.linearized & other_bit:
                continue
            call = p.open_call[p.open_start[r] + index]
            after = _apply(p.codes[call], p.args_a[call], p.args_b[call], frame.state)
            if after == _INCONSISTENT:
                continue
            child.step = r
            child.state = after
            child.linearized = frame.linearized | other_bit
            child.used = frame.used
            child.last = call
            return True
        index -= open_count
        if index >= p.step_infos[r]:
            return False
        if (frame.used >> index) & 1:
            continue
        previous = p.info_previous[index]
        if previous >= 0 and not (frame.used >> previous) & 1:
            continue
        call = p.info_call[index]
        after = _apply(p.codes[call], p.args_a[call], p.args_b[call], frame.state)
        if after == _INCONSISTENT:
            continue
        child.step = r
        child.state = after
        child.linearized = frame.linearized
        child.used = frame.used | ((<uint64_t>1) << index)
        child.last = call
        return True


cdef int32_t* _ints(values) except NULL:
    cdef Py_ssize_t i, n = len(values)
    cdef int32_t* out = <int32_t*>malloc((n + 1) * sizeof(int32_t))
    if out == NULL:
        raise MemoryError()
    for i in range(n):
        out[i] = values[i]
    return out


cdef tuple _config(Frame* frame):
    return (frame.step, frame.state, frame.linearized, frame.used, frame.last)


def _fits(steps, info_calls) -> bool:
    if len(info_calls) >= MASK_BITS:
        return False
    return all(slot < MASK_BITS for step in steps for slot in step[2])


def search(
    codes,
    args_a,
    args_b,
    steps,
    info_calls,
    info_kinds,
    double deadline,
    long long config_limit,
):
    """Is there a linearization of the calls that passes every return step?"""
    cdef Py_ssize_t step_count = len(steps)
    cdef Problem p
    cdef Memo memo
    cdef Frame* stack = NULL
    memo.entries = NULL
    p.codes = p.args_a = p.args_b = p.step_call = p.step_slot = p.step_infos = NULL
    p.open_start = p.open_slot = p.open_call = p.info_call = p.info_previous = NULL
    if step_count == 0:
        return "valid", 0, 0, [(0, 0, 0, 0, -1)], 0
    if not _fits(steps, info_calls):
        return _pure_linear.search(
            codes, args_a, args_b, steps, info_calls, info_kinds, deadline, config_limit
        )
    previous_of_kind = {}
    info_previous = []
    for kind in info_kinds:
        info_previous.append(previous_of_kind.get(kind, -1))
        previous_of_kind[kind] = len(info_previous) - 1
    open_start = [0]
    open_slots = []
    open_calls = []
    for step in steps:
        open_slots.extend(step[2])
        open_calls.extend(step[3])
        open_start.append(len(open_slots))
    try:
        p.codes = _ints(codes)
        p.args_a = _ints(args_a)
        p.args_b = _ints(args_b)
        p.step_call = _ints([step[0] for step in steps])
        p.step_slot = _ints([step[1] for step in steps])
        p.step_infos = _ints([step[4] for step in steps])
        p.open_start = _ints(open_start)
        p.open_slot = _ints(open_slots)
        p.open_call = _ints(open_calls)
        p.info_call = _ints(info_calls)
        p.info_previous = _ints(info_previous)
        return _run(&p, &memo, &stack, <int32_t>step_count, deadline, config_limit)
    finally:
        free(p.codes)
        free(p.args_a)
        free(p.args_b)
        free(p.step_call)
        free(p.step_slot)
        free(p.step_infos)
        free(p.open_start)
        free(p.open_slot)
        free(p.open_call)
        free(p.info_call)
        free(p.info_previous)
        free(memo.entries)
        free(stack)


cdef tuple _run(
    Problem* p,
    Memo* memo,
    Frame** stack_out,
    int32_t step_count,
    double deadline,
    long long config_limit,
):
    cdef size_t depth = 0
    cdef size_t stack_capacity = 1024
    cdef Frame* stack = <Frame*>calloc(stack_capacity, sizeof(Frame))
    cdef Frame child
    cdef Frame* grown
    cdef long long explored = 1
    cdef int32_t furthest = 0
    cdef int visited
    stack_out[0] = stack
    if stack == NULL or _memo_init(memo, 1 << 12) != 0:
        raise MemoryError()
    _memo_visit(memo, 0, 0, 0, 0)
    arrivals = [(0, 0, 0, 0, -1)]
    stack[0].step = 0
    stack[0].state = 0
    stack[0].linearized = 0
    stack[0].used = 0
    stack[0].last = -1
    stack[0].cursor = 0
    depth = 1
    while depth > 0:
        if not _next(p, &stack[depth - 1], &child):
            depth -= 1
            continue
        if child.step == step_count:
            return "valid", child.step, child.state, [_config(&child)], explored
        visited = _memo_visit(memo, child.step, child.state, child.linearized, child.used)
        if visited < 0:
            raise MemoryError()
        if visited == 0:
            continue
        explored += 1
        if explored % _CLOCK_CHECK_EVERY == 0 and time.monotonic() > deadline:
            return "timeout", furthest, 0, arrivals, explored
        if explored > config_limit:
            return "config-limit", furthest, 0, arrivals, explored
        if child.step > furthest:
            furthest = child.step
            arrivals = [_config(&child)]
        elif (
            child.step == furthest
            and child.step > 0
            and child.last == p.step_call[child.step - 1]
            and len(arrivals) < ARRIVALS_KEPT
        ):
            arrivals.append(_config(&child))
        if depth == stack_capacity:
            grown = <Frame*>realloc(stack, 2 * stack_capacity * sizeof(Frame))
            if grown == NULL:
                raise MemoryError()
            stack = grown
            stack_out[0] = stack
            stack_capacity *= 2
        stack[depth] = child
        depth += 1
    return "invalid", furthest, 0, arrivals, explored
