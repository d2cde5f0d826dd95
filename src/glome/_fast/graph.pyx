# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Dependency-graph primitives of the Elle checkers, compiled (twin of _pure_graph.py).

The vertices are numbered as the search first meets them and the adjacency is
copied into flat C arrays, so Tarjan's algorithm runs without touching Python
objects; a graph searched under many models (``Subgraphs``) is numbered once,
each edge's relations kept beside it. The realtime frontier is an array kept in
insertion order. Visiting, inserting and emitting orders are the pure twin's
exactly.
"""

from libc.stdlib cimport free, malloc, realloc

from glome._fast._pure_graph import COMMITTED, INVOKED, PROCESS, REALTIME, RW, WR, WW

cdef int _INVOKED = INVOKED
cdef int _COMMITTED = COMMITTED
cdef object _REALTIME = REALTIME


cdef struct IntBuffer:
    int* items
    Py_ssize_t size
    Py_ssize_t capacity


cdef int _push(IntBuffer* buffer, int item) except -1:
    cdef int* grown
    if buffer.size == buffer.capacity:
        buffer.capacity = buffer.capacity * 2 if buffer.capacity else 64
        grown = <int*>realloc(buffer.items, buffer.capacity * sizeof(int))
        if grown == NULL:
            raise MemoryError()
        buffer.items = grown
    buffer.items[buffer.size] = item
    buffer.size += 1
    return 0


cdef int* _ints(Py_ssize_t count) except NULL:
    cdef int* items = <int*>malloc((count if count > 0 else 1) * sizeof(int))
    if items == NULL:
        raise MemoryError()
    return items


cdef class _Numbered:
    """A graph as flat arrays: vertices numbered on first sight, the successors of
    vertex i at ``targets[starts[i]:starts[i + 1]]``, and the roots to try in order."""

    cdef dict ids
    cdef list names
    cdef IntBuffer roots
    cdef IntBuffer starts
    cdef IntBuffer targets

    def __cinit__(self):
        self.ids = {}
        self.names = []

    def __dealloc__(self):
        free(self.roots.items)
        free(self.starts.items)
        free(self.targets.items)

    cdef int number(self, object vertex) except -1:
        found = self.ids.get(vertex)
        if found is not None:
            return <int>found
        number = len(self.names)
        self.ids[vertex] = number
        self.names.append(vertex)
        return number

    cdef int add_roots(self, object vertices) except -1:
        for vertex in vertices:
            _push(&self.roots, self.number(vertex))
        return 0

    cdef int add_successors(self, object successors) except -1:
        """The successors of the next vertex (they are given in numbering order)."""
        _push(&self.starts, <int>self.targets.size)
        for w in successors:
            _push(&self.targets, self.number(w))
        return 0

    cdef int close(self) except -1:
        _push(&self.starts, <int>self.targets.size)
        return 0

    cdef bint has_loop(self, int vertex):
        cdef Py_ssize_t e
        for e in range(self.starts.items[vertex], self.starts.items[vertex + 1]):
            if self.targets.items[e] == vertex:
                return True
        return False

    cdef Py_ssize_t components(self, int* members, int* ends) except -1:
        """Tarjan's components, in the pure twin's order: component c is
        ``members[ends[c - 1]:ends[c]]`` (from 0 for the first). Returns how many."""
        cdef Py_ssize_t n = len(self.names)
        cdef int* starts = self.starts.items
        cdef int* targets = self.targets.items
        cdef int* index = NULL
        cdef int* low = NULL
        cdef int* stack = NULL
        cdef int* work = NULL
        cdef int* cursor = NULL
        cdef char* on_stack = NULL
        cdef Py_ssize_t r, depth, stack_size
        cdef int root, vertex, nxt, parent, member, visited
        cdef bint descended
        cdef Py_ssize_t popped = 0, count = 0
        try:
            index = _ints(n)
            low = _ints(n)
            stack = _ints(n)
            work = _ints(n)
            cursor = _ints(n)
            on_stack = <char*>malloc(n if n > 0 else 1)
            if on_stack == NULL:
                raise MemoryError()
            for r in range(n):
                index[r] = -1
                on_stack[r] = 0
            visited = 0
            stack_size = 0
            for r in range(self.roots.size):
                root = self.roots.items[r]
                if index[root] >= 0:
                    continue
                index[root] = low[root] = visited
                visited += 1
                stack[stack_size] = root
                stack_size += 1
                on_stack[root] = 1
                work[0] = root
                cursor[root] = starts[root]
                depth = 1
                while depth:
                    vertex = work[depth - 1]
                    descended = False
                    while cursor[vertex] < starts[vertex + 1]:
                        nxt = targets[cursor[vertex]]
                        cursor[vertex] += 1
                        if index[nxt] < 0:
                            index[nxt] = low[nxt] = visited
                            visited += 1
                            stack[stack_size] = nxt
                            stack_size += 1
                            on_stack[nxt] = 1
                            cursor[nxt] = starts[nxt]
                            work[depth] = nxt
                            depth += 1
                            descended = True
                            break
                        if on_stack[nxt] and index[nxt] < low[vertex]:
                            low[vertex] = index[nxt]
                    if descended:
                        continue
                    depth -= 1
                    if depth:
                        parent = work[depth - 1]
                        if low[vertex] < low[parent]:
                            low[parent] = low[vertex]
                    if low[vertex] == index[vertex]:
                        while True:
                            stack_size -= 1
                            member = stack[stack_size]
                            on_stack[member] = 0
                            members[popped] = member
                            popped += 1
                            if member == vertex:
                                break
                        ends[count] = <int>popped
                        count += 1
            return count
        finally:
            free(index)
            free(low)
            free(stack)
            free(work)
            free(cursor)
            free(on_stack)


def strongly_connected(adjacency, vertices):
    cdef _Numbered graph = _Numbered()
    cdef Py_ssize_t n = 0, count, c, start, i
    cdef int* members = NULL
    cdef int* ends = NULL
    cdef list components = []
    graph.add_roots(vertices)
    while n < len(graph.names):  # numbering follows discovery: every reachable vertex
        graph.add_successors(adjacency.get(graph.names[n], ()))
        n += 1
    graph.close()
    names = graph.names
    try:
        members = _ints(n)
        ends = _ints(n)
        count = graph.components(members, ends)
        start = 0
        for c in range(count):
            components.append([names[members[i]] for i in range(start, ends[c])])
            start = ends[c]
        return components
    finally:
        free(members)
        free(ends)


def link_edges(dict out, edges):
    cdef int added = 0
    cdef dict successors
    for a, b, rels in edges:
        successors = out.get(a)
        if successors is None:
            successors = {}
            out[a] = successors
        if a == b:
            continue
        successors[b] = successors.get(b, 0) | rels
        if b not in out:
            out[b] = {}
        added |= <int>rels
    return added


def project(out, int present, int mask):
    if present & ~mask == 0:
        return out
    return {v: [w for w, r in edges.items() if r & mask] for v, edges in out.items()}


def smallest_cyclic_component(out, int present, int base, int extension):
    return Subgraphs(out, present).smallest_cyclic(base, extension)


cdef class Subgraphs:
    """A graph numbered once, with each edge's relations beside it, so that the
    subgraphs of many models are searched without reading its dicts again."""

    cdef _Numbered full
    cdef IntBuffer rels
    cdef int present
    cdef int* marks  # per vertex, the vertex whose extended successors hold it

    def __cinit__(self, out, int present):
        cdef Py_ssize_t n = 0
        self.full = _Numbered()
        self.rels = IntBuffer(NULL, 0, 0)
        self.marks = NULL
        self.present = present
        self.full.add_roots(out)
        while n < len(self.full.names):
            edges = out.get(self.full.names[n])
            _push(&self.full.starts, <int>self.full.targets.size)
            if edges is not None:
                for w, r in edges.items():
                    _push(&self.full.targets, self.full.number(w))
                    _push(&self.rels, <int>r)
            n += 1
        self.full.close()

    def __dealloc__(self):
        free(self.rels.items)
        free(self.marks)

    def smallest_cyclic(self, int base, int extension):
        return _smallest(self._projection(base, extension))

    cdef _Numbered _projection(self, int base, int extension):
        """The ``base`` edges and, when ``extension`` is set, v -> x for every
        v -base-> w -extension-> x (after v's own successors, without repeats), in
        the pure twin's order, so that its components come out the same."""
        cdef _Numbered full = self.full
        cdef _Numbered graph = _Numbered()
        cdef bint every_base = self.present & ~base == 0
        cdef bint every_hop = self.present & ~extension == 0
        cdef Py_ssize_t count = len(full.names)
        cdef const int* starts = full.starts.items
        cdef const int* targets = full.targets.items
        cdef const int* rels = self.rels.items
        cdef Py_ssize_t v, e, hop
        cdef int w, x
        graph.ids = full.ids
        graph.names = full.names
        for v in range(full.roots.size):
            _push(&graph.roots, full.roots.items[v])
        if extension:
            if self.marks == NULL:
                self.marks = _ints(count)
            for v in range(count):
                self.marks[v] = -1
        for v in range(count):
            _push(&graph.starts, <int>graph.targets.size)
            for e in range(starts[v], starts[v + 1]):
                w = targets[e]
                if (every_base or rels[e] & base) and not (extension and self.marks[w] == v):
                    _push(&graph.targets, w)
                    if extension:
                        self.marks[w] = <int>v
            if not extension:
                continue
            for e in range(starts[v], starts[v + 1]):
                if not (every_base or rels[e] & base):
                    continue
                w = targets[e]
                for hop in range(starts[w], starts[w + 1]):
                    x = targets[hop]
                    if (every_hop or rels[hop] & extension) and self.marks[x] != v:
                        _push(&graph.targets, x)
                        self.marks[x] = <int>v
        graph.close()
        return graph


cdef object _smallest(_Numbered graph):
    """The first of ``graph``'s smallest components with a cycle, or None."""
    cdef Py_ssize_t n = len(graph.names)
    cdef int* members = _ints(n)
    cdef int* ends = _ints(n)
    cdef Py_ssize_t count, c, i, start = 0, size, best_start = 0, best_size = 0
    try:
        count = graph.components(members, ends)
        for c in range(count):
            size = ends[c] - start
            if (size > 1 or graph.has_loop(members[start])) and (
                best_size == 0 or size < best_size
            ):
                best_start, best_size = start, size
            start = ends[c]
        if best_size == 0:
            return None
        names = graph.names
        return [names[members[i]] for i in range(best_start, best_start + best_size)]
    finally:
        free(members)
        free(ends)


def realtime_edges(kinds, txns, dict out):
    cdef Py_ssize_t count = len(kinds)
    cdef IntBuffer frontier = IntBuffer(NULL, 0, 0)
    cdef dict preceded_by = {}
    cdef Py_ssize_t i, j, kept
    cdef int kind, txn, earlier
    cdef bint linked = False
    cdef dict edges
    cdef tuple implied
    if len(txns) != count:
        raise ValueError("kinds and txns differ in length")
    try:
        for i in range(count):
            kind = kinds[i]
            txn = txns[i]
            if kind == _INVOKED and txn >= 0:
                target = txn
                for j in range(frontier.size):
                    earlier = frontier.items[j]
                    edges = out.get(earlier)
                    if edges is None:
                        edges = {}
                        out[earlier] = edges
                    edges[target] = edges.get(target, 0) | _REALTIME
                    linked = True
                if target not in out:
                    out[target] = {}
                preceded_by[txn] = tuple([frontier.items[j] for j in range(frontier.size)])
            elif kind == _COMMITTED:
                implied = preceded_by.pop(txn, ())
                if implied:
                    kept = 0
                    for j in range(frontier.size):
                        if frontier.items[j] not in implied:
                            frontier.items[kept] = frontier.items[j]
                            kept += 1
                    frontier.size = kept
                for j in range(frontier.size):
                    if frontier.items[j] == txn:
                        break
                else:
                    _push(&frontier, txn)
        return linked
    finally:
        free(frontier.items)
