"""Integer sets for gossip state and their wire encoding (pure twin of bitset.pyx).

A broadcast node keeps which values it holds, and which each peer is known to
hold, as ``Bitset``s; gossip messages between glome nodes carry such sets as a
short JSON-safe string instead of a JSON list. This twin keeps a Python ``set``
(the fastest pure-Python structure for these operations); bitset.pyx keeps
machine words. Both give equal results and byte-identical encodings.

Values are integers from 0 to ``MAX_VALUE`` (2**63 - 1, the JSON integers a
Maelstrom client can send). ``changes`` counts every value added or removed
since the set was made, so a timer can remember the figure it last acted on
and stay silent while it is unchanged.

Set encoding, version 1
-----------------------
The string is one marker character naming the layout, then digits. A digit is
one character of the URL-safe base64 alphabet ``ALPHABET`` (A-Z a-z 0-9 - _),
standing for 0..63. Nothing needs escaping in JSON or a URL.

A *varint* is a run of digits, least significant group first: each digit
carries 5 payload bits (``digit & 31``) and ``digit & 32`` says another digit
follows. A varint has at most 13 digits and stays below 2**64.

The set is split into maximal runs of consecutive values; a *cursor* starts at 0.

``r`` runs: per run ``[start, end)`` one varint ``2 * (start - cursor) + long``
where ``long`` is 1 when the run has two or more values, then, when ``long``,
a varint ``end - start - 2``. The cursor becomes ``end + 1`` (runs are maximal,
so the next one starts at least there).

``d`` deltas: per value ``v`` ascending one varint ``v - cursor``; the cursor
becomes ``v + 1``.

``b`` bitmap: a varint ``first`` (the smallest value), then digits of 6 bits
each, bit ``i`` of digit ``k`` (after the varint) standing for value
``first + 6 * k + i``.

The empty set is ``"r"``. The encoder writes whichever layout is shortest, on
a tie the first of ``r``, ``d``, ``b``, so every set has exactly one encoding.
Decoders accept any well-formed string (the result is the same set) and raise
``ValueError`` on an unknown marker, a character outside the alphabet, a
truncated or oversized varint, a value above ``MAX_VALUE``, or more than
``max_count`` values (``DEFAULT_MAX_COUNT``, 2**20, unless the caller asks for
more: runs expand a few characters into many values, so the bound is the
decoder's, not the sender's). A later version takes a new marker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import index

MAX_VALUE = (1 << 63) - 1
DEFAULT_MAX_COUNT = 1 << 20
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
RUNS, DELTAS, BITMAP = "r", "d", "b"

_PAYLOAD_BITS = 5
_PAYLOAD_MASK = (1 << _PAYLOAD_BITS) - 1
_MORE = 1 << _PAYLOAD_BITS
_TOKEN_LIMIT = 1 << 64
_MAX_DIGITS = 13
_BITMAP_BITS = 6
_SCANNED_SLICE = 16
_INVALID = 255
_TO_DIGIT = bytes(
    ALPHABET.index(chr(byte)) if chr(byte) in ALPHABET else _INVALID for byte in range(256)
)
_TO_CHAR = ALPHABET.encode("ascii") + bytes(256 - len(ALPHABET))

Run = tuple[int, int]  # [start, end)


def _checked(value: object) -> int:
    """``value`` as an int, or ValueError when it is not a value a set may hold."""
    number = index(value)  # type: ignore[arg-type]
    if 0 <= number <= MAX_VALUE:
        return number
    raise ValueError(f"set values are integers from 0 to {MAX_VALUE}, not {number}")


def _checked_all(values: Iterable[int]) -> set[int]:
    """The values as a set of ints, all checked (nothing is added when one is out of range)."""
    items = list(values)
    try:
        numbers = set(map(index, items))
    except TypeError:
        for item in items:  # the first bad value decides the error, as in bitset.pyx
            _checked(item)
        raise
    if numbers:
        _checked(min(numbers))
        _checked(max(numbers))
    return numbers


def _held(value: object) -> int | None:
    """``value`` as an int when a set could hold it, else None (membership is then False)."""
    number = index(value)  # type: ignore[arg-type]
    return number if 0 <= number <= MAX_VALUE else None


class Bitset:
    """A growable set of integers in ``[0, MAX_VALUE]``, ascending when listed."""

    __slots__ = ("_changes", "_values")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, values: Iterable[int] = ()) -> None:
        self._values: set[int] = set()
        self._changes = 0
        self.add_many(values)

    @property
    def changes(self) -> int:
        """How many values were added or removed so far (compare it to a remembered figure)."""
        return self._changes

    def add(self, value: int) -> bool:
        """Add ``value``; True when it was not held before."""
        number = _checked(value)
        if number in self._values:
            return False
        self._values.add(number)
        self._changes += 1
        return True

    def add_many(self, values: Iterable[int]) -> int:
        """Add every value (all are checked before any is added); how many were new."""
        return self._absorb(_checked_all(values))

    def add_range(self, start: int, stop: int) -> int:
        """Add ``start .. stop - 1``; how many were new."""
        start, stop = index(start), index(stop)
        if stop <= start:
            return 0
        _checked(start)
        _checked(stop - 1)
        return self._absorb(set(range(start, stop)))

    def discard(self, value: int) -> bool:
        """Remove ``value``; True when it was held."""
        number = _held(value)
        if number is None or number not in self._values:
            return False
        self._values.remove(number)
        self._changes += 1
        return True

    def clear(self) -> None:
        self._changes += len(self._values)
        self._values.clear()

    def update(self, other: Bitset) -> int:
        """Add every value of ``other``; how many were new."""
        return self._absorb(_same_kind(other)._values - self._values)

    def update_new(self, other: Bitset) -> list[int]:
        """Add every value of ``other``; the new ones, ascending (to pass them on)."""
        new = _same_kind(other)._values - self._values
        self._absorb(new)
        return sorted(new)

    def difference(self, other: Bitset) -> Bitset:
        """The values held here and not in ``other`` (what a peer is not known to hold)."""
        return _from_set(self._values - _same_kind(other)._values)

    def difference_count(self, other: Bitset) -> int:
        """``len(self.difference(other))`` without building it."""
        return len(self._values - _same_kind(other)._values)

    def difference_update(self, other: Bitset) -> int:
        """Remove every value of ``other``; how many were removed."""
        gone = self._values & _same_kind(other)._values
        self._values -= gone
        self._changes += len(gone)
        return len(gone)

    def copy(self) -> Bitset:
        """An independent copy, with the same ``changes``."""
        twin = _from_set(set(self._values))
        twin._changes = self._changes
        return twin

    def to_list(self) -> list[int]:
        """The values ascending, as a plain list (for JSON replies)."""
        return sorted(self._values)

    def encode(self) -> str:
        """The set in the compact wire encoding (see the module docstring)."""
        return _encode_runs(_runs_of(self.to_list()))

    @staticmethod
    def decode(text: str, max_count: int = DEFAULT_MAX_COUNT) -> Bitset:
        """The set ``text`` encodes; ValueError when malformed or over ``max_count`` values."""
        values: set[int] = set()
        for start, end in _parse(text, max_count):
            values.update(range(start, end))
        return _from_set(values)

    def __contains__(self, value: object) -> bool:
        return _held(value) in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[int]:
        """Ascending, over a snapshot: the set may change during the loop."""
        return iter(self.to_list())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bitset):
            return NotImplemented
        return self._values == other._values

    def __repr__(self) -> str:
        values = self.to_list()
        if len(values) <= 8:
            return f"Bitset({values!r})"
        return f"Bitset(<{len(values)} values from {values[0]} to {values[-1]}>)"

    def _absorb(self, new: set[int]) -> int:
        before = len(self._values)
        self._values |= new
        added = len(self._values) - before
        self._changes += added
        return added


def _same_kind(other: object) -> Bitset:
    if isinstance(other, Bitset):
        return other
    raise TypeError(f"expected a Bitset, not {type(other).__name__}")


def _from_set(values: set[int]) -> Bitset:
    result = Bitset()
    result._values = values
    result._changes = len(values)
    return result


def encode_values(values: Iterable[int]) -> str:
    """The encoding of the set of ``values`` (any order, repeats allowed), without a Bitset."""
    return _encode_runs(_runs_of(sorted(_checked_all(values))))


def decode_values(text: str, max_count: int = DEFAULT_MAX_COUNT) -> list[int]:
    """The values ``text`` encodes, ascending, without a Bitset; ValueError when malformed."""
    values: list[int] = []
    for start, end in _parse(text, max_count):
        values.extend(range(start, end))
    return values


# -- encoding -----------------------------------------------------------------


def _runs_of(ascending: list[int]) -> list[Run]:
    """The maximal runs of a sorted list without repeats, found by halving.

    A slice whose ends lie as far apart as it is long is one run, so a nearly
    dense set (what gossip carries) costs a few steps per hole, not one per value;
    short slices are scanned, so a sparse set costs little more than one pass.
    """
    runs: list[Run] = []
    slices = [(0, len(ascending))]
    while slices:
        low, high = slices.pop()
        if low == high:
            continue
        if ascending[high - 1] - ascending[low] == high - 1 - low:
            _push_run(runs, ascending[low], ascending[high - 1] + 1)
        elif high - low <= _SCANNED_SLICE:
            for value in ascending[low:high]:
                _push_run(runs, value, value + 1)
        else:
            middle = (low + high) // 2
            slices += [(middle, high), (low, middle)]
    return runs


def _push_run(runs: list[Run], start: int, end: int) -> None:
    """Append ``[start, end)``, merged into the last run when they touch."""
    if runs and runs[-1][1] == start:
        runs[-1] = (runs[-1][0], end)
    else:
        runs.append((start, end))


def _digit_count(token: int) -> int:
    return max(1, (token.bit_length() + _PAYLOAD_BITS - 1) // _PAYLOAD_BITS)


def _layout_sizes(runs: list[Run]) -> tuple[int, int, int]:
    """Digits each layout needs for ``runs`` (the bitmap is impossible for the empty set)."""
    runs_size = deltas_size = 0
    runs_cursor = deltas_cursor = 0
    for start, end in runs:
        longer = end - start > 1
        runs_size += _digit_count(2 * (start - runs_cursor) + longer)
        if longer:
            runs_size += _digit_count(end - start - 2)
        deltas_size += _digit_count(start - deltas_cursor) + end - start - 1
        runs_cursor, deltas_cursor = end + 1, end
    if not runs:
        return runs_size, deltas_size, _TOKEN_LIMIT
    first, last_end = runs[0][0], runs[-1][1]
    bitmap_size = _digit_count(first) + (last_end - first + _BITMAP_BITS - 1) // _BITMAP_BITS
    return runs_size, deltas_size, bitmap_size


def _varint(token: int, out: bytearray) -> None:
    while token > _PAYLOAD_MASK:
        out.append(_MORE | (token & _PAYLOAD_MASK))
        token >>= _PAYLOAD_BITS
    out.append(token)


def _encode_runs(runs: list[Run]) -> str:
    sizes = _layout_sizes(runs)
    layout = (RUNS, DELTAS, BITMAP)[sizes.index(min(sizes))]
    digits = bytearray()
    if layout == RUNS:
        cursor = 0
        for start, end in runs:
            longer = end - start > 1
            _varint(2 * (start - cursor) + longer, digits)
            if longer:
                _varint(end - start - 2, digits)
            cursor = end + 1
    elif layout == DELTAS:
        cursor = 0
        for start, end in runs:
            _varint(start - cursor, digits)
            digits.extend(bytes(end - start - 1))
            cursor = end
    else:
        first = runs[0][0]
        _varint(first, digits)
        cells = bytearray(sizes[2] - len(digits))
        for start, end in runs:
            for offset in range(start - first, end - first):
                cells[offset // _BITMAP_BITS] |= 1 << (offset % _BITMAP_BITS)
        digits += cells
    return layout + digits.translate(_TO_CHAR).decode("ascii")


# -- decoding -----------------------------------------------------------------


def _read_varint(digits: bytes, position: int) -> tuple[int, int]:
    """The varint at ``position`` and the position after it."""
    token = shift = 0
    for count in range(_MAX_DIGITS):
        if position >= len(digits):
            raise ValueError("set encoding ends inside a varint")
        digit = digits[position]
        position += 1
        token |= (digit & _PAYLOAD_MASK) << shift
        shift += _PAYLOAD_BITS
        if not digit & _MORE:
            if token >= _TOKEN_LIMIT:
                break
            return token, position
        if count == _MAX_DIGITS - 1:
            break
    raise ValueError("set encoding has a varint above 2**64")


class _Counter:
    """Bounds the values a decode may produce, so a short string cannot demand a huge set."""

    __slots__ = ("count", "limit")

    def __init__(self, limit: int) -> None:
        self.count, self.limit = 0, limit

    def take(self, start: int, end: int) -> None:
        if end - 1 > MAX_VALUE:
            raise ValueError(f"set encoding holds a value above {MAX_VALUE}")
        self.count += end - start
        self.check(self.count)

    def check(self, count: int) -> None:
        if count > self.limit:
            raise ValueError(f"set encoding holds more than {self.limit} values")


def _parse(text: str, max_count: int) -> list[Run]:
    """The maximal runs ``text`` encodes, ascending."""
    if not isinstance(text, str):
        raise TypeError(f"a set encoding is a str, not {type(text).__name__}")
    if not text:
        raise ValueError("empty set encoding")
    try:
        digits = text[1:].encode("ascii").translate(_TO_DIGIT)
    except UnicodeEncodeError:
        raise ValueError("set encoding has a character outside its alphabet") from None
    if _INVALID in digits:
        raise ValueError("set encoding has a character outside its alphabet")
    counter = _Counter(max_count)
    layout = text[0]
    if layout == RUNS:
        return _parse_runs(digits, counter)
    if layout == DELTAS:
        return _parse_deltas(digits, counter)
    if layout == BITMAP:
        return _parse_bitmap(digits, counter)
    raise ValueError(f"unknown set encoding marker {layout!r}")


def _parse_runs(digits: bytes, counter: _Counter) -> list[Run]:
    runs: list[Run] = []
    position = cursor = 0
    while position < len(digits):
        token, position = _read_varint(digits, position)
        start = cursor + (token >> 1)
        end = start + 1
        if token & 1:
            extra, position = _read_varint(digits, position)
            end += 1 + extra
        counter.take(start, end)
        runs.append((start, end))
        cursor = end + 1
    return runs


def _parse_deltas(digits: bytes, counter: _Counter) -> list[Run]:
    runs: list[Run] = []
    position = cursor = 0
    while position < len(digits):
        token, position = _read_varint(digits, position)
        value = cursor + token
        counter.take(value, value + 1)
        _push_run(runs, value, value + 1)
        cursor = value + 1
    return runs


def _parse_bitmap(digits: bytes, counter: _Counter) -> list[Run]:
    runs: list[Run] = []
    first, position = _read_varint(digits, 0)
    counter.check(int.from_bytes(digits[position:], "little").bit_count())  # before the slow loop
    for cell_index in range(len(digits) - position):
        cell = digits[position + cell_index]
        base = first + cell_index * _BITMAP_BITS
        for bit in range(_BITMAP_BITS):
            if cell >> bit & 1:
                counter.take(base + bit, base + bit + 1)
                _push_run(runs, base + bit, base + bit + 1)
    return runs
