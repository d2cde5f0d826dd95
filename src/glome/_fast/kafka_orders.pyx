# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The per-key indexes of the kafka checker, compiled (twin of _pure_kafka_orders.py).

The same walks over the same lists and dicts, in the same order, with the loops
in C: a poll's lists are checked and kept in one pass, dict lookups go straight
to the C API, and dense indexes are C integers. Offsets and times stay Python
ints, since a node may hand out offsets wider than 64 bits.
"""

from bisect import bisect_left

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

# the constants are the pure twin's
from glome._fast._pure_kafka_orders import NOT_FOUND

cdef Py_ssize_t _NOT_FOUND = NOT_FOUND


cdef inline bint _frozen(object value):
    """Whether ``value`` needs no freezing (an int or a str)."""
    return type(value) is int or type(value) is str


cdef list _kept(object pairs):
    """``pairs`` itself when it can be kept as it is (see the pure twin's _plain), else None."""
    cdef object pair
    if type(pairs) is not list:
        return None
    for pair in <list>pairs:
        if type(pair) is not list or len(<list>pair) != 2 or not _frozen((<list>pair)[1]):
            return None
    return <list>pairs


def read_poll(object messages, dict reads, dict highest, dict returned, object freeze):
    cdef object raw_key, pairs, key, top, offset, message, pair, held
    cdef PyObject* found
    cdef set seen
    cdef list kept
    for raw_key, pairs in messages.items():
        key = raw_key if _frozen(raw_key) else freeze(raw_key)
        top = highest.get(key, NOT_FOUND)
        found = PyDict_GetItem(returned, key)
        if found is NULL:
            seen = set()
            returned[key] = seen
        else:
            seen = <set>found
        if pairs:
            kept = _kept(pairs)
            if kept is None:
                kept = [
                    (offset, message if _frozen(message) else freeze(message))
                    for offset, message in pairs
                ]
            for pair in kept:
                offset = pair[0]
                if type(offset) is int and offset > top:
                    top = offset
                seen.add(pair[1])
            held = reads.get(key)
            reads[key] = kept if held is None else held + kept
        highest[key] = top


cdef class _Logs:
    """key -> offset -> the first message seen there; (key, offset) -> all when several."""

    cdef dict logs
    cdef dict conflicts

    def __cinit__(self):
        self.logs = {}
        self.conflicts = {}

    cdef inline void record(self, object key, object offset, object message) except *:
        cdef PyObject* found
        cdef dict log
        cdef object present
        if type(offset) is not int or offset < 0:
            return
        found = PyDict_GetItem(self.logs, key)
        if found is NULL:
            log = {}
            self.logs[key] = log
        else:
            log = <dict>found
        found = PyDict_GetItem(log, offset)
        if found is NULL:
            log[offset] = message
            return
        present = <object>found
        if present != message:
            self.conflicts.setdefault((key, offset), {present}).add(message)


def version_orders(list writes, list reads, object sort_values):
    cdef _Logs logs = _Logs()
    cdef object sent, polled, key, offset, message, pairs, pair, several
    cdef dict log, index_of, first_index, first_offset, repeated, orders = {}
    cdef list offsets, by_index, held, inconsistent = [], duplicates = []
    cdef Py_ssize_t index
    for sent in writes:
        for key, offset, message in sent:
            logs.record(key, offset, message)
    for polled in reads:
        for key, pairs in (<dict>polled).items():
            for pair in pairs:
                offset, message = pair
                logs.record(key, offset, message)
    for key, log in logs.logs.items():
        offsets = sorted(log)
        by_index = []
        index_of = {}
        first_index = {}
        first_offset = {}
        repeated = {}
        for index in range(len(offsets)):
            offset = offsets[index]
            several = logs.conflicts.get((key, offset)) if logs.conflicts else None
            if several:
                held = sort_values(several)
                inconsistent.append((key, offset, index, held))
            else:
                held = [log[offset]]
            by_index.append(held[0])
            for message in held:
                if message in first_index:
                    repeated.setdefault(message, [first_offset[message]]).append(offset)
                else:
                    first_index[message] = index
                    first_offset[message] = offset
                index_of[message] = index
        orders[key] = (offsets, by_index, index_of, first_index)
        for message, held in repeated.items():
            duplicates.append((key, message, held))
    return orders, inconsistent, duplicates


def irregular_steps(list reads, dict index_of):
    cdef list found = []
    cdef object polled, key, pairs
    cdef PyObject* indexes
    cdef PyObject* at
    cdef Py_ssize_t number, position, index, previous
    for number in range(len(reads)):
        polled = reads[number]
        for key, pairs in (<dict>polled).items():
            indexes = PyDict_GetItem(index_of, key)
            if indexes is NULL:
                continue
            previous = _NOT_FOUND
            for position in range(len(pairs)):
                at = PyDict_GetItem(<dict>indexes, pairs[position][1])
                index = _NOT_FOUND if at is NULL else <Py_ssize_t>(<object>at)
                if index != _NOT_FOUND and previous != _NOT_FOUND and index - previous != 1:
                    found.append((number, key, position))
                previous = index
    return found


def match_reads(list reads, list completed, dict writers):
    cdef list unwritten = [], future = []
    cdef bint any_match = False
    cdef object polled, key, pairs, writer
    cdef PyObject* by_message
    cdef PyObject* found
    cdef Py_ssize_t number, position, done
    for number in range(len(reads)):
        polled = reads[number]
        done = completed[number]
        for key, pairs in (<dict>polled).items():
            by_message = PyDict_GetItem(writers, key)
            for position in range(len(pairs)):
                found = NULL if by_message is NULL else PyDict_GetItem(
                    <dict>by_message, pairs[position][1]
                )
                if found is NULL:
                    unwritten.append((number, key, position))
                    continue
                any_match = True
                writer = <object>found
                if done < writer.inv_pos:
                    future.append((number, key, position, writer))
    return unwritten, future, any_match


cdef inline object _last(list values):
    return values[len(values) - 1]


def known_offsets(list steps):
    cdef dict known = {}
    cdef object time, highest, key, offset
    cdef PyObject* found
    cdef tuple entry
    for time, highest in steps:
        for key, offset in (<dict>highest).items():
            if offset < 0:
                continue
            found = PyDict_GetItem(known, key)
            if found is NULL:
                known[key] = ([offset], [time])
                continue
            entry = <tuple>found
            if offset > _last(<list>entry[0]):
                (<list>entry[0]).append(offset)
                (<list>entry[1]).append(time)
    return known


cdef object _due(dict known, object key, object offset):
    """When the offset after ``offset`` became known, or None if it never did."""
    cdef PyObject* found = PyDict_GetItem(known, key)
    cdef tuple entry
    if found is NULL:
        return None
    entry = <tuple>found
    if offset >= _last(<list>entry[0]):
        return None
    return (<list>entry[1])[bisect_left(entry[0], offset + 1)]


def worst_lag(list steps, dict known):
    cdef object worst = None, worst_time = 0, process, started, offsets, assigned
    cdef object key, offset, due, later
    cdef dict held_by = {}, held, before
    cdef PyObject* found
    cdef tuple previous
    for process, started, offsets, assigned in steps:
        if assigned:
            found = PyDict_GetItem(held_by, process)
            before = {} if found is NULL else <dict>found
            held = {}
            for key in offsets:
                found = PyDict_GetItem(before, key)
                held[key] = (
                    (_NOT_FOUND, _due(known, key, NOT_FOUND)) if found is NULL else <object>found
                )
            held_by[process] = held
            continue
        found = PyDict_GetItem(held_by, process)
        if found is NULL:
            held = {}
            held_by[process] = held
        else:
            held = <dict>found
        for key, offset in (<dict>offsets).items():
            found = PyDict_GetItem(held, key)
            if found is NULL or offset > (<tuple>found)[0]:
                held[key] = (offset, _due(known, key, offset))
        if worst is None and held:
            worst = (0, started, process, next(iter(held)))
        later = started - worst_time  # a key lags more than the worst when due before this
        for key, previous in held.items():
            due = previous[1]
            if due is not None and due < later:
                later = due
                worst_time = started - due
                worst = (worst_time, started, process, key)
    return worst
