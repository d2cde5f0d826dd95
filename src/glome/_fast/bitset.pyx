"""Sets of non-negative integers for gossip state, and their wire encoding (compiled).

The same API, results and encodings as the pure twin ``_pure_bitset``, whose
docstring specifies the set encoding (version 1, layouts ``r``, ``d``, ``b``).

Values below ``2**23`` (a few million: broadcast values are handed out from 0)
live in a growable array of 64-bit words, so union, difference and listing run
a word at a time; the rare larger value lives in a Python set beside it, so a
stray huge value costs one entry, not gigabytes of words.
"""

cimport cython
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.ref cimport Py_INCREF
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport qsort
from libc.string cimport memcmp, memcpy, memset

from operator import index

cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil
    int __builtin_clzll(unsigned long long) nogil

cdef extern from "Python.h":
    long long PyLong_AsLongLongAndOverflow(object, int*) except? -1
    object PyUnicode_New(Py_ssize_t, unsigned int)
    uint8_t* PyUnicode_1BYTE_DATA(object)

cdef inline int _popcount(uint64_t word) noexcept nogil:
    """The set bits of ``word``, counted in registers: without -mpopcnt the compiler's
    builtin is a library call per word, which gossip merges make by the thousand."""
    word = word - ((word >> 1) & 0x5555555555555555ULL)
    word = (word & 0x3333333333333333ULL) + ((word >> 2) & 0x3333333333333333ULL)
    word = (word + (word >> 4)) & 0x0F0F0F0F0F0F0F0FULL
    return <int>((word * 0x0101010101010101ULL) >> 56)


# the encoding's constants are the pure twin's: bound to C variables once, here
from glome._fast._pure_bitset import (
    _BITMAP_BITS,
    _INVALID,
    _MAX_DIGITS,
    _MORE,
    _PAYLOAD_BITS,
    _PAYLOAD_MASK,
    ALPHABET,
    BITMAP,
    DEFAULT_MAX_COUNT,
    DELTAS,
    MAX_VALUE,
    RUNS,
)

cdef enum:  # this module's own layout, which the pure twin does not have
    WORD_BITS = 64
    DENSE_WORDS = 1 << 17
    DENSE_LIMIT = DENSE_WORDS * WORD_BITS
    SHARED_INTS = 1 << 17

cdef int PAYLOAD_BITS = _PAYLOAD_BITS
cdef uint64_t PAYLOAD_MASK = _PAYLOAD_MASK
cdef uint64_t MORE = _MORE
cdef int MAX_DIGITS = _MAX_DIGITS
cdef int BITMAP_BITS = _BITMAP_BITS
cdef uint8_t INVALID = _INVALID
cdef uint64_t C_MAX_VALUE = MAX_VALUE
cdef uint64_t ALL = ~(<uint64_t>0)
cdef uint8_t TO_CHAR[64]
cdef uint8_t TO_DIGIT[256]


cdef int _build_tables() except -1:
    memset(TO_DIGIT, INVALID, sizeof(TO_DIGIT))
    for digit, char in enumerate(ALPHABET.encode("ascii")):
        TO_CHAR[digit] = char
        TO_DIGIT[char] = digit
    return 0


_build_tables()


@cython.final
cdef class _Vector:
    """A growable array of uint64 (values, or runs as start/end pairs) freed with its owner."""

    cdef uint64_t* data
    cdef Py_ssize_t size
    cdef Py_ssize_t capacity

    def __dealloc__(self):
        PyMem_Free(self.data)

    cdef int reserve(self, Py_ssize_t capacity) except -1:
        cdef uint64_t* grown
        if capacity > self.capacity:
            grown = <uint64_t*>PyMem_Realloc(self.data, capacity * sizeof(uint64_t))
            if grown == NULL:
                raise MemoryError()
            self.data = grown
            self.capacity = capacity
        return 0

    cdef inline int push(self, uint64_t item) except -1:
        if self.size == self.capacity:
            self.reserve(max(16, 2 * self.capacity))
        self.data[self.size] = item
        self.size += 1
        return 0

    cdef int push_run(self, uint64_t start, uint64_t end) except -1:
        """Append ``[start, end)``, merged into the last run when they touch."""
        if self.size and self.data[self.size - 1] == start:
            self.data[self.size - 1] = end
            return 0
        self.push(start)
        return self.push(end)


cdef inline uint64_t _checked(object value) except? 0xFFFFFFFFFFFFFFFF:
    """``value`` as a uint64, or ValueError when it is not a value a set may hold."""
    cdef int overflow = 0
    cdef long long number = PyLong_AsLongLongAndOverflow(value, &overflow)
    if number < 0 or overflow:
        raise ValueError(f"set values are integers from 0 to {MAX_VALUE}, not {int(value)}")
    return <uint64_t>number


cdef inline bint _held(object value, uint64_t* number) except -1:
    """Whether a set could hold ``value`` (membership is False otherwise); sets ``number``."""
    cdef int overflow = 0
    cdef long long converted = PyLong_AsLongLongAndOverflow(value, &overflow)
    if converted < 0 or overflow:
        return False
    number[0] = <uint64_t>converted
    return True


cdef _Vector _checked_all(object values):
    """The values in their order, all checked before anything is done with them."""
    cdef _Vector result = _Vector()
    if isinstance(values, (list, tuple)):
        result.reserve(len(values))
    for value in values:
        result.push(_checked(value))
    return result


cdef _Vector _ascending_runs(_Vector values):
    """The maximal runs of ``values`` (sorted in place when they are not ascending)."""
    cdef _Vector runs = _Vector()
    cdef Py_ssize_t i
    for i in range(1, values.size):
        if values.data[i] <= values.data[i - 1]:
            qsort(values.data, values.size, sizeof(uint64_t), _compare)
            break
    for i in range(values.size):
        if not runs.size or values.data[i] >= runs.data[runs.size - 1]:
            runs.push_run(values.data[i], values.data[i] + 1)
    return runs


cdef int _compare(const void* a, const void* b) noexcept nogil:
    cdef uint64_t left = (<const uint64_t*>a)[0]
    cdef uint64_t right = (<const uint64_t*>b)[0]
    return (left > right) - (left < right)


cdef list _SHARED_INTS = []


cdef int _share_ints_below(uint64_t end) except -1:
    """Lets ``_int`` hand out one shared object for each value below ``end`` (up to SHARED_INTS).

    Listing a set then costs a reference per value instead of a new int, as it
    does for the pure twin, whose set already holds its int objects.
    """
    cdef Py_ssize_t have = len(_SHARED_INTS)
    cdef Py_ssize_t want = <Py_ssize_t>min(end, <uint64_t>SHARED_INTS)
    if want > have:
        _SHARED_INTS.extend(range(have, max(want, min(2 * have, SHARED_INTS))))
    return 0


cdef inline object _int(uint64_t value):
    if value < <uint64_t>len(_SHARED_INTS):
        return _SHARED_INTS[value]
    return value


cdef inline void _put(object result, Py_ssize_t position, object item):
    """Fills slot ``position`` of a list fresh from PyList_New (which steals a reference)."""
    Py_INCREF(item)
    PyList_SET_ITEM(result, position, item)


cdef inline uint64_t _low_mask(uint64_t bit):
    """Ones from ``bit`` (0..63) upwards."""
    return ALL << bit


@cython.final
cdef class Bitset:
    """A growable set of integers in ``[0, MAX_VALUE]``, ascending when listed."""

    cdef uint64_t* _words
    cdef Py_ssize_t _capacity
    cdef Py_ssize_t _dense_count
    cdef set _outliers
    cdef Py_ssize_t _changes

    __hash__ = None

    def __cinit__(self):
        self._outliers = set()

    def __dealloc__(self):
        PyMem_Free(self._words)

    def __init__(self, values=()):
        self.add_many(values)

    @property
    def changes(self):
        """How many values were added or removed so far (compare it to a remembered figure)."""
        return self._changes

    # -- storage --------------------------------------------------------------

    cdef int _reserve(self, Py_ssize_t words) except -1:
        """Room for ``words`` words (at most DENSE_WORDS), new ones zero."""
        cdef Py_ssize_t capacity
        cdef uint64_t* grown
        if words <= self._capacity:
            return 0
        capacity = min(max(words, 2 * self._capacity, 4), DENSE_WORDS)
        grown = <uint64_t*>PyMem_Realloc(self._words, capacity * sizeof(uint64_t))
        if grown == NULL:
            raise MemoryError()
        memset(grown + self._capacity, 0, (capacity - self._capacity) * sizeof(uint64_t))
        self._words = grown
        self._capacity = capacity
        return 0

    cdef Py_ssize_t _used(self):
        """Words up to the last nonzero one."""
        cdef Py_ssize_t used = self._capacity
        while used and self._words[used - 1] == 0:
            used -= 1
        return used

    cdef bint _add_one(self, uint64_t value) except -1:
        cdef uint64_t bit
        cdef Py_ssize_t word
        if value >= DENSE_LIMIT:
            if value in self._outliers:
                return False
            self._outliers.add(value)
        else:
            word = value >> 6
            bit = <uint64_t>1 << (value & 63)
            if word < self._capacity and self._words[word] & bit:
                return False
            self._reserve(word + 1)
            self._words[word] |= bit
            self._dense_count += 1
        self._changes += 1
        return True

    cdef Py_ssize_t _add_run(self, uint64_t start, uint64_t end) except -1:
        """Add ``[start, end)`` a word at a time below DENSE_LIMIT; how many were new."""
        cdef uint64_t dense_end = min(end, <uint64_t>DENSE_LIMIT)
        cdef Py_ssize_t word, first_word, last_word, added = 0
        cdef uint64_t mask, new
        if start < dense_end:
            first_word = start >> 6
            last_word = (dense_end - 1) >> 6
            self._reserve(last_word + 1)
            for word in range(first_word, last_word + 1):
                mask = ALL
                if word == first_word:
                    mask &= _low_mask(start & 63)
                if word == last_word:
                    mask &= ALL >> (63 - ((dense_end - 1) & 63))
                new = mask & ~self._words[word]
                added += _popcount(new)
                self._words[word] |= new
            self._dense_count += added
            start = dense_end
        while start < end:
            if start not in self._outliers:
                self._outliers.add(start)
                added += 1
            start += 1
        self._changes += added
        return added

    cdef Py_ssize_t _add_runs(self, _Vector runs) except -1:
        cdef Py_ssize_t i, added = 0
        if runs.size:
            self._reserve(min((runs.data[runs.size - 1] + 63) >> 6, <uint64_t>DENSE_WORDS))
        for i in range(0, runs.size, 2):
            added += self._add_run(runs.data[i], runs.data[i + 1])
        return added

    # -- single values ------------------------------------------------------------

    def add(self, value):
        """Add ``value``; True when it was not held before."""
        return self._add_one(_checked(value))

    def add_many(self, values):
        """Add every value (all are checked before any is added); how many were new."""
        cdef _Vector checked = _checked_all(values)
        cdef Py_ssize_t i, added = 0
        cdef uint64_t largest = 0
        for i in range(checked.size):
            largest = max(largest, checked.data[i])
        if checked.size:
            self._reserve(min(largest >> 6, <uint64_t>DENSE_WORDS - 1) + 1)
        for i in range(checked.size):
            added += self._add_one(checked.data[i])
        return added

    def add_range(self, start, stop):
        """Add ``start .. stop - 1``; how many were new."""
        start, stop = index(start), index(stop)
        if stop <= start:
            return 0
        return self._add_run(_checked(start), _checked(stop - 1) + 1)

    def discard(self, value):
        """Remove ``value``; True when it was held."""
        cdef uint64_t number, bit
        if not _held(value, &number):
            return False
        if number >= DENSE_LIMIT:
            if number not in self._outliers:
                return False
            self._outliers.remove(number)
        else:
            bit = <uint64_t>1 << (number & 63)
            if <Py_ssize_t>(number >> 6) >= self._capacity or not self._words[number >> 6] & bit:
                return False
            self._words[number >> 6] &= ~bit
            self._dense_count -= 1
        self._changes += 1
        return True

    def clear(self):
        self._changes += len(self)
        if self._capacity:
            memset(self._words, 0, self._capacity * sizeof(uint64_t))
        self._dense_count = 0
        self._outliers.clear()

    def __contains__(self, value):
        cdef uint64_t number
        if not _held(value, &number):
            return False
        if number >= DENSE_LIMIT:
            return number in self._outliers
        if <Py_ssize_t>(number >> 6) >= self._capacity:
            return False
        return (self._words[number >> 6] >> (number & 63)) & 1 == 1

    def __len__(self):
        return self._dense_count + len(self._outliers)

    # -- whole sets -----------------------------------------------------------------

    def update(self, Bitset other not None):
        """Add every value of ``other``; how many were new."""
        cdef Py_ssize_t word, used = other._used(), added = 0
        cdef uint64_t new
        self._reserve(used)
        for word in range(used):
            new = other._words[word] & ~self._words[word]
            if new:
                added += _popcount(new)
                self._words[word] |= new
        self._dense_count += added
        new_outliers = other._outliers - self._outliers
        self._outliers |= new_outliers
        added += len(new_outliers)
        self._changes += added
        return added

    def update_new(self, Bitset other not None):
        """Add every value of ``other``; the new ones, ascending (to pass them on)."""
        cdef Bitset new = other.difference(self)
        self.update(new)
        return new.to_list()

    def difference(self, Bitset other not None):
        """The values held here and not in ``other`` (what a peer is not known to hold)."""
        cdef Bitset result = Bitset()
        cdef Py_ssize_t word, used = self._used(), shared
        cdef uint64_t kept
        shared = min(used, other._capacity)
        result._reserve(used)
        for word in range(used):
            kept = self._words[word]
            if word < shared:
                kept &= ~other._words[word]
            result._words[word] = kept
            result._dense_count += _popcount(kept)
        result._outliers = self._outliers - other._outliers
        result._changes = len(result)
        return result

    def difference_count(self, Bitset other not None):
        """``len(self.difference(other))`` without building it."""
        cdef Py_ssize_t word, used = self._used(), shared = min(self._used(), other._capacity)
        cdef Py_ssize_t count = 0
        for word in range(used):
            if word < shared:
                count += _popcount(self._words[word] & ~other._words[word])
            else:
                count += _popcount(self._words[word])
        for value in self._outliers:
            if value not in other._outliers:
                count += 1
        return count

    def difference_update(self, Bitset other not None):
        """Remove every value of ``other``; how many were removed."""
        cdef Py_ssize_t word, shared = min(self._capacity, other._capacity), removed = 0
        cdef uint64_t gone
        for word in range(shared):
            gone = self._words[word] & other._words[word]
            if gone:
                removed += _popcount(gone)
                self._words[word] &= ~gone
        self._dense_count -= removed
        gone_outliers = self._outliers & other._outliers
        self._outliers -= gone_outliers
        removed += len(gone_outliers)
        self._changes += removed
        return removed

    def copy(self):
        """An independent copy, with the same ``changes``."""
        cdef Bitset twin = Bitset()
        cdef Py_ssize_t used = self._used()
        twin._reserve(used)
        memcpy(twin._words, self._words, used * sizeof(uint64_t))
        twin._dense_count = self._dense_count
        twin._outliers = set(self._outliers)
        twin._changes = self._changes
        return twin

    def __eq__(self, other):
        cdef Bitset that
        cdef Py_ssize_t used = self._used()
        if not isinstance(other, Bitset):
            return NotImplemented
        that = <Bitset>other
        if self._dense_count != that._dense_count or used != that._used():
            return False
        if memcmp(self._words, that._words, used * sizeof(uint64_t)) != 0:
            return False
        return self._outliers == that._outliers

    # -- listing and encoding -----------------------------------------------------------

    def to_list(self):
        """The values ascending, as a plain list (for JSON replies)."""
        cdef Py_ssize_t word, position = 0, used = self._used()
        cdef uint64_t bits
        result = PyList_New(len(self))
        _share_ints_below(<uint64_t>used * 64)
        for word in range(used):
            bits = self._words[word]
            while bits:
                _put(result, position, _int(word * 64 + __builtin_ctzll(bits)))
                position += 1
                bits &= bits - 1
        for value in sorted(self._outliers):
            _put(result, position, value)
            position += 1
        return result

    def __iter__(self):
        """Ascending, over a snapshot: the set may change during the loop."""
        return iter(self.to_list())

    def __repr__(self):
        values = self.to_list()
        if len(values) <= 8:
            return f"Bitset({values!r})"
        return f"Bitset(<{len(values)} values from {values[0]} to {values[len(values) - 1]}>)"

    cdef _Vector _runs(self):
        """The maximal runs, as start/end pairs ascending."""
        cdef _Vector runs = _Vector()
        cdef Py_ssize_t used = self._used()
        cdef uint64_t start, end = 0
        while True:
            start = self._next_bit(end, used, True)
            if start == <uint64_t>used * 64:
                break
            end = self._next_bit(start, used, False)
            runs.push_run(start, end)
        for value in sorted(self._outliers):
            runs.push_run(value, value + 1)
        return runs

    cdef uint64_t _next_bit(self, uint64_t position, Py_ssize_t used, bint is_set):
        """The first bit from ``position`` on that is set (or clear), else ``used * 64``."""
        cdef Py_ssize_t word = position >> 6
        cdef uint64_t bits
        if word >= used:
            return used * 64
        bits = (self._words[word] if is_set else ~self._words[word]) & _low_mask(position & 63)
        while bits == 0:
            word += 1
            if word == used:
                return used * 64
            bits = self._words[word] if is_set else ~self._words[word]
        return word * 64 + __builtin_ctzll(bits)

    def encode(self):
        """The set in the compact wire encoding (see the module docstring)."""
        return _encode_runs(self._runs())

    @staticmethod
    def decode(str text not None, Py_ssize_t max_count=DEFAULT_MAX_COUNT):
        """The set ``text`` encodes; ValueError when malformed or over ``max_count`` values."""
        cdef Bitset result = Bitset()
        result._add_runs(_parse(text, max_count))
        return result


def encode_values(values):
    """The encoding of the set of ``values`` (any order, repeats allowed), without a Bitset."""
    return _encode_runs(_ascending_runs(_checked_all(values)))


def decode_values(str text not None, Py_ssize_t max_count=DEFAULT_MAX_COUNT):
    """The values ``text`` encodes, ascending, without a Bitset; ValueError when malformed."""
    cdef _Vector runs = _parse(text, max_count)
    cdef Py_ssize_t i, count = 0, position = 0
    cdef uint64_t value
    for i in range(0, runs.size, 2):
        count += runs.data[i + 1] - runs.data[i]
    result = PyList_New(count)
    if runs.size:
        _share_ints_below(runs.data[runs.size - 1])
    for i in range(0, runs.size, 2):
        value = runs.data[i]
        while value < runs.data[i + 1]:
            _put(result, position, _int(value))
            position += 1
            value += 1
    return result


# -- encoding -----------------------------------------------------------------------


cdef inline Py_ssize_t _digit_count(uint64_t token):
    if token == 0:
        return 1
    return (64 - __builtin_clzll(token) + PAYLOAD_BITS - 1) // PAYLOAD_BITS


cdef inline Py_ssize_t _put_varint(uint8_t* out, Py_ssize_t position, uint64_t token):
    while token > PAYLOAD_MASK:
        out[position] = TO_CHAR[MORE | (token & PAYLOAD_MASK)]
        token >>= PAYLOAD_BITS
        position += 1
    out[position] = TO_CHAR[token]
    return position + 1


cdef str _encode_runs(_Vector runs):
    cdef Py_ssize_t i, length, position = 1, runs_size = 0, deltas_size = 0
    cdef uint64_t start, end, span, offset, first = 0, runs_cursor = 0, deltas_cursor = 0
    cdef uint64_t bitmap_size = ALL
    cdef bint longer
    cdef uint8_t layout
    cdef uint8_t* out
    for i in range(0, runs.size, 2):
        start, end = runs.data[i], runs.data[i + 1]
        longer = end - start > 1
        runs_size += _digit_count(2 * (start - runs_cursor) + longer)
        if longer:
            runs_size += _digit_count(end - start - 2)
        deltas_size += _digit_count(start - deltas_cursor) + <Py_ssize_t>(end - start - 1)
        runs_cursor, deltas_cursor = end + 1, end
    if runs.size:
        first = runs.data[0]
        span = runs.data[runs.size - 1] - first
        bitmap_size = _digit_count(first) + (span + BITMAP_BITS - 1) // BITMAP_BITS
    if runs_size <= deltas_size and <uint64_t>runs_size <= bitmap_size:
        layout, length = ord(RUNS), 1 + runs_size
    elif <uint64_t>deltas_size <= bitmap_size:
        layout, length = ord(DELTAS), 1 + deltas_size
    else:
        layout, length = ord(BITMAP), <Py_ssize_t>(1 + bitmap_size)
    text = PyUnicode_New(length, 127)
    out = PyUnicode_1BYTE_DATA(text)
    out[0] = layout
    if layout == ord(RUNS):
        runs_cursor = 0
        for i in range(0, runs.size, 2):
            start, end = runs.data[i], runs.data[i + 1]
            longer = end - start > 1
            position = _put_varint(out, position, 2 * (start - runs_cursor) + longer)
            if longer:
                position = _put_varint(out, position, end - start - 2)
            runs_cursor = end + 1
    elif layout == ord(DELTAS):
        deltas_cursor = 0
        for i in range(0, runs.size, 2):
            start, end = runs.data[i], runs.data[i + 1]
            position = _put_varint(out, position, start - deltas_cursor)
            memset(out + position, TO_CHAR[0], end - start - 1)
            position += end - start - 1
            deltas_cursor = end
    else:
        position = _put_varint(out, position, first)
        memset(out + position, 0, length - position)
        for i in range(0, runs.size, 2):
            for offset in range(runs.data[i] - first, runs.data[i + 1] - first):
                out[position + offset // BITMAP_BITS] |= 1 << (offset % BITMAP_BITS)
        for i in range(position, length):
            out[i] = TO_CHAR[out[i]]
    return text


# -- decoding -----------------------------------------------------------------------


cdef Py_ssize_t _read_varint(const uint8_t* digits, Py_ssize_t size, Py_ssize_t position,
                             uint64_t* token) except -1:
    """Reads the varint at ``position`` into ``token``; the position after it."""
    cdef uint64_t value = 0, digit
    cdef int count
    for count in range(MAX_DIGITS):
        if position >= size:
            raise ValueError("set encoding ends inside a varint")
        digit = digits[position]
        position += 1
        if count == MAX_DIGITS - 1 and (digit & MORE or (digit & PAYLOAD_MASK) > 15):
            break
        value |= (digit & PAYLOAD_MASK) << (PAYLOAD_BITS * count)
        if not digit & MORE:
            token[0] = value
            return position
    raise ValueError("set encoding has a varint above 2**64")


cdef uint64_t _offset(uint64_t base, uint64_t step) except? 0xFFFFFFFFFFFFFFFF:
    """``base + step``, or ValueError when that is above MAX_VALUE (checked without wrapping)."""
    if base > C_MAX_VALUE or step > C_MAX_VALUE - base:
        raise ValueError(f"set encoding holds a value above {MAX_VALUE}")
    return base + step


cdef int _take(Py_ssize_t* count, Py_ssize_t max_count, uint64_t start, uint64_t end) except -1:
    """Bounds the values a decode may produce, so a short string cannot demand a huge set."""
    if <uint64_t>max(max_count - count[0], 0) < end - start:
        raise ValueError(f"set encoding holds more than {max_count} values")
    count[0] += end - start
    return 0


cdef _Vector _parse(str text, Py_ssize_t max_count):
    """The maximal runs ``text`` encodes, ascending."""
    cdef _Vector runs = _Vector()
    cdef Py_ssize_t i, size, position = 0, count = 0, cell_index
    cdef uint64_t token, extra, start, end, cursor = 0, first, value
    cdef uint8_t* digits
    cdef int bit
    if not text:
        raise ValueError("empty set encoding")
    try:
        raw = bytearray(text[1:].encode("ascii"))
    except UnicodeEncodeError:
        raise ValueError("set encoding has a character outside its alphabet") from None
    digits = <uint8_t*><char*>raw
    size = len(raw)
    for i in range(size):
        digits[i] = TO_DIGIT[digits[i]]
        if digits[i] == INVALID:
            raise ValueError("set encoding has a character outside its alphabet")
    layout = text[0]
    if layout == RUNS:
        while position < size:
            position = _read_varint(digits, size, position, &token)
            start = _offset(cursor, token >> 1)
            end = start + 1
            if token & 1:
                position = _read_varint(digits, size, position, &extra)
                end = _offset(start + 1, extra) + 1
            _take(&count, max_count, start, end)
            runs.push_run(start, end)
            cursor = end + 1
    elif layout == DELTAS:
        while position < size:
            position = _read_varint(digits, size, position, &token)
            value = _offset(cursor, token)
            _take(&count, max_count, value, value + 1)
            runs.push_run(value, value + 1)
            cursor = value + 1
    elif layout == BITMAP:
        position = _read_varint(digits, size, 0, &first)
        for cell_index in range(size - position):
            for bit in range(BITMAP_BITS):
                if digits[position + cell_index] >> bit & 1:
                    value = _offset(first, <uint64_t>cell_index * BITMAP_BITS + bit)
                    _take(&count, max_count, value, value + 1)
                    runs.push_run(value, value + 1)
    else:
        raise ValueError(f"unknown set encoding marker {layout!r}")
    return runs
