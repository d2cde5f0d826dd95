# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The per-chunk hot path of a node, compiled (twin of _pure_node.py).

The same behaviour as the pure twin, with the loop out of the interpreter:
lines are found with ``memchr`` in the chunk itself (only a line that spans
chunks is copied into the tail buffer), replies are assembled with ``memcpy``
into one C output buffer around ``orjson.dumps(body)``, and ``flush`` calls
``write(2)`` on that buffer directly. Lines longer than ``line_limit`` are cut
and skipped as in the twin, so the tail buffer never holds more than that.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from libc.errno cimport EAGAIN, EINTR, errno

cdef extern from "<errno.h>":
    int EWOULDBLOCK
from libc.stdio cimport snprintf
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcpy, memmove
from posix.unistd cimport write

from os import strerror

import orjson

from glome._fast._pure_node import LINE_LIMIT, PREFIX_CACHE_LIMIT

cdef object _loads = orjson.loads
cdef object _dumps = orjson.dumps
cdef object _JSONDecodeError = orjson.JSONDecodeError

cdef bytes _IN_REPLY_TO = b'"in_reply_to":'
cdef bytes _EMPTY_BODY_IN_REPLY_TO = b'{"in_reply_to":'


cdef class Core:
    """Framing, decoding, fast dispatch and the output buffer of one node."""

    cdef public dict handlers
    cdef readonly object node_id
    cdef public Py_ssize_t line_limit
    cdef bint _skipping
    cdef object _slow, _invalid, _failed
    cdef bytes _src_json
    cdef dict _prefixes
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
        self.line_limit = LINE_LIMIT
        self._skipping = False

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
        cdef bytes line
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
                line = PyBytes_FromStringAndSize(self._tail, self._tail_len)
                self._tail_len = 0
                self._dispatch(line)
        while start < size:
            newline = <const char*>memchr(data + start, 10, size - start)
            if newline == NULL:
                self._tail_append(data + start, size - start)
                return
            line = PyBytes_FromStringAndSize(data + start, newline - data - start)
            start = newline - data + 1
            self._dispatch(line)

    def finish(self):
        """End of input: a last line without a newline is still a line."""
        cdef bytes line
        if self._tail_len:
            line = PyBytes_FromStringAndSize(self._tail, self._tail_len)
            self._tail_len = 0
            self._dispatch(line)

    cdef int _dispatch(self, bytes line) except -1:
        cdef dict msg_dict
        cdef dict body_dict
        if PyBytes_GET_SIZE(line) > self.line_limit:
            self._invalid(line[:self.line_limit])
            return 0
        try:
            msg = _loads(line)
        except _JSONDecodeError:
            self._invalid(line)
            return 0
        if type(msg) is not dict or self._src_json is None:
            self._slow(msg)
            return 0
        msg_dict = <dict>msg
        body = msg_dict.get("body")
        if type(body) is not dict:
            self._slow(msg)
            return 0
        body_dict = <dict>body
        kind = body_dict.get("type")
        if type(kind) is not str:
            self._slow(msg)
            return 0
        handler = self.handlers.get(kind)
        src = msg_dict.get("src")
        msg_id = body_dict.get("msg_id")
        if (
            handler is None
            or type(src) is not str
            or type(msg_dict.get("dest")) is not str
            or type(msg_id) is not int
            or "in_reply_to" in body_dict
        ):
            self._slow(msg)
            return 0
        try:
            reply = handler(msg)
            if reply is not None:
                self._reply(<str>src, msg_id, reply)
        except Exception as exc:
            self._failed(msg, exc)
        return 0

    # --- output ------------------------------------------------------------

    cdef int _out_reserve(self, Py_ssize_t size) except -1:
        cdef Py_ssize_t used = self._out_end - self._out_start
        cdef Py_ssize_t capacity
        cdef char* grown
        if self._out_end + size <= self._out_cap:
            return 0
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
        cdef bytes encoded = _dumps(body)
        self._out_append_bytes(self._prefix(dest))
        self._out_append_bytes(encoded)
        self._out_append("}\n", 2)
        return 0

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
