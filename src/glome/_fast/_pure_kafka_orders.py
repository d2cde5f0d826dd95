"""The per-key indexes of the kafka checker (pure-Python twin of kafka_orders.pyx).

Every analysis of a kafka history walks the same per-key data: what each poll
returned, which message sits at which offset of each log, and from when each
offset was known to exist. Building and walking those indexes is the
checker's hot path, so it lives here, over plain lists and dicts; the checker
(``glome.bench.checkers.kafka``) turns what these functions find into its
error reports. Keys and messages are the checker's frozen values: ints, strs
or hashable stand-ins for other JSON.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

#: the dense index of a message no log holds, and the offset of a key read empty
NOT_FOUND = -1

Key = Any
Message = Any
Pair = Sequence[Any]  # [offset, message] as a poll returned it
#: dense index -> offset, dense index -> message, message -> last and first dense index
KeyOrder = tuple[list[int], list[Message], dict[Message, int], dict[Message, int]]
Known = dict[Key, tuple[list[int], list[int]]]


def _frozen(value: Any, freeze: Callable[[Any], Any]) -> Any:
    """``value`` frozen: ints and strs are already."""
    kind = type(value)
    return value if kind is int or kind is str else freeze(value)


def _plain(pairs: Any) -> bool:
    """Whether a poll's list for a key can be kept as it is: ``[offset, message]``
    lists whose messages are ints or strs (frozen already)."""
    if type(pairs) is not list:
        return False
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2:
            return False
        kind = type(pair[1])
        if kind is not int and kind is not str:
            return False
    return True


def read_poll(
    messages: dict[Any, Any],
    reads: dict[Key, list[Pair]],
    highest: dict[Key, int],
    returned: dict[Key, set[Message]],
    freeze: Callable[[Any], Any],
) -> None:
    """Fold one ok poll micro-op's ``{key: [[offset, message], ...]}`` into the
    poll's ``reads`` (key -> non-empty list of pairs, messages frozen) and
    ``highest`` (key -> the highest int offset returned, ``NOT_FOUND`` when none),
    and into the history's ``returned`` (key -> every message returned; keys in
    the order polls first returned them, with or without messages).

    ``freeze`` is applied to keys and messages other than ints and strs, which
    are frozen already. A list that needs no freezing is kept, not copied (and
    never modified)."""
    for raw_key, pairs in messages.items():
        key = _frozen(raw_key, freeze)
        top = highest.get(key, NOT_FOUND)
        seen = returned.get(key)
        if seen is None:
            seen = returned[key] = set()
        if pairs:
            if _plain(pairs):
                kept: list[Pair] = pairs
            else:
                kept = [(offset, _frozen(message, freeze)) for offset, message in pairs]
            for pair in kept:
                offset = pair[0]
                if type(offset) is int and offset > top:
                    top = offset
                seen.add(pair[1])
            held = reads.get(key)
            reads[key] = kept if held is None else held + kept
        highest[key] = top


def version_orders(
    writes: list[list[tuple[Key, Any, Message]]],
    reads: list[dict[Key, list[Pair]]],
    sort_values: Callable[[Any], list[Message]],
) -> tuple[
    dict[Key, KeyOrder],
    list[tuple[Key, int, int, list[Message]]],
    list[tuple[Key, Message, list[int]]],
]:
    """Each key's version order from the ``(key, offset, message)`` writes of ok
    sends and the reads of ok polls, with the offsets holding several messages
    (key, offset, dense index, messages sorted by ``sort_values``) and the
    messages stored at several offsets (key, message, offsets)."""
    logs: dict[Key, dict[int, Message]] = {}
    conflicts: dict[tuple[Key, int], set[Message]] = {}

    def record(key: Key, offset: Any, message: Message) -> None:
        if type(offset) is not int or offset < 0:
            return
        log = logs.get(key)
        if log is None:
            log = logs[key] = {}
        present = log.get(offset)
        if present is None:
            log[offset] = message
        elif present != message:
            conflicts.setdefault((key, offset), {present}).add(message)

    for sent in writes:
        for key, offset, message in sent:
            record(key, offset, message)
    for polled in reads:
        for key, pairs in polled.items():
            for offset, message in pairs:
                record(key, offset, message)

    orders: dict[Key, KeyOrder] = {}
    inconsistent: list[tuple[Key, int, int, list[Message]]] = []
    duplicates: list[tuple[Key, Message, list[int]]] = []
    for key, log in logs.items():
        offsets = sorted(log)
        by_index: list[Message] = []
        index_of: dict[Message, int] = {}
        first_index: dict[Message, int] = {}
        first_offset: dict[Message, int] = {}
        repeated: dict[Message, list[int]] = {}
        for index, offset in enumerate(offsets):
            several = conflicts.get((key, offset)) if conflicts else None
            held = sort_values(several) if several else [log[offset]]
            if several:
                inconsistent.append((key, offset, index, held))
            by_index.append(held[0])
            for message in held:
                if message in first_index:
                    repeated.setdefault(message, [first_offset[message]]).append(offset)
                else:
                    first_index[message] = index
                    first_offset[message] = offset
                index_of[message] = index
        orders[key] = (offsets, by_index, index_of, first_index)
        duplicates.extend((key, message, at) for message, at in repeated.items())
    return orders, inconsistent, duplicates


def irregular_steps(
    reads: list[dict[Key, list[Pair]]], index_of: dict[Key, dict[Message, int]]
) -> list[tuple[int, Key, int]]:
    """(poll number, key, position) of each message a poll returned right after
    one that is not its predecessor in the version order (both indexes known)."""
    found: list[tuple[int, Key, int]] = []
    for number, polled in enumerate(reads):
        for key, pairs in polled.items():
            indexes = index_of.get(key)
            if indexes is None:
                continue
            previous = NOT_FOUND
            for position, pair in enumerate(pairs):
                index = indexes.get(pair[1], NOT_FOUND)
                if index != NOT_FOUND and previous != NOT_FOUND and index - previous != 1:
                    found.append((number, key, position))
                previous = index
    return found


def match_reads(
    reads: list[dict[Key, list[Pair]]], completed: list[int], writers: dict[Key, dict[Message, Any]]
) -> tuple[list[tuple[int, Key, int]], list[tuple[int, Key, int, Any]], bool]:
    """Each message of each poll's ``reads`` matched with its writer (key -> message
    -> an op with an ``inv_pos``): the (poll number, key, position) of each message
    no writer carried; the same and the writer for each message whose writer was
    invoked after the poll completed (at ``completed[poll number]``); and whether
    any message has a writer."""
    unwritten: list[tuple[int, Key, int]] = []
    future: list[tuple[int, Key, int, Any]] = []
    any_match = False
    for number, polled in enumerate(reads):
        done = completed[number]
        for key, pairs in polled.items():
            by_message = writers.get(key, {})
            for position, pair in enumerate(pairs):
                writer = by_message.get(pair[1])
                if writer is None:
                    unwritten.append((number, key, position))
                    continue
                any_match = True
                if done < writer.inv_pos:
                    future.append((number, key, position, writer))
    return unwritten, future, any_match


def known_offsets(steps: list[tuple[int, dict[Key, int]]]) -> Known:
    """key -> (offsets, times) from each ok or indeterminate op's (completion time,
    highest offset per key), in completion order: offset o is known to exist from
    the time of the first step whose offset is >= o (steps strictly increase)."""
    known: Known = {}
    for time, highest in steps:
        for key, offset in highest.items():
            if offset < 0:
                continue
            entry = known.get(key)
            if entry is None:
                known[key] = ([offset], [time])
            elif offset > entry[0][-1]:
                entry[0].append(offset)
                entry[1].append(time)
    return known


def _due(known: Known, key: Key, offset: int) -> int | None:
    """When the offset after ``offset`` became known, or None if it never did."""
    entry = known.get(key)
    if entry is None or offset >= entry[0][-1]:
        return None
    return entry[1][bisect_left(entry[0], offset + 1)]


def worst_lag(
    steps: list[tuple[Any, int, Any, bool]], known: Known
) -> tuple[int, int, Any, Key] | None:
    """(lag, invocation time, process, key) of the first poll with the largest lag.

    ``steps`` holds, in completion order, each ok poll as (process, invocation
    time, highest offset per key, False) and each ok assign as (process, _, keys,
    True). A process holds, per assigned or read key, the highest offset it read
    (``NOT_FOUND`` before any); a poll lags on a key by its invocation time minus
    the time the next offset became known. None when no poll held a key."""
    worst: tuple[int, int, Any, Key] | None = None
    worst_time = 0
    held_by: dict[Any, dict[Key, tuple[int, int | None]]] = {}
    for process, started, offsets, assigned in steps:
        if assigned:
            before = held_by.get(process, {})
            held_by[process] = {
                key: before.get(key) or (NOT_FOUND, _due(known, key, NOT_FOUND)) for key in offsets
            }
            continue
        held = held_by.get(process)
        if held is None:
            held = held_by[process] = {}
        for key, offset in offsets.items():
            previous = held.get(key)
            if previous is None or offset > previous[0]:
                held[key] = (offset, _due(known, key, offset))
        if worst is None and held:
            worst = (0, started, process, next(iter(held)))
        later = started - worst_time  # a key lags more than the worst when due before this
        for key, (_, due) in held.items():
            if due is not None and due < later:
                later = due
                worst_time = started - due
                worst = (worst_time, started, process, key)
    return worst
