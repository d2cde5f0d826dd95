# cython: language_level=3, boundscheck=False, wraparound=False
"""The routing core of ``glome test``'s simulated network (compiled).

The same API and behaviour as the pure twin ``_pure_router``, whose docstring
describes it; here the recipients and the router are C structs, the clock is
read with clock_gettime (the clock behind ``time.monotonic_ns``), and the hot
loops (routing node output lines, serving a queue) run without Python frames.
The constants are the pure twin's, bound to C variables once at import.
"""

import math
import time
from heapq import heappop, heappush

import orjson

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Calloc, PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.stdio cimport snprintf
from libc.string cimport memcpy
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from glome._fast._pure_router import JOURNAL_BATCH_BYTES, LATENESS_BIN_NS, LATENESS_BINS, MS

cdef long long _MS = MS
cdef long long _LATENESS_BIN_NS = LATENESS_BIN_NS
cdef Py_ssize_t _LATENESS_BINS = LATENESS_BINS
cdef Py_ssize_t _JOURNAL_BATCH_BYTES = JOURNAL_BATCH_BYTES

cdef object _loads = orjson.loads
cdef object _dumps = orjson.dumps
cdef object _JSONDecodeError = orjson.JSONDecodeError


cdef inline long long _now_fast():
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000000000LL + ts.tv_nsec


cdef inline long long _release_time(long long deadline, long long taken):
    # the pure twin's release_time: the whole milliseconds strictly below the time left
    cdef long long left = deadline - taken
    if left <= 0:
        return taken
    return taken + ((left + _MS - 1) // _MS - 1) * _MS


cdef class _Inbox:
    cdef public str node_id
    cdef public object deliver
    cdef public bint batching
    cdef public bint client
    cdef public list heap
    cdef public bint holding
    cdef public long long held_due
    cdef public object held_message
    cdef public bint open
    cdef public list outbox
    cdef public list dues
    cdef public object release

    def __init__(self, str node_id, deliver, bint pull, bint batching):
        self.node_id = node_id
        self.deliver = deliver
        self.batching = batching
        self.client = node_id[:1] == "c"
        self.heap = []
        self.holding = False
        self.held_due = 0
        self.held_message = None
        self.open = not pull
        self.outbox = []
        self.dues = []
        self.release = None


cdef class Router:
    cdef object _call_at
    cdef object _after_release
    cdef long long _constant_ns
    cdef object _draw_ms
    cdef object _journal_write
    cdef char* _journal
    cdef Py_ssize_t _journal_length
    cdef Py_ssize_t _journal_capacity
    cdef object _clock
    cdef dict _inboxes
    cdef list _pending
    cdef public dict partitions
    cdef public long long next_id
    cdef public long long send_clients
    cdef public long long send_servers
    cdef public long long recv_clients
    cdef public long long recv_servers
    cdef long long* _lateness  # LATENESS_BINS + 1 bins, the last for all later
    cdef public long long lateness_count
    cdef public long long lateness_max_ns

    def __init__(self, call_at, long long constant_latency_ns, draw_latency_ms, journal_write,
                 clock=None, after_release=None):
        self._call_at = call_at
        self._after_release = after_release
        self._constant_ns = constant_latency_ns
        self._draw_ms = draw_latency_ms
        self._journal_write = journal_write
        self._journal_capacity = 2 * _JOURNAL_BATCH_BYTES
        self._journal = <char*>PyMem_Malloc(self._journal_capacity)
        self._lateness = <long long*>PyMem_Calloc(_LATENESS_BINS + 1, sizeof(long long))
        if self._journal is NULL or self._lateness is NULL:
            raise MemoryError()
        self._journal_length = 0
        self._clock = clock
        self._inboxes = {}
        self._pending = []
        self.partitions = {}
        self.next_id = 0
        self.send_clients = 0
        self.send_servers = 0
        self.recv_clients = 0
        self.recv_servers = 0
        self.lateness_count = 0
        self.lateness_max_ns = 0

    def __dealloc__(self):
        PyMem_Free(self._journal)
        PyMem_Free(self._lateness)

    cdef int _journal_reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t wanted = self._journal_length + extra
        cdef char* grown
        if wanted > self._journal_capacity:
            grown = <char*>PyMem_Realloc(self._journal, 2 * wanted)
            if grown is NULL:
                raise MemoryError()
            self._journal = grown
            self._journal_capacity = 2 * wanted
        return 0

    cdef int _journal_send(self, long long now, long long message_id, bytes raw) except -1:
        cdef Py_ssize_t size = PyBytes_GET_SIZE(raw)
        self._journal_reserve(size + 64)
        self._journal_length += snprintf(
            self._journal + self._journal_length, 62, b'[%lld,"send",%lld,', now, message_id
        )
        memcpy(self._journal + self._journal_length, PyBytes_AS_STRING(raw), size)
        self._journal_length += size
        memcpy(self._journal + self._journal_length, b"]\n", 2)
        self._journal_length += 2
        if self._journal_length >= _JOURNAL_BATCH_BYTES:
            self.flush_journal()
        return 0

    cdef int _journal_recv(self, long long now, long long message_id) except -1:
        self._journal_reserve(64)
        self._journal_length += snprintf(
            self._journal + self._journal_length, 62, b'[%lld,"recv",%lld]\n', now, message_id
        )
        if self._journal_length >= _JOURNAL_BATCH_BYTES:
            self.flush_journal()
        return 0

    cdef inline long long _now(self):
        if self._clock is None:
            return _now_fast()
        return self._clock()

    # -- membership -------------------------------------------------------
    def add(self, str node_id, deliver, bint pull, bint batching):
        cdef _Inbox inbox = _Inbox(node_id, deliver, pull, batching)
        inbox.release = lambda: self._release(inbox)
        self._inboxes[node_id] = inbox

    def remove(self, str node_id):
        self._inboxes.pop(node_id, None)

    def has(self, str node_id):
        return node_id in self._inboxes

    def set_open(self, str node_id, bint is_open):
        cdef _Inbox inbox = self._inboxes[node_id]
        inbox.open = is_open
        if is_open and not inbox.holding:
            self._take(inbox, self._now())

    # -- traffic ----------------------------------------------------------
    def send(self, str src, str dest, body, raw):
        return self._send(src, dest, body, raw)

    cdef long long _send(self, str src, str dest, object body, object raw) except -2:
        cdef _Inbox inbox
        cdef object found = self._inboxes.get(dest)
        if found is None or src not in self._inboxes:
            self.next_id += 1  # Maelstrom numbers a message before it checks its ids
            return -1
        inbox = <_Inbox>found
        cdef long long message_id = self.next_id
        self.next_id = message_id + 1
        cdef tuple message = (message_id, src, dest, body)
        cdef long long now = self._now()
        cdef long long deadline
        if src[:1] == "c" or inbox.client:
            deadline = now
            self.send_clients += 1
        else:
            if self._draw_ms is None:
                deadline = now + self._constant_ns
            else:
                deadline = now + <long long>self._draw_ms() * _MS
            self.send_servers += 1
        if self._journal_write is not None:
            if raw is None:
                raw = _dumps({"src": src, "dest": dest, "body": body})
            self._journal_send(now, message_id, raw)
        heappush(inbox.heap, (deadline, message_id, message))
        if not inbox.holding and inbox.open:
            self._take(inbox, now)
        return message_id

    def route_lines(self, list lines, Py_ssize_t start):
        cdef Py_ssize_t index
        cdef Py_ssize_t count = len(lines)
        cdef object parsed
        cdef object src, dest, body
        cdef bytes line
        for index in range(start, count):
            line = lines[index]
            try:
                parsed = _loads(line)
            except _JSONDecodeError:
                return index
            if type(parsed) is not dict or len(<dict>parsed) != 3:
                return index
            src = (<dict>parsed).get("src")
            dest = (<dict>parsed).get("dest")
            body = (<dict>parsed).get("body")
            if type(src) is not str or type(dest) is not str or type(body) is not dict:
                return index
            if src not in self._inboxes or dest not in self._inboxes:
                return index  # the caller's diagnosis sends it, using up its id once
            self._send(src, dest, body, line)
        return -1

    cdef int _take(self, _Inbox inbox, long long taken) except -1:
        cdef list heap = inbox.heap
        cdef dict partitions = self.partitions
        cdef tuple entry
        cdef tuple message
        cdef long long due, now
        cdef object dropped
        while heap and inbox.open:
            entry = heappop(heap)
            message = entry[2]
            if partitions:
                dropped = partitions.get(inbox.node_id)
                if dropped is not None and message[1] in dropped:
                    continue
            due = _release_time(entry[0], taken)
            now = self._now()
            if due > now:
                inbox.holding = True
                inbox.held_due = due
                inbox.held_message = message
                self._call_at(due, inbox.release)
                return 0
            self._deliver(inbox, message, due, now)
            taken = due
        return 0

    def _release(self, _Inbox inbox):
        if not inbox.holding:
            return
        inbox.holding = False
        cdef tuple message = inbox.held_message
        inbox.held_message = None
        if self._inboxes.get(inbox.node_id) is not inbox:
            return
        cdef long long due = inbox.held_due
        self._deliver(inbox, message, due, self._now())
        self._take(inbox, due)
        if self._after_release is not None:
            self._after_release()

    cdef int _deliver(self, _Inbox inbox, tuple message, long long due, long long now) except -1:
        cdef str src = message[1]
        if inbox.client or src[:1] == "c":
            self.recv_clients += 1
        else:
            self.recv_servers += 1
        if self._journal_write is not None:
            self._journal_recv(now, <long long>message[0])
        if inbox.batching:
            if not inbox.outbox:
                self._pending.append(inbox.node_id)
            inbox.outbox.append(
                _dumps({"id": message[0], "src": src, "dest": message[2], "body": message[3]})
                + b"\n"
            )
            inbox.dues.append(due)
        else:
            self._record(now - due)
        if inbox.deliver is not None:
            inbox.deliver(message, due)
        return 0

    def pending(self):
        names = self._pending
        self._pending = []
        return names

    def drain(self, str node_id):
        cdef object found = self._inboxes.get(node_id)
        if found is None:
            return b"", []
        cdef _Inbox inbox = <_Inbox>found
        if not inbox.outbox:
            return b"", []
        data = b"".join(inbox.outbox)
        dues = inbox.dues
        inbox.outbox = []
        inbox.dues = []
        return data, dues

    # -- journal and lateness ---------------------------------------------
    def flush_journal(self):
        if self._journal_length and self._journal_write is not None:
            pending = PyBytes_FromStringAndSize(self._journal, self._journal_length)
            self._journal_length = 0
            self._journal_write(pending)

    cdef inline void _record(self, long long late_ns):
        if late_ns < 0:
            late_ns = 0
        cdef long long index = late_ns // _LATENESS_BIN_NS
        self._lateness[index if index < _LATENESS_BINS else _LATENESS_BINS] += 1
        self.lateness_count += 1
        if late_ns > self.lateness_max_ns:
            self.lateness_max_ns = late_ns

    def record_lateness(self, long long late_ns):
        self._record(late_ns)

    def record_written(self, list dues, long long now):
        cdef object due
        for due in dues:
            self._record(now - <long long>due)

    def lateness_quantile_ns(self, double q):
        if not self.lateness_count:
            return 0
        cdef long long target = max(1, math.ceil(q * self.lateness_count))
        cdef long long seen = 0
        cdef Py_ssize_t index
        for index in range(_LATENESS_BINS + 1):
            seen += self._lateness[index]
            if seen >= target:
                if index == _LATENESS_BINS:
                    return self.lateness_max_ns
                return min((index + 1) * _LATENESS_BIN_NS, self.lateness_max_ns)
        return self.lateness_max_ns
