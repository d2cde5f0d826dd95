# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The per-chunk hot path of a node, compiled (twin of _pure_node.py).

The same behaviour as the pure twin, with the loop out of the interpreter:
lines are found with ``memchr`` in the chunk itself (only a line that spans
chunks is copied into the tail buffer), replies are assembled with ``memcpy``
into one C output buffer around the encoded body, and ``flush`` calls
``write(2)`` on that buffer directly. Lines longer than ``line_limit`` are cut
and skipped as in the twin, so the tail buffer never holds more than that.

Decoding and encoding stay out of orjson where JSON is plain. When a line is
an object whose keys are ``id`` (an integer), ``src`` and ``dest`` (strings
of printable ASCII without escapes), in any order, followed by ``body`` as
the last key -- the shape every Maelstrom message has -- the envelope is read
here, and so is the body when it is plain JSON (``_read_plain``); short
strings come from a cache, so the keys and ids every message repeats are not
decoded again. A body that is not plain goes to ``orjson.loads`` alone, any
other line whole, as in the twin: either way the message is the dict
``orjson.loads`` makes of the line, with the same keys, order and values.
A plain reply or send body (``_write_plain``) is written straight into the
output buffer, byte for byte as ``orjson.dumps`` writes it; any other body
goes to orjson.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.unicode cimport PyUnicode_DecodeASCII

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    void* PyUnicode_DATA(object text)
    Py_ssize_t PyUnicode_GET_LENGTH(object text)
from libc.errno cimport EAGAIN, EINTR, errno

cdef extern from "<errno.h>":
    int EWOULDBLOCK
from libc.stdio cimport snprintf
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove
from posix.unistd cimport write

from os import strerror

import orjson

from glome._fast._pure_node import LINE_LIMIT, PREFIX_CACHE_LIMIT, Mirror

cdef object _loads = orjson.loads
cdef object _dumps = orjson.dumps
cdef object _JSONDecodeError = orjson.JSONDecodeError
cdef object _ABSENT = object()  # a body key that is not there (JSON null is None)
cdef object _UNREADABLE = object()  # JSON the plain decoder leaves to orjson
cdef object _Mirror = Mirror

cdef bytes _IN_REPLY_TO = b'"in_reply_to":'
cdef bytes _EMPTY_BODY_IN_REPLY_TO = b'{"in_reply_to":'

# orjson refuses JSON nested deeper than this; a body read alone is one level
# shallower than its line, so a body that might reach the limit is decoded with
# its line (its nesting needs an opening bracket, and a closing one, per level)
cdef Py_ssize_t _NESTING_LIMIT = 1024

cdef enum:
    # deeper JSON goes to orjson: the plain decoder and encoder recurse in C
    _PLAIN_DEPTH_LIMIT = 32
    # a mirrored body with more entries than this takes the general path
    _MIRROR_ENTRY_LIMIT = 8
    # texts up to this many bytes are shared through the text cache, of this many slots
    _CACHED_TEXT_LIMIT = 48
    _TEXT_SLOTS = 1024  # 2**10: the slot is a hash's top 10 bits

# the envelope keys the fast decoder reads, as bits of Envelope.seen
cdef enum:
    _ID = 1
    _SRC = 2
    _DEST = 4

cdef struct Envelope:
    # where each part lies in the line (string parts without their quotes)
    Py_ssize_t src_start, src_end, dest_start, dest_end, body_start, body_end
    long long id
    int seen
    int order[3]  # the keys before ``body``, in the order the line has them
    int key_count


cdef inline bint _is_plain(unsigned char c) noexcept nogil:
    """A character a JSON string holds as itself: printable ASCII but ``"`` and ``\\``."""
    return 32 <= c <= 126 and c != 34 and c != 92


cdef inline bint _is_space(char c) noexcept nogil:
    return c == 32 or c == 9 or c == 13  # JSON whitespace; a line holds no newline


cdef inline Py_ssize_t _skip_space(const char* data, Py_ssize_t at, Py_ssize_t end) noexcept nogil:
    while at < end and _is_space(data[at]):
        at += 1
    return at


cdef Py_ssize_t _plain_string_end(const char* data, Py_ssize_t at, Py_ssize_t end) noexcept nogil:
    """Where the string whose text starts at ``at`` closes; -1 unless its text is
    printable ASCII without escapes, which reads exactly as it decodes."""
    while at < end:
        if data[at] == 34:
            return at
        if not _is_plain(<unsigned char>data[at]):
            return -1
        at += 1
    return -1


cdef Py_ssize_t _integer_end(
    const char* data, Py_ssize_t at, Py_ssize_t end, long long* value
) noexcept nogil:
    """Where the JSON integer at ``at`` ends, its value in ``value``; -1 unless it has 1
    to 18 digits and no leading zero (what follows is the caller's to check)."""
    cdef bint negative = at < end and data[at] == 45
    cdef Py_ssize_t first
    cdef long long number = 0
    if negative:
        at += 1
    first = at
    while at < end and 48 <= data[at] <= 57:
        if at - first == 18:
            return -1  # a 19th digit: orjson's to read
        number = number * 10 + (data[at] - 48)
        at += 1
    if at == first or (data[first] == 48 and at - first > 1):
        return -1
    value[0] = -number if negative else number
    return at


cdef inline bint _has_word(
    const char* data, Py_ssize_t at, Py_ssize_t end, const char* word, Py_ssize_t size
) noexcept nogil:
    return end - at >= size and memcmp(data + at, word, size) == 0


cdef bint _shallow(const char* data, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """Whether the JSON text at ``start:end`` surely nests less than the limit."""
    cdef Py_ssize_t openers = 0
    if end - start < 2 * _NESTING_LIMIT:
        return True
    while start < end:
        if data[start] == 123 or data[start] == 91:
            openers += 1
        start += 1
    return openers < _NESTING_LIMIT


cdef Py_ssize_t _compact_value_end(
    const char* data, Py_ssize_t at, Py_ssize_t end, int depth
) noexcept nogil:
    """Where the JSON value at ``at`` ends when its bytes are exactly what orjson.dumps
    writes for what orjson.loads reads from them: a string of plain text, an integer of at
    most 18 digits (no leading zero, no minus zero), true, false, null, or an array of
    these without whitespace; -1 for anything else, objects included (a repeated key
    would not survive decoding). What follows the value is the caller's to check."""
    cdef long long number
    cdef Py_ssize_t after
    if at >= end:
        return -1
    if data[at] == 34:
        after = _plain_string_end(data, at + 1, end)
        return -1 if after < 0 else after + 1
    if data[at] == 45 or 48 <= data[at] <= 57:
        after = _integer_end(data, at, end, &number)
        if after < 0 or (number == 0 and data[at] == 45):
            return -1
        return after
    if data[at] == 91:
        if depth >= _PLAIN_DEPTH_LIMIT:
            return -1
        at += 1
        if at < end and data[at] == 93:
            return at + 1
        while True:
            at = _compact_value_end(data, at, end, depth + 1)
            if at < 0 or at >= end:
                return -1
            if data[at] == 93:
                return at + 1
            if data[at] != 44:
                return -1
            at += 1
    if _has_word(data, at, end, b"null", 4) or _has_word(data, at, end, b"true", 4):
        return at + 4
    if _has_word(data, at, end, b"false", 5):
        return at + 5
    return -1


cdef inline bint _is_key(const char* data, Py_ssize_t start, Py_ssize_t end, const char* key, Py_ssize_t size) noexcept nogil:
    """Whether the text ``start:end`` (a key without its quotes) is ``key``."""
    return end - start == size and memcmp(data + start, key, size) == 0


cdef bint _has_entry(
    const char* data, const Py_ssize_t* key_start, const Py_ssize_t* key_end, int count, str key
):
    """Whether one of the ``count`` keys at ``key_start[i]:key_end[i]`` is ``key``."""
    cdef Py_ssize_t size = PyUnicode_GET_LENGTH(key)
    cdef int index
    if not PyUnicode_IS_ASCII(key):
        return False  # the keys read here are plain ASCII
    for index in range(count):
        if _is_key(data, key_start[index], key_end[index], <const char*>PyUnicode_DATA(key), size):
            return True
    return False


cdef bint _body_extent(const char* data, Py_ssize_t at, Py_ssize_t end, Envelope* envelope) noexcept nogil:
    """The body as the last value: from ``at`` to the brace closing the envelope
    (whether the text between is one object is for ``orjson.loads`` to say)."""
    if data[at] != 123:
        return False
    while end > at and _is_space(data[end - 1]):
        end -= 1
    if end <= at or data[end - 1] != 125:
        return False
    end -= 1
    while end > at and _is_space(data[end - 1]):
        end -= 1
    envelope.body_start = at
    envelope.body_end = end
    return end > at and _shallow(data, at, end)


cdef bint _read_envelope(const char* data, Py_ssize_t end, Envelope* envelope) noexcept nogil:
    """Find the parts of a line shaped as Maelstrom writes messages; False for any other
    line, which is then decoded whole."""
    cdef Py_ssize_t at = _skip_space(data, 0, end)
    cdef Py_ssize_t key_start, key_end, text_end
    cdef int key
    envelope.seen = 0
    envelope.key_count = 0
    if at >= end or data[at] != 123:
        return False
    while True:
        at = _skip_space(data, at + 1, end)
        if at >= end or data[at] != 34:
            return False
        key_start = at + 1
        key_end = _plain_string_end(data, key_start, end)
        if key_end < 0:
            return False
        at = _skip_space(data, key_end + 1, end)
        if at >= end or data[at] != 58:
            return False
        at = _skip_space(data, at + 1, end)
        if at >= end:
            return False
        if key_end - key_start == 4 and memcmp(data + key_start, b"body", 4) == 0:
            return envelope.seen & (_SRC | _DEST) == _SRC | _DEST and _body_extent(
                data, at, end, envelope
            )
        if key_end - key_start == 2 and memcmp(data + key_start, b"id", 2) == 0:
            key = _ID
        elif key_end - key_start == 3 and memcmp(data + key_start, b"src", 3) == 0:
            key = _SRC
        elif key_end - key_start == 4 and memcmp(data + key_start, b"dest", 4) == 0:
            key = _DEST
        else:
            return False
        if envelope.seen & key:
            return False
        envelope.seen |= key
        envelope.order[envelope.key_count] = key
        envelope.key_count += 1
        if key == _ID:
            at = _integer_end(data, at, end, &envelope.id)
            if at < 0:
                return False
        else:
            if data[at] != 34:
                return False
            text_end = _plain_string_end(data, at + 1, end)
            if text_end < 0:
                return False
            if key == _SRC:
                envelope.src_start, envelope.src_end = at + 1, text_end
            else:
                envelope.dest_start, envelope.dest_end = at + 1, text_end
            at = text_end + 1
        at = _skip_space(data, at, end)
        if at >= end or data[at] != 44:
            return False


cdef char* _DIGIT_PAIRS = (
    b"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    b"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    b"8081828384858687888990919293949596979899"
)


cdef int _format_integer(char* out, long long number) noexcept nogil:
    """Write ``number`` in decimal at ``out`` (room for 20 characters); its length. Two
    digits at a time, as integer lists (broadcast reads, kafka polls) are long."""
    cdef unsigned long long magnitude = <unsigned long long>number
    cdef unsigned long long threshold = 10
    cdef int sign = 0
    cdef int digits = 1
    cdef int position
    cdef unsigned int pair
    if number < 0:
        magnitude = 0 - magnitude
        out[0] = 45
        sign = 1
    while digits < 19 and magnitude >= threshold:  # 2**63 has 19 digits
        digits += 1
        threshold *= 10
    position = sign + digits
    while magnitude >= 100:
        pair = <unsigned int>(magnitude % 100)
        magnitude //= 100
        position -= 2
        out[position] = _DIGIT_PAIRS[2 * pair]
        out[position + 1] = _DIGIT_PAIRS[2 * pair + 1]
    if magnitude >= 10:
        out[position - 2] = _DIGIT_PAIRS[2 * magnitude]
        out[position - 1] = _DIGIT_PAIRS[2 * magnitude + 1]
    else:
        out[position - 1] = <char>(48 + magnitude)
    return sign + digits


def field(msg, key, kind=object):
    """``msg["body"][key]`` when the body is a dict holding a ``kind`` there; every other
    case, and the error it raises, is ``glome.node.checked_field``'s."""
    body = msg["body"]
    if type(body) is dict:
        value = (<dict>body).get(key, _ABSENT)
        if value is not _ABSENT and (kind is object or isinstance(value, kind)):
            return value
    from glome.node import checked_field  # the error path; the runtime's text

    return checked_field(msg, key, kind)


cdef class Core:
    """Framing, decoding, fast dispatch and the output buffer of one node."""

    cdef public dict handlers
    cdef readonly object node_id
    cdef public Py_ssize_t line_limit
    cdef bint _skipping
    cdef bint _mirroring  # whether a Mirror was ever registered (see _answer_mirror)
    cdef object _slow, _invalid, _failed
    cdef bytes _src_json
    cdef dict _prefixes
    cdef list _slot_raw, _slot_text
    cdef char* _tail
    cdef Py_ssize_t _tail_len, _tail_cap
    cdef char* _out
    cdef Py_ssize_t _out_start, _out_end, _out_cap

    def __cinit__(self):
        self._tail = NULL
        self._out = NULL

    def __init__(self, slow, invalid, failed):
        self.handlers = {}
        self.node_id = None
        self._slow = slow
        self._invalid = invalid
        self._failed = failed
        self._src_json = None
        self._prefixes = {}
        self._slot_raw = [b""] * _TEXT_SLOTS
        self._slot_text = [""] * _TEXT_SLOTS
        self.line_limit = LINE_LIMIT
        self._skipping = False
        self._mirroring = False

    def __dealloc__(self):
        free(self._tail)
        free(self._out)

    def set_node_id(self, str node_id):
        """Name the sender of every envelope; the fast path starts working from here."""
        self.node_id = node_id
        self._src_json = b'{"src":' + _dumps(node_id) + b',"dest":'
        self._prefixes.clear()

    # --- input -------------------------------------------------------------

    cdef int _tail_append(self, const char* data, Py_ssize_t size) except -1:
        """Add to the unfinished line, or give it up (its head to ``invalid``) once too long."""
        cdef Py_ssize_t need = self._tail_len + size
        cdef char* grown
        cdef bytes head
        if need > self.line_limit:
            head = PyBytes_FromStringAndSize(NULL, self.line_limit)
            memcpy(PyBytes_AS_STRING(head), self._tail, self._tail_len)
            memcpy(PyBytes_AS_STRING(head) + self._tail_len, data, self.line_limit - self._tail_len)
            self._tail_len = 0
            self._skipping = True
            self._invalid(head)
            return 0
        if need > self._tail_cap:
            grown = <char*>realloc(self._tail, max(need, 2 * self._tail_cap, 4096))
            if grown == NULL:
                raise MemoryError()
            self._tail = grown
            self._tail_cap = max(need, 2 * self._tail_cap, 4096)
        memcpy(self._tail + self._tail_len, data, size)
        self._tail_len = need
        return 0

    def feed(self, bytes chunk):
        """Dispatch every line completed by ``chunk``; keep its unfinished tail."""
        cdef const char* data = PyBytes_AS_STRING(chunk)
        cdef Py_ssize_t size = PyBytes_GET_SIZE(chunk)
        cdef Py_ssize_t start = 0
        cdef const char* newline
        if self._skipping:
            newline = <const char*>memchr(data, 10, size)
            if newline == NULL:
                return
            self._skipping = False
            start = newline - data + 1
        if self._tail_len:
            newline = <const char*>memchr(data + start, 10, size - start)
            if newline == NULL:
                self._tail_append(data + start, size - start)
                return
            self._tail_append(data + start, newline - data - start)
            start = newline - data + 1
            if self._skipping:  # the line went over the limit, and ends here
                self._skipping = False
            else:
                self._dispatch_tail()
        while start < size:
            newline = <const char*>memchr(data + start, 10, size - start)
            if newline == NULL:
                self._tail_append(data + start, size - start)
                return
            self._dispatch(data + start, newline - data - start)
            start = newline - data + 1

    def finish(self):
        """End of input: a last line without a newline is still a line."""
        if self._tail_len:
            self._dispatch_tail()

    cdef int _dispatch_tail(self) except -1:
        """Dispatch the line gathered in the tail buffer, from a copy (a handler may feed)."""
        cdef bytes line = PyBytes_FromStringAndSize(self._tail, self._tail_len)
        self._tail_len = 0
        return self._dispatch(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line))

    cdef int _dispatch(self, const char* data, Py_ssize_t size) except -1:
        cdef Envelope envelope
        cdef Py_ssize_t at
        cdef bytes line
        if size > self.line_limit:
            self._invalid(PyBytes_FromStringAndSize(data, self.line_limit))
            return 0
        if _read_envelope(data, size, &envelope):
            if self._mirroring and self._src_json is not None and self._answer_mirror(data, &envelope):
                return 0
            at = envelope.body_start
            body = self._read_plain(data, &at, envelope.body_end, 0)
            if body is not _UNREADABLE and _skip_space(data, at, envelope.body_end) == envelope.body_end:
                return self._handle_read(data, &envelope, body)
            try:
                body = _loads(
                    PyBytes_FromStringAndSize(
                        data + envelope.body_start, envelope.body_end - envelope.body_start
                    )
                )
            except _JSONDecodeError:
                pass  # the line is decoded whole below, which says what is wrong
            else:
                return self._handle_read(data, &envelope, body)
        line = PyBytes_FromStringAndSize(data, size)
        try:
            msg = _loads(line)
        except _JSONDecodeError:
            self._invalid(line)
            return 0
        return self._route(msg)

    cdef str _text(self, const char* data, Py_ssize_t size):
        """The str of plain text (see ``_is_plain``); short ones are shared, so the keys and
        ids every message repeats are neither decoded nor allocated again."""
        cdef uint64_t head = 0
        cdef uint64_t tail = 0
        cdef size_t slot
        if size > _CACHED_TEXT_LIMIT:
            return PyUnicode_DecodeASCII(data, size, NULL)
        # the slot mixes the length and the first and last 8 bytes: equal texts share
        # it, and a collision costs only a decode
        memcpy(&head, data, min(size, 8))
        if size > 8:
            memcpy(&tail, data + size - 8, 8)
        slot = <size_t>(
            ((head * 0x9E3779B97F4A7C15ULL) ^ (tail * 0xC2B2AE3D27D4EB4FULL) ^ <uint64_t>size) >> 54
        )
        raw = <bytes>self._slot_raw[slot]
        if PyBytes_GET_SIZE(raw) == size and memcmp(PyBytes_AS_STRING(raw), data, size) == 0:
            return <str>self._slot_text[slot]
        text = PyUnicode_DecodeASCII(data, size, NULL)
        self._slot_raw[slot] = PyBytes_FromStringAndSize(data, size)
        self._slot_text[slot] = text
        return text

    cdef object _read_plain(self, const char* data, Py_ssize_t* at, Py_ssize_t end, int depth):
        """The JSON value at ``at[0]``, which is moved past it, when it is plain JSON: objects,
        arrays, strings of plain text, integers of at most 18 digits, true, false, null (what
        decodes here exactly as orjson decodes it); ``_UNREADABLE`` for anything else."""
        cdef Py_ssize_t position = _skip_space(data, at[0], end)
        cdef Py_ssize_t text_end
        cdef long long number
        if position >= end:
            return _UNREADABLE
        if data[position] == 34:
            text_end = _plain_string_end(data, position + 1, end)
            if text_end < 0:
                return _UNREADABLE
            at[0] = text_end + 1
            return self._text(data + position + 1, text_end - position - 1)
        if data[position] == 45 or 48 <= data[position] <= 57:
            text_end = _integer_end(data, position, end, &number)
            if text_end < 0:
                return _UNREADABLE
            at[0] = text_end
            return number
        if data[position] == 123 or data[position] == 91:
            if depth >= _PLAIN_DEPTH_LIMIT:
                return _UNREADABLE
            at[0] = position
            if data[position] == 123:
                return self._read_object(data, at, end, depth + 1)
            return self._read_array(data, at, end, depth + 1)
        if _has_word(data, position, end, b"null", 4):
            at[0] = position + 4
            return None
        if _has_word(data, position, end, b"true", 4):
            at[0] = position + 4
            return True
        if _has_word(data, position, end, b"false", 5):
            at[0] = position + 5
            return False
        return _UNREADABLE

    cdef object _read_object(self, const char* data, Py_ssize_t* at, Py_ssize_t end, int depth):
        cdef dict result = {}
        cdef Py_ssize_t position = _skip_space(data, at[0] + 1, end)
        cdef Py_ssize_t key_end
        if position < end and data[position] == 125:
            at[0] = position + 1
            return result
        while True:
            if position >= end or data[position] != 34:
                return _UNREADABLE
            key_end = _plain_string_end(data, position + 1, end)
            if key_end < 0:
                return _UNREADABLE
            key = self._text(data + position + 1, key_end - position - 1)
            position = _skip_space(data, key_end + 1, end)
            if position >= end or data[position] != 58:
                return _UNREADABLE
            at[0] = position + 1
            value = self._read_plain(data, at, end, depth)
            if value is _UNREADABLE:
                return _UNREADABLE
            result[key] = value
            position = _skip_space(data, at[0], end)
            if position < end and data[position] == 125:
                at[0] = position + 1
                return result
            if position >= end or data[position] != 44:
                return _UNREADABLE
            position = _skip_space(data, position + 1, end)

    cdef object _read_array(self, const char* data, Py_ssize_t* at, Py_ssize_t end, int depth):
        cdef list result = []
        cdef Py_ssize_t position = _skip_space(data, at[0] + 1, end)
        if position < end and data[position] == 93:
            at[0] = position + 1
            return result
        at[0] = position
        while True:
            value = self._read_plain(data, at, end, depth)
            if value is _UNREADABLE:
                return _UNREADABLE
            result.append(value)
            position = _skip_space(data, at[0], end)
            if position < end and data[position] == 93:
                at[0] = position + 1
                return result
            if position >= end or data[position] != 44:
                return _UNREADABLE
            at[0] = position + 1

    cdef int _answer_mirror(self, const char* data, Envelope* envelope) except -1:
        """Answer a request whose handler is a ``Mirror`` by copying its body's entries
        into the reply (see ``_compact_value_end``), with no Python object made for it;
        1 if answered, 0 (nothing written) for any other line, which then takes the
        general path -- whose answer to a mirrored request is the same bytes."""
        cdef Py_ssize_t key_start[_MIRROR_ENTRY_LIMIT]
        cdef Py_ssize_t key_end[_MIRROR_ENTRY_LIMIT]
        cdef Py_ssize_t value_end[_MIRROR_ENTRY_LIMIT]
        cdef Py_ssize_t at = envelope.body_start + 1
        cdef Py_ssize_t end = envelope.body_end - 1  # the body's closing brace
        cdef Py_ssize_t kept, size
        cdef int count = 0
        cdef int type_index = -1
        cdef int id_index = -1
        cdef int index, other
        cdef bint first = True
        cdef long long msg_id
        if end <= at or data[end] != 125:
            return 0
        while True:
            if count == _MIRROR_ENTRY_LIMIT or data[at] != 34:
                return 0
            key_start[count] = at + 1
            key_end[count] = _plain_string_end(data, at + 1, end)
            if key_end[count] < 0 or key_end[count] + 1 >= end or data[key_end[count] + 1] != 58:
                return 0
            at = _compact_value_end(data, key_end[count] + 2, end, 0)
            if at < 0:
                return 0
            value_end[count] = at
            if _is_key(data, key_start[count], key_end[count], b"type", 4):
                type_index = count
            elif _is_key(data, key_start[count], key_end[count], b"msg_id", 6):
                if _integer_end(data, key_end[count] + 2, at, &msg_id) != at:
                    return 0
                id_index = count
            elif _is_key(data, key_start[count], key_end[count], b"in_reply_to", 11):
                return 0  # a reply: the general path settles it
            count += 1
            if at == end:
                break
            if data[at] != 44:
                return 0
            at += 1
        if type_index < 0 or id_index < 0 or data[key_end[type_index] + 2] != 34:
            return 0
        for index in range(count):
            size = key_end[index] - key_start[index]
            for other in range(index):
                if _is_key(data, key_start[other], key_end[other], data + key_start[index], size):
                    return 0  # orjson keeps the last of repeated keys
        handler = self.handlers.get(
            self._text(
                data + key_end[type_index] + 3,
                value_end[type_index] - key_end[type_index] - 4,
            )
        )
        if type(handler) is not _Mirror:
            return 0
        for key in handler.required:
            if not _has_entry(data, key_start, key_end, count, <str>key):
                return 0  # malformed: the general path says so
        src = self._text(data + envelope.src_start, envelope.src_end - envelope.src_start)
        kept = self._out_end - self._out_start
        self._out_append_bytes(self._prefix(src))
        self._out_byte(123)
        for index in range(count):
            if index == id_index:
                continue
            if not first:
                self._out_byte(44)
            first = False
            if index == type_index:
                self._out_append(b'"type":', 7)
                if not self._write_text(handler.reply_type):
                    self._out_end = self._out_start + kept  # a reserve may move the start
                    return 0
            else:
                self._out_append(data + key_start[index] - 1, value_end[index] - key_start[index] + 1)
        if not first:
            self._out_byte(44)
        self._out_append_bytes(_IN_REPLY_TO)
        self._out_reserve(20)
        self._out_end += _format_integer(self._out + self._out_end, msg_id)
        self._out_append("}}\n", 3)
        return 1

    cdef int _handle_read(self, const char* data, Envelope* envelope, dict body) except -1:
        """``_handle`` a line read by ``_read_envelope``: its message dict is assembled
        around its decoded body, in the line's order of keys."""
        cdef dict msg = {}
        cdef int index
        src = self._text(data + envelope.src_start, envelope.src_end - envelope.src_start)
        for index in range(envelope.key_count):
            if envelope.order[index] == _ID:
                msg["id"] = envelope.id
            elif envelope.order[index] == _SRC:
                msg["src"] = src
            else:
                msg["dest"] = self._text(
                    data + envelope.dest_start, envelope.dest_end - envelope.dest_start
                )
        msg["body"] = body
        return self._handle(msg, src, body)

    cdef int _route(self, msg) except -1:
        """Check the envelope of a message orjson decoded (string ``src`` and ``dest``, an
        object ``body``), then ``_handle`` it; hand a bad one to ``slow``."""
        if type(msg) is not dict:
            self._slow(msg)
            return 0
        body = (<dict>msg).get("body")
        src = (<dict>msg).get("src")
        if type(body) is not dict or type(src) is not str or type((<dict>msg).get("dest")) is not str:
            self._slow(msg)
            return 0
        return self._handle(<dict>msg, <str>src, <dict>body)

    cdef int _handle(self, dict msg, str src, dict body) except -1:
        """Call the handler of a well-formed request; hand anything else to ``slow``."""
        if self._src_json is None:
            self._slow(msg)
            return 0
        kind = body.get("type")
        if type(kind) is not str:
            self._slow(msg)
            return 0
        handler = self.handlers.get(kind)
        msg_id = body.get("msg_id", _ABSENT)
        if (
            handler is None
            or (msg_id is not _ABSENT and type(msg_id) is not int)
            or "in_reply_to" in body
        ):
            self._slow(msg)
            return 0
        try:
            reply = handler(msg)
            if reply is not None:
                self._reply(src, None if msg_id is _ABSENT else msg_id, reply)
        except Exception as exc:
            self._failed(msg, exc)
        return 0

    # --- output ------------------------------------------------------------

    cdef inline int _out_reserve(self, Py_ssize_t size) except -1:
        """Make room for ``size`` more bytes at the end of the output buffer."""
        if self._out_end + size <= self._out_cap:
            return 0
        return self._out_make_room(size)

    cdef int _out_make_room(self, Py_ssize_t size) except -1:
        cdef Py_ssize_t used = self._out_end - self._out_start
        cdef Py_ssize_t capacity
        cdef char* grown
        if self._out_start and used + size <= self._out_cap:
            memmove(self._out, self._out + self._out_start, used)
        else:
            capacity = max(used + size, 2 * self._out_cap, 65536)
            if self._out_start:
                memmove(self._out, self._out + self._out_start, used)
            grown = <char*>realloc(self._out, capacity)
            if grown == NULL:
                raise MemoryError()
            self._out = grown
            self._out_cap = capacity
        self._out_start = 0
        self._out_end = used
        return 0

    cdef inline int _out_append(self, const char* data, Py_ssize_t size) except -1:
        self._out_reserve(size)
        memcpy(self._out + self._out_end, data, size)
        self._out_end += size
        return 0

    cdef inline int _out_append_bytes(self, bytes data) except -1:
        return self._out_append(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))

    cdef bytes _prefix(self, dest):
        prefix = self._prefixes.get(dest)
        if prefix is None:
            if type(dest) is not str:
                raise TypeError(f"a destination must be a str, not {type(dest).__name__}")
            if self._src_json is None:
                raise RuntimeError("the node id is unknown until init")
            prefix = self._src_json + _dumps(dest) + b',"body":'
            if len(self._prefixes) >= PREFIX_CACHE_LIMIT:
                self._prefixes.clear()
            self._prefixes[dest] = prefix
        return <bytes>prefix

    cdef int _reply(self, dest, msg_id, body) except -1:
        cdef bytes encoded
        cdef bytes prefix
        cdef char digits[32]
        cdef int overflow = 0
        cdef long long number
        cdef int digit_count
        if type(body) is not dict:
            raise TypeError(f"a message body must be a dict, not {type(body).__name__}")
        if msg_id is None or "in_reply_to" in <dict>body:
            self._send(dest, body if msg_id is None else {**body, "in_reply_to": msg_id})
            return 0
        number = PyLong_AsLongLongAndOverflow(msg_id, &overflow)
        if not overflow and self._write_plain_message(dest, <dict>body, &number):
            return 0
        encoded = _dumps(body)
        prefix = self._prefix(dest)
        if overflow:
            tail = b"%d}}\n" % msg_id
        self._out_append_bytes(prefix)
        if PyBytes_GET_SIZE(encoded) > 2:
            # the body without its closing brace, then a comma
            self._out_append(PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded) - 1)
            self._out_append(",", 1)
            self._out_append_bytes(_IN_REPLY_TO)
        else:
            self._out_append_bytes(_EMPTY_BODY_IN_REPLY_TO)
        if overflow:
            self._out_append_bytes(tail)
        else:
            digit_count = snprintf(digits, 32, "%lld}}\n", number)
            self._out_append(digits, digit_count)
        return 0

    cdef int _send(self, dest, body) except -1:
        if type(body) is not dict:
            raise TypeError(f"a message body must be a dict, not {type(body).__name__}")
        if self._write_plain_message(dest, <dict>body, NULL):
            return 0
        cdef bytes encoded = _dumps(body)
        self._out_append_bytes(self._prefix(dest))
        self._out_append_bytes(encoded)
        self._out_append("}\n", 2)
        return 0

    cdef int _write_plain_message(self, dest, dict body, const long long* in_reply_to) except -1:
        """Append the envelope of ``body`` (with ``in_reply_to`` unless NULL) written here
        rather than by orjson, byte for byte what orjson writes, when ``body`` is plain
        (see ``_write_plain``) and ``dest`` has its prefix cached; 0, appending nothing,
        otherwise (which leaves the order of any errors to the orjson path)."""
        cdef Py_ssize_t kept = self._out_end - self._out_start
        cdef int entries
        if type(dest) is not str:
            return 0
        prefix = self._prefixes.get(dest)
        if prefix is None:
            return 0
        self._out_append_bytes(<bytes>prefix)
        self._out_append("{", 1)
        entries = self._write_entries(body, 0)
        if entries < 0:
            self._out_end = self._out_start + kept  # a reserve may have moved the start
            return 0
        if in_reply_to != NULL:
            if entries:
                self._out_append(",", 1)
            self._out_append_bytes(_IN_REPLY_TO)
            self._out_reserve(20)
            self._out_end += _format_integer(self._out + self._out_end, in_reply_to[0])
        self._out_append("}}\n", 3)
        return 1

    cdef inline int _out_byte(self, char byte) except -1:
        self._out_reserve(1)
        self._out[self._out_end] = byte
        self._out_end += 1
        return 0

    cdef int _write_entries(self, dict entries, int depth) except -2:
        """Append ``entries`` as the inside of a JSON object; how many, or -1 when one is
        not plain."""
        cdef int count = 0
        for key, value in entries.items():
            if type(key) is not str:
                return -1
            if count:
                self._out_byte(44)
            if not self._write_text(<str>key):
                return -1
            self._out_byte(58)
            if not self._write_plain(value, depth):
                return -1
            count += 1
        return count

    cdef int _write_plain(self, value, int depth) except -1:
        """Append ``value`` as orjson.dumps writes it when it is plain: exact dicts with str
        keys and lists, strs of plain text (see ``_is_plain``), ints of 64 bits, bools and
        None, nested less than ``_PLAIN_DEPTH_LIMIT``; 0 otherwise (and the output is
        then to be cut back)."""
        cdef Py_ssize_t index
        kind = type(value)
        if kind is str:
            return self._write_text(<str>value)
        if kind is int:
            return self._write_integer(value)
        if value is None:
            self._out_append("null", 4)
            return 1
        if value is True:
            self._out_append("true", 4)
            return 1
        if value is False:
            self._out_append("false", 5)
            return 1
        if depth >= _PLAIN_DEPTH_LIMIT:
            return 0
        if kind is dict:
            self._out_byte(123)
            if self._write_entries(<dict>value, depth + 1) < 0:
                return 0
            self._out_byte(125)
            return 1
        if kind is list:
            self._out_byte(91)
            for index in range(len(<list>value)):
                if index:
                    self._out_byte(44)
                item = (<list>value)[index]
                if type(item) is int:
                    if not self._write_integer(item):
                        return 0
                elif not self._write_plain(item, depth + 1):
                    return 0
            self._out_byte(93)
            return 1
        return 0

    cdef int _write_integer(self, value) except -1:
        """Append an int of 64 bits in decimal; 0 for a larger one."""
        cdef int overflow = 0
        cdef long long number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow:
            return 0
        self._out_reserve(20)
        self._out_end += _format_integer(self._out + self._out_end, number)
        return 1

    cdef int _write_text(self, str text) except -1:
        """Append ``text`` quoted when it is plain text; 0 otherwise."""
        cdef const unsigned char* characters
        cdef Py_ssize_t size, index
        if not PyUnicode_IS_ASCII(text):
            return 0
        characters = <const unsigned char*>PyUnicode_DATA(text)
        size = PyUnicode_GET_LENGTH(text)
        for index in range(size):
            if not _is_plain(characters[index]):
                return 0
        self._out_reserve(size + 2)
        self._out[self._out_end] = 34
        memcpy(self._out + self._out_end + 1, characters, size)
        self._out[self._out_end + size + 1] = 34
        self._out_end += size + 2
        return 1

    def mirror(self, str kind, reply_type, required=()):
        """Answer every ``kind`` request with its own body retyped (see ``Mirror``)."""
        self.handlers[kind] = _Mirror(reply_type, required)
        self._mirroring = True

    def reply_to(self, dest, msg_id, body):
        """Append ``body`` with ``in_reply_to: msg_id`` as a message to ``dest``."""
        self._reply(dest, msg_id, body)

    def send(self, dest, body):
        """Append ``body`` as a message to ``dest``."""
        self._send(dest, body)

    @property
    def pending(self):
        """Bytes of output not yet written."""
        return self._out_end - self._out_start

    def take_output(self):
        """Remove and return all buffered output."""
        data = PyBytes_FromStringAndSize(self._out + self._out_start, self._out_end - self._out_start)
        self._out_start = self._out_end = 0
        return data

    def flush(self, int fd):
        """Write buffered output to ``fd`` until done or it would block; return what is left."""
        cdef Py_ssize_t written
        while self._out_end > self._out_start:
            written = write(fd, self._out + self._out_start, self._out_end - self._out_start)
            if written < 0:
                if errno == EINTR:
                    continue
                if errno == EAGAIN or errno == EWOULDBLOCK:
                    break
                raise OSError(errno, strerror(errno))
            self._out_start += written
        if self._out_start == self._out_end:
            self._out_start = self._out_end = 0
        return self._out_end - self._out_start
