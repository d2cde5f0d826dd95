"""set-full's sweep over elements and reads (compiled).

The same API and results as the pure twin ``_pure_setfull``, whose docstring
says what the tracker finds. Here every add is an element id, in add order (a
re-add gets a new id and retires the old one), with four C arrays beside it:
where it became known, the newest invocation of a read that held it and of
one that missed it, and the stamp of the last read that held it. Elements
that are small non-negative integers, as broadcast and g-set add, find their
id through an array indexed by value, so a read of thousands of values is a
loop in C; other values go through ``key`` and a dict.

Only reads that completed after an element's add began count for it, and in
history order those are exactly the reads that come after the add, so
"newest" is a running maximum kept up to date as the reads arrive. Each ok
read costs its own length plus a walk from the newest id down to the oldest
element it missed, usually a few recent ones still spreading.
"""

from cpython.dict cimport PyDict_SetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_CheckExact
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint8_t

from glome._fast._pure_setfull import NOWHERE

cdef extern from "Python.h":
    PyObject* PyDict_GetItemWithError(object, object) except? NULL
    bint PyList_CheckExact(object)
    Py_ssize_t PyLong_AsSsize_t(PyObject*) except? -1

cdef extern from *:
    """
    /* The value of an exact int that is non-negative and compact (below 2**30
       at least: one machine word, no conversion), else -1. A read's values are
       nearly all such ints, and this is their hottest step. */
    static inline Py_ssize_t glome_compact_natural(PyObject *number) {
        if (!PyLong_CheckExact(number)) return -1;
    #if PY_VERSION_HEX >= 0x030C0000
        if (PyUnstable_Long_IsCompact((PyLongObject *)number)) {
            Py_ssize_t value = PyUnstable_Long_CompactValue((PyLongObject *)number);
            return value >= 0 ? value : -1;
        }
        return -1;
    #else
        Py_ssize_t size = Py_SIZE(number);
        if (size == 0) return 0;
        return size == 1 ? (Py_ssize_t)((PyLongObject *)number)->ob_digit[0] : -1;
    #endif
    }
    """
    Py_ssize_t glome_compact_natural(PyObject*) noexcept

cdef enum:  # this module's own layout, which the pure twin does not have
    DENSE_LIMIT = 1 << 20  # values below this find their id in an array
    ID_LIMIT = 0x7FFFFFFF  # ids are 32-bit in that array
    NO_ID = -1


cdef int64_t NOWHERE_POSITION = NOWHERE


cdef void* _grown(void* block, Py_ssize_t count, size_t item_size) except NULL:
    cdef void* bigger = PyMem_Realloc(block, <size_t>count * item_size)
    if bigger == NULL:
        raise MemoryError()
    return bigger


cdef class Tracker:
    """Elements and reads of one set-full history, fed in history order; ``key``
    maps a value to its element's hashable stand-in and returns an ``int`` unchanged."""

    cdef object _key
    cdef dict _ids  # key -> id of its current element, for values outside the array
    cdef list _values  # id -> the value added
    cdef int32_t* _dense  # small integer value -> id of its current element, or NO_ID
    cdef Py_ssize_t _dense_size
    cdef int64_t* _known
    cdef int64_t* _present
    cdef int64_t* _absent
    cdef int64_t* _held_by  # stamp of the last read that held the element
    cdef uint8_t* _current  # 0 once a re-add retired the id
    cdef Py_ssize_t _count  # ids handed out
    cdef Py_ssize_t _capacity
    cdef Py_ssize_t _tracked  # distinct elements: ids still current
    cdef int64_t _stamp

    def __cinit__(self, key):
        self._key = key
        self._ids = {}
        self._values = []

    def __dealloc__(self):
        PyMem_Free(self._dense)
        PyMem_Free(self._known)
        PyMem_Free(self._present)
        PyMem_Free(self._absent)
        PyMem_Free(self._held_by)
        PyMem_Free(self._current)

    def add(self, value, int64_t position):
        """An add of ``value`` invoked at ``position``: a re-add starts its tracking over."""
        cdef Py_ssize_t element = self._count
        cdef Py_ssize_t small = self._small(value)
        cdef Py_ssize_t retired
        if element >= ID_LIMIT:
            raise OverflowError("too many adds for one set-full history")
        if element == self._capacity:
            self._grow_ids()
        if small >= 0:
            self._cover(small)
            retired = self._dense[small]
            self._dense[small] = <int32_t>element
        else:
            key = value if PyLong_CheckExact(value) else self._key(value)
            retired = self._id_of(key)
            PyDict_SetItem(self._ids, key, element)
        if retired == NO_ID:
            self._tracked += 1
        else:
            self._current[retired] = 0
        self._values.append(value)
        self._known[element] = NOWHERE_POSITION
        self._present[element] = NOWHERE_POSITION
        self._absent[element] = NOWHERE_POSITION
        self._held_by[element] = 0
        self._current[element] = 1
        self._count = element + 1

    def acknowledge(self, value, int64_t position):
        """An ok add completion at ``position``: its element is known from here on."""
        cdef Py_ssize_t element = self._find(value)
        if element != NO_ID and self._known[element] == NOWHERE_POSITION:
            self._known[element] = position

    def read(self, values, int64_t invoked_at, int64_t completed_at):
        """An ok read invoked at ``invoked_at`` that returned ``values`` at ``completed_at``."""
        cdef Py_ssize_t held = 0
        cdef Py_ssize_t position = 0
        cdef Py_ssize_t number
        cdef PyObject* item
        self._stamp += 1
        if PyList_CheckExact(values):
            while position < PyList_GET_SIZE(values):  # ``key`` may run Python code
                item = PyList_GET_ITEM(values, position)
                number = glome_compact_natural(item)
                if 0 <= number < self._dense_size:
                    held += self._hold(self._dense[number], invoked_at, completed_at)
                elif number < 0 or number >= DENSE_LIMIT:
                    held += self._hold(self._find(<object>item), invoked_at, completed_at)
                position += 1
        elif values:
            for value in values:
                held += self._hold(self._find(value), invoked_at, completed_at)
        if held < self._tracked:
            self._missed(invoked_at, self._tracked - held)

    def sightings(self):
        """Per tracked element, in add order: its value, where it became known, and the
        invocations of the newest reads that held it and that missed it (``NOWHERE``: none)."""
        cdef Py_ssize_t element
        return [
            (self._values[element], self._known[element], self._present[element], self._absent[element])
            for element in range(self._count)
            if self._current[element]
        ]

    cdef inline int _hold(self, Py_ssize_t element, int64_t invoked_at, int64_t completed_at) noexcept:
        """Count ``element`` (an id or NO_ID) as held by the current read: 1 the first
        time the read names a tracked element, else 0."""
        if element == NO_ID or self._held_by[element] == self._stamp:
            return 0
        self._held_by[element] = self._stamp
        if self._known[element] == NOWHERE_POSITION:
            self._known[element] = completed_at
        if self._present[element] < invoked_at:
            self._present[element] = invoked_at
        return 1

    cdef void _missed(self, int64_t invoked_at, Py_ssize_t missing) noexcept:
        """The ``missing`` current elements the current read did not hold have missed it.

        They are looked for from the newest id down, as they are mostly the
        newest elements, still spreading; retired ids met on the way are
        marked too, harmlessly: nobody asks about them."""
        cdef Py_ssize_t element = self._count - 1
        cdef int64_t stamp = self._stamp
        while missing > 0:
            if self._held_by[element] != stamp:
                missing -= self._current[element]
                if self._absent[element] < invoked_at:
                    self._absent[element] = invoked_at
            element -= 1

    cdef inline Py_ssize_t _find(self, value) except -2:
        """The id of the current element ``value`` names, or NO_ID."""
        cdef Py_ssize_t small = self._small(value)
        if small >= 0:
            return self._dense[small] if small < self._dense_size else NO_ID
        return self._id_of(value if PyLong_CheckExact(value) else self._key(value))

    cdef inline Py_ssize_t _small(self, value) noexcept:
        """``value`` when it is an ``int`` that lives in the array, else -1."""
        cdef Py_ssize_t number = glome_compact_natural(<PyObject*>value)
        return number if number < DENSE_LIMIT else -1

    cdef Py_ssize_t _id_of(self, key) except -2:
        cdef PyObject* found = PyDict_GetItemWithError(self._ids, key)
        if found == NULL:
            return NO_ID
        return PyLong_AsSsize_t(found)

    cdef int _cover(self, Py_ssize_t value) except -1:
        """Make the array reach ``value``."""
        cdef Py_ssize_t size = self._dense_size
        cdef Py_ssize_t wanted
        if value < size:
            return 0
        wanted = max(value + 1, 2 * size, 1024)
        if wanted > DENSE_LIMIT:
            wanted = DENSE_LIMIT
        self._dense = <int32_t*>_grown(self._dense, wanted, sizeof(int32_t))
        while size < wanted:
            self._dense[size] = NO_ID
            size += 1
        self._dense_size = wanted
        return 0

    cdef int _grow_ids(self) except -1:
        cdef Py_ssize_t capacity = max(2 * self._capacity, 256)
        self._known = <int64_t*>_grown(self._known, capacity, sizeof(int64_t))
        self._present = <int64_t*>_grown(self._present, capacity, sizeof(int64_t))
        self._absent = <int64_t*>_grown(self._absent, capacity, sizeof(int64_t))
        self._held_by = <int64_t*>_grown(self._held_by, capacity, sizeof(int64_t))
        self._current = <uint8_t*>_grown(self._current, capacity, sizeof(uint8_t))
        self._capacity = capacity
        return 0
