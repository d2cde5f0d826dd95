"""One-line EDN text of glome's values and of a history's ops (compiled).

The same API and text as the pure twin ``_pure_ednwrite``, whose docstring
says what is printed. Here a value is written straight into a growable C
buffer as UTF-8: a read of thousands of integers is a loop of digit pairs,
and an op's history.txt fields are copied from its history.edn map, not
printed again. Floats and the keyword test of strings are the caller's
Python functions (the latter remembered per string).
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_CheckExact
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.number cimport PyNumber_Index
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_DecodeUTF8
from libc.string cimport memcpy

from glome._fast._pure_ednwrite import ERROR, KEYWORD_CACHE_LIMIT, TXT_FIELDS

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object, Py_ssize_t*) except NULL
    bint PyList_CheckExact(object)
    bint PyBool_Check(object)
    unsigned long long PyLong_AsUnsignedLongLong(object) except? <unsigned long long>-1

cdef enum:  # this module's own layout, which the pure twin does not have
    FIRST_CAPACITY = 1 << 16
    INTEGER_DIGITS = 24  # room for any 64-bit integer and its sign

cdef const char* DIGIT_PAIRS = (
    b"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    b"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    b"8081828384858687888990919293949596979899"
)
cdef enum:
    TXT_FIELD_COUNT = 4  # the slots kept per op for the fields history.txt copies
if len(TXT_FIELDS) != TXT_FIELD_COUNT:
    raise ImportError("ednwrite keeps a slot per history.txt field: TXT_FIELDS changed")


cdef struct Buffer:
    char* data
    Py_ssize_t size
    Py_ssize_t capacity


cdef int _reserve(Buffer* buffer, Py_ssize_t more) except -1:
    cdef Py_ssize_t wanted = buffer.size + more
    cdef Py_ssize_t capacity = buffer.capacity or FIRST_CAPACITY
    cdef char* grown
    if wanted <= buffer.capacity:
        return 0
    while capacity < wanted:
        capacity *= 2
    grown = <char*>PyMem_Realloc(buffer.data, capacity)
    if grown == NULL:
        raise MemoryError()
    buffer.data = grown
    buffer.capacity = capacity
    return 0


cdef inline int _append(Buffer* buffer, const char* text, Py_ssize_t length) except -1:
    if buffer.size + length > buffer.capacity:
        _reserve(buffer, length)
    memcpy(buffer.data + buffer.size, text, length)
    buffer.size += length
    return 0


cdef inline int _append_char(Buffer* buffer, char character) except -1:
    if buffer.size == buffer.capacity:
        _reserve(buffer, 1)
    buffer.data[buffer.size] = character
    buffer.size += 1
    return 0


cdef int _append_text(Buffer* buffer, object text) except -1:
    """A str, as UTF-8."""
    cdef Py_ssize_t length
    cdef const char* utf8 = PyUnicode_AsUTF8AndSize(text, &length)
    return _append(buffer, utf8, length)


cdef int _append_quoted(Buffer* buffer, object text) except -1:
    """A str between double quotes, with Clojure's escapes (all ASCII, so the
    UTF-8 bytes of other characters pass through untouched)."""
    cdef Py_ssize_t length, position, start = 0
    cdef const char* utf8 = PyUnicode_AsUTF8AndSize(text, &length)
    cdef const char* escape
    cdef char character
    _append_char(buffer, c'"')
    for position in range(length):
        character = utf8[position]
        if character == c'"':
            escape = b'\\"'
        elif character == c'\\':
            escape = b"\\\\"
        elif character == c'\n':
            escape = b"\\n"
        elif character == c'\t':
            escape = b"\\t"
        elif character == c'\r':
            escape = b"\\r"
        elif character == c'\f':
            escape = b"\\f"
        elif character == c'\b':
            escape = b"\\b"
        else:
            continue
        _append(buffer, utf8 + start, position - start)
        _append(buffer, escape, 2)
        start = position + 1
    _append(buffer, utf8 + start, length - start)
    return _append_char(buffer, c'"')


cdef int _append_digits(Buffer* buffer, unsigned long long magnitude, bint negative) except -1:
    cdef char digits[INTEGER_DIGITS]
    cdef int start = INTEGER_DIGITS
    cdef unsigned long long pair
    while magnitude >= 100:
        pair = (magnitude % 100) * 2
        magnitude //= 100
        start -= 2
        digits[start] = DIGIT_PAIRS[pair]
        digits[start + 1] = DIGIT_PAIRS[pair + 1]
    if magnitude >= 10:
        start -= 2
        digits[start] = DIGIT_PAIRS[magnitude * 2]
        digits[start + 1] = DIGIT_PAIRS[magnitude * 2 + 1]
    else:
        start -= 1
        digits[start] = <char>(c'0' + magnitude)
    if negative:
        start -= 1
        digits[start] = c'-'
    return _append(buffer, digits + start, INTEGER_DIGITS - start)


cdef int _append_integer(Buffer* buffer, object number) except -1:
    """An exact int, in decimal."""
    cdef int overflow = 0
    cdef long long value = PyLong_AsLongLongAndOverflow(number, &overflow)
    if overflow:
        return _append_text(buffer, str(number))
    return _append_signed(buffer, value)


cdef inline int _append_signed(Buffer* buffer, long long value) except -1:
    if value < 0:
        return _append_digits(buffer, <unsigned long long>(-(value + 1)) + 1, True)
    return _append_digits(buffer, <unsigned long long>value, False)


cdef bint _append_json_integer(Buffer* buffer, object number) except -1:
    """An exact int in decimal when orjson would print it (64 bits, signed or
    not); else False, having written nothing."""
    cdef int overflow = 0
    cdef unsigned long long magnitude
    cdef long long value = PyLong_AsLongLongAndOverflow(number, &overflow)
    if overflow == 0:
        return _append_signed(buffer, value) == 0
    if overflow < 0:
        return False
    try:
        magnitude = PyLong_AsUnsignedLongLong(number)
    except OverflowError:
        return False
    return _append_digits(buffer, magnitude, False) == 0


cdef class Writer:
    """EDN text with the caller's notion of keywords, seqs and floats."""

    cdef object _keyword
    cdef object _seq
    cdef object _is_keyword_name
    cdef object _float_text
    cdef dict _keyword_names  # str -> whether it reads as a keyword

    def __cinit__(self, keyword, seq, is_keyword_name, float_text):
        self._keyword = keyword
        self._seq = seq
        self._is_keyword_name = is_keyword_name
        self._float_text = float_text
        self._keyword_names = {}

    def dumps(self, value, bint keyword_keys=True, bint readably=True):
        """One-line EDN (Clojure's ``pr``; with readably=False, ``print``)."""
        cdef Buffer buffer = Buffer(NULL, 0, 0)
        try:
            self._write(&buffer, value, keyword_keys, readably)
            return PyUnicode_DecodeUTF8(buffer.data, buffer.size, NULL)
        finally:
            PyMem_Free(buffer.data)

    def key_text(self, key, bint keyword_keys=True, bint readably=True):
        """A map key: a keyword when ``keyword_keys`` and it is a plain string that
        reads as one (``Text`` and other str subclasses stay strings), else its EDN."""
        cdef Buffer buffer = Buffer(NULL, 0, 0)
        try:
            self._write_key(&buffer, key, keyword_keys, readably)
            return PyUnicode_DecodeUTF8(buffer.data, buffer.size, NULL)
        finally:
            PyMem_Free(buffer.data)

    def brackets(self, value):
        """The opening and closing text of a sequence or set; TypeError for other values."""
        if isinstance(value, self._seq):
            return "(", ")"
        if isinstance(value, (set, frozenset)):
            return "#{", "}"
        if isinstance(value, (list, tuple)):
            return "[", "]"
        raise TypeError(f"no EDN form for {type(value).__name__}")

    def history_lines(self, ops):
        """The history.edn lines and the history.txt lines (Jepsen's prn-op) of
        ``ops``, UTF-8."""
        cdef Buffer edn = Buffer(NULL, 0, 0)
        cdef Buffer txt = Buffer(NULL, 0, 0)
        try:
            for op in ops:
                self._write_op(&edn, &txt, op)
                with nogil:  # between ops, let another thread run: the runner's loop
                    pass  # keeps routing while a history is written (one op is one read)
            return (
                PyBytes_FromStringAndSize(edn.data, edn.size),
                PyBytes_FromStringAndSize(txt.data, txt.size),
            )
        finally:
            PyMem_Free(edn.data)
            PyMem_Free(txt.data)

    cdef int _write_op(self, Buffer* edn, Buffer* txt, dict op) except -1:
        """One op's map and newline to ``edn``, its prn-op line to ``txt``: the
        fields it shares are copied from the map."""
        cdef Py_ssize_t starts[TXT_FIELD_COUNT]
        cdef Py_ssize_t ends[TXT_FIELD_COUNT]
        cdef Py_ssize_t start
        cdef int field
        cdef bint first = True
        for field in range(TXT_FIELD_COUNT):
            starts[field] = -1
        _append_char(edn, c"{")
        for key, item in op.items():
            if not first:
                _append(edn, b", ", 2)
            first = False
            self._write_key(edn, key, True, True)
            _append_char(edn, c" ")
            start = edn.size
            self._write(edn, item, True, True)
            if isinstance(key, str):
                for field in range(TXT_FIELD_COUNT):
                    if key == TXT_FIELDS[field]:
                        starts[field] = start
                        ends[field] = edn.size
        _append(edn, b"}\n", 2)
        for field in range(TXT_FIELD_COUNT):
            if field:
                _append_char(txt, c"\t")
            if starts[field] < 0:
                _append(txt, b"nil", 3)
            else:
                _append(txt, edn.data + starts[field], ends[field] - starts[field])
        error = op.get(ERROR)
        if error is not None:
            _append_char(txt, c"\t")
            self._write(txt, error, True, False)
        return _append_char(txt, c"\n")

    cdef int _write(self, Buffer* buffer, object value, bint keyword_keys, bint readably) except -1:
        if value is None:
            return _append(buffer, b"nil", 3)
        if value is True:
            return _append(buffer, b"true", 4)
        if value is False:
            return _append(buffer, b"false", 5)
        if PyLong_CheckExact(value):
            return _append_integer(buffer, value)
        if PyUnicode_CheckExact(value):
            return _append_quoted(buffer, value) if readably else _append_text(buffer, value)
        if isinstance(value, self._keyword):
            _append_char(buffer, c":")
            return _append_text(buffer, value)
        if isinstance(value, str):
            return _append_quoted(buffer, value) if readably else _append_text(buffer, value)
        if isinstance(value, int):
            return _append_text(buffer, str(value))
        if isinstance(value, float):
            return _append_text(buffer, self._float_text(value))
        if isinstance(value, dict):
            return self._write_map(buffer, value, keyword_keys, readably)
        return self._write_sequence(buffer, value, keyword_keys, readably)

    cdef int _write_key(self, Buffer* buffer, object key, bint keyword_keys, bint readably) except -1:
        if keyword_keys and PyUnicode_CheckExact(key) and self._reads_as_keyword(key):
            _append_char(buffer, c":")
            return _append_text(buffer, key)
        return self._write(buffer, key, keyword_keys, readably)

    cdef bint _reads_as_keyword(self, object text) except -1:
        known = self._keyword_names.get(text)
        if known is None:
            if len(self._keyword_names) >= KEYWORD_CACHE_LIMIT:
                self._keyword_names.clear()
            known = bool(self._is_keyword_name(text))
            self._keyword_names[text] = known
        return known

    cdef int _write_map(self, Buffer* buffer, object value, bint keyword_keys, bint readably) except -1:
        cdef bint first = True
        _append_char(buffer, c"{")
        for key, item in value.items():
            if not first:
                _append(buffer, b", ", 2)
            first = False
            self._write_key(buffer, key, keyword_keys, readably)
            _append_char(buffer, c" ")
            self._write(buffer, item, keyword_keys, readably)
        return _append_char(buffer, c"}")

    cdef int _write_sequence(self, Buffer* buffer, object value, bint keyword_keys, bint readably) except -1:
        cdef bint first = True
        cdef Py_ssize_t start = buffer.size
        opening, closing = self.brackets(value)
        if PyList_CheckExact(value):
            if self._write_json_integers(buffer, value):
                return 0
            buffer.size = start
        _append_text(buffer, opening)
        for item in value:
            if not first:
                _append_char(buffer, c" ")
            first = False
            self._write(buffer, item, keyword_keys, readably)
        return _append_text(buffer, closing)

    cdef bint _write_json_integers(self, Buffer* buffer, object values) except -1:
        """Write ``values`` as the pure twin does a list it can print from its JSON:
        one of 64-bit integers (int subclasses by value), or of lists of them at any
        depth, every list in square brackets (a ``Seq`` too). False, with some of it
        written, for any other list."""
        cdef bint exact_list = PyList_CheckExact(values)
        cdef Py_ssize_t position = 0
        cdef PyObject* item
        _append_char(buffer, c"[")
        if exact_list:  # the hot loop: a read's values
            while position < PyList_GET_SIZE(values):
                if position:
                    _append_char(buffer, c" ")
                item = PyList_GET_ITEM(values, position)
                if not (
                    _append_json_integer(buffer, <object>item)
                    if PyLong_CheckExact(<object>item)
                    else self._write_json_element(buffer, <object>item)
                ):
                    return False
                position += 1
        else:
            for element in values:
                if position:
                    _append_char(buffer, c" ")
                if not self._write_json_element(buffer, element):
                    return False
                position += 1
        _append_char(buffer, c"]")
        return True

    cdef bint _write_json_element(self, Buffer* buffer, object element) except -1:
        if isinstance(element, list) or type(element) is tuple:
            return self._write_json_integers(buffer, element)
        if isinstance(element, int) and not PyBool_Check(element):
            return _append_json_integer(buffer, PyNumber_Index(element))
        return False
