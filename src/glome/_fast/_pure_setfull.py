"""set-full's sweep over elements and reads (pure twin of setfull.pyx).

The set-full checker (``glome.bench.checkers.set_full``) walks the history
and hands a ``Tracker`` every add invocation, add acknowledgement and ok
read, each with its position in the history. ``sightings`` then gives, per
element still tracked, where it became known and the invocations of the
newest reads that held it and that missed it: everything Jepsen's per-element
results need, as positions, so the checker looks the ops up itself.

For each element only the reads that completed after its (latest) add began
count. Done literally this touches every (read, element) pair: millions of
steps for a broadcast test whose every read returns every value. Here each
read lists only its smaller side, the tracked elements it missed or those it
held, and every step that touches many elements is a set or dict operation
run in C: building the read's set, finding its misses from the newest element
back, inverting the lists with ``dict.fromkeys``, and sweeping the reads from
the newest invocation down with set differences to find, per element, the
newest read that did not list it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import filterfalse, islice
from typing import Any

#: the position given for an element never known, held or missed
NOWHERE = -1
_MISS_SEARCH_SLACK = 64  # extra newest elements to look at before searching elsewhere
_INTEGERS = frozenset({int})


class _Element:
    """One added element: its value, where its add began, and where it became known."""

    __slots__ = ("known", "start", "value")

    def __init__(self, value: Any, start: int) -> None:
        self.value = value
        self.start = start  # history position of the add invocation
        self.known = NOWHERE


class _Read:
    """An ok read, and the side of it that was smaller: the tracked elements it
    missed, or the tracked elements it held."""

    __slots__ = ("completed_at", "invoked_at", "listed", "lists_misses")

    def __init__(
        self, invoked_at: int, completed_at: int, listed: tuple[_Element, ...], lists_misses: bool
    ) -> None:
        self.invoked_at = invoked_at
        self.completed_at = completed_at
        self.listed = listed
        self.lists_misses = lists_misses


class Tracker:
    """Elements and reads of one set-full history, fed in history order.

    ``key`` maps a value to a hashable stand-in, equal for values the checker
    counts as the same element; it must return an ``int`` unchanged.
    """

    def __init__(self, key: Callable[[Any], Any]) -> None:
        self._key = key
        self._elements: dict[Any, _Element] = {}  # add-invocation order
        self._element_keys: set[Any] = set()  # the same keys: set-to-set tests are faster
        self._unknown: dict[Any, _Element] = {}  # tracked elements not yet known
        self._reads: list[_Read] = []
        self._previous_misses: set[Any] = set()

    def add(self, value: Any, position: int) -> None:
        """An add of ``value`` invoked at ``position``: a re-add starts its tracking over."""
        key = self._key(value)
        element = _Element(value, position)
        self._elements.pop(key, None)  # a re-add starts over, at the end of the order
        self._elements[key] = element
        self._element_keys.add(key)
        self._unknown[key] = element

    def acknowledge(self, value: Any, position: int) -> None:
        """An ok add completion at ``position``: its element is known from here on."""
        element = self._unknown.pop(self._key(value), None)
        if element is not None:
            element.known = position

    def read(self, values: Iterable[Any] | None, invoked_at: int, completed_at: int) -> None:
        """An ok read invoked at ``invoked_at`` that returned ``values`` at ``completed_at``."""
        seen = self._read_keys(values)
        for key in self._unknown.keys() & seen:
            self._unknown.pop(key).known = completed_at
        tracked = self._elements
        keys = self._element_keys
        hits = len(seen) if seen <= keys else len(seen & keys)
        misses = len(tracked) - hits
        lists_misses = misses <= hits
        listed_keys: Iterable[Any]
        if lists_misses:
            listed_keys = self._misses(seen, misses)
        else:
            listed_keys = filter(tracked.__contains__, seen)
        listed = tuple(map(tracked.__getitem__, listed_keys))
        self._reads.append(_Read(invoked_at, completed_at, listed, lists_misses))

    def sightings(self) -> list[tuple[Any, int, int, int]]:
        """Per tracked element, in add order: its value, where it became known, and
        the invocations of the newest reads that held it and that missed it
        (``NOWHERE`` for none)."""
        elements = list(self._elements.values())
        listing_misses = [read for read in self._reads if read.lists_misses]
        listing_hits = [read for read in self._reads if not read.lists_misses]
        absent_in_miss_list = _newest_listing(listing_misses)
        present_in_hit_list = _newest_listing(listing_hits)
        present_elsewhere = _newest_not_listing(listing_misses, elements)
        absent_elsewhere = _newest_not_listing(listing_hits, elements)
        return [
            (
                element.value,
                element.known,
                max(
                    present_in_hit_list.get(element, NOWHERE),
                    present_elsewhere.get(element, NOWHERE),
                ),
                max(
                    absent_in_miss_list.get(element, NOWHERE),
                    absent_elsewhere.get(element, NOWHERE),
                ),
            )
            for element in elements
        ]

    def _read_keys(self, values: Iterable[Any] | None) -> set[Any]:
        if not values:
            return set()
        listed = values if type(values) is list else list(values)
        if set(map(type, listed)) <= _INTEGERS:  # the usual read: its values are its keys
            return set(listed)
        return set(map(self._key, listed))

    def _misses(self, seen: set[Any], count: int) -> set[Any]:
        """The ``count`` tracked keys missing from ``seen``, looked for where they
        usually are: among the previous read's misses (still spreading, or lost)
        and among the elements added since; the full set difference otherwise."""
        found = set(filterfalse(seen.__contains__, self._previous_misses))
        if len(found) < count:
            window = 2 * (count - len(found)) + _MISS_SEARCH_SLACK
            found.update(filterfalse(seen.__contains__, islice(reversed(self._elements), window)))
        if len(found) < count:
            found = self._element_keys - seen
        self._previous_misses = found
        return found


def _newest_listing(reads: list[_Read]) -> dict[_Element, int]:
    """For each element, the invocation of the newest read that lists it."""
    newest: dict[_Element, int] = {}
    for read in sorted(reads, key=lambda r: r.invoked_at):
        newest.update(dict.fromkeys(read.listed, read.invoked_at))
    return newest


def _newest_not_listing(reads: list[_Read], elements: list[_Element]) -> dict[_Element, int]:
    """For each element, the invocation of the newest read that completed after
    its add began and does not list it.

    Sweeping the reads from the newest invocation down, an element drops out of
    the open set at the first such read; the open set soon holds only elements
    that read after read lists, so each step is a set difference in C.
    Elements listed by every read that counts for them would never drop out;
    they are left out from the start.
    """
    listed_count: Counter[_Element] = Counter()
    for read in reads:
        listed_count.update(read.listed)
    completions = sorted(read.completed_at for read in reads)
    open_elements = {
        element
        for element in elements
        if listed_count[element] < len(completions) - bisect_right(completions, element.start)
    }
    ordered = sorted(reads, key=lambda r: r.invoked_at, reverse=True)
    latest_completion_from: list[int] = []  # over this read and all older ones
    latest = -1
    for read in reversed(ordered):
        latest = max(latest, read.completed_at)
        latest_completion_from.append(latest)
    latest_completion_from.reverse()
    found: dict[_Element, int] = {}
    for read, horizon in zip(ordered, latest_completion_from, strict=True):
        for element in open_elements.difference(read.listed):
            if element.start < read.completed_at:
                found[element] = read.invoked_at
                open_elements.discard(element)
            elif element.start >= horizon:  # began after every older read ended
                open_elements.discard(element)
        if not open_elements:
            break
    return found
