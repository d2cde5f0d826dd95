"""The per-chunk hot path of a node, in pure Python (twin of node.pyx).

``Core.feed`` takes whatever bytes one ``read`` returned, splits complete lines
(keeping the partial tail for the next chunk), decodes each with orjson and, for
a well-formed request (or a message without ``msg_id``) whose ``body.type`` has
a plain-function handler, calls the handler and appends the reply envelope to
one output buffer. The envelope is built as bytes around ``orjson.dumps(body)``,
so the reply body is never copied or mutated. Everything else (init, RPC
replies, async handlers, bad input) goes to the callbacks of ``glome.node``.
``flush`` writes the whole buffer with as few ``write`` calls as the pipe
allows and keeps what did not fit.

A line longer than ``line_limit`` bytes is not decoded: the ``invalid`` callback
gets its first ``line_limit`` bytes and the rest is skipped up to the next
newline, so a writer that never ends its line cannot grow the tail without bound.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import orjson

#: distinct destinations whose envelope prefix is cached before the cache is reset
PREFIX_CACHE_LIMIT = 4096
#: the default ``Core.line_limit``: bytes of one input line, far above any message
LINE_LIMIT = 64 << 20

_loads = orjson.loads
_dumps = orjson.dumps
_ABSENT: Any = object()  # a body key that is not there (JSON null is None)


class Mirror:
    """A handler that answers a request with its own body: ``type`` becomes
    ``reply_type``, ``msg_id`` is left out (the reply gets ``in_reply_to``), every other
    key keeps its value and place. A request without one of the ``required`` keys is
    malformed, as ``field`` says. Declared rather than written as a function so that the
    compiled core can answer it by copying the request's bytes."""

    __slots__ = ("reply_type", "required")

    def __init__(self, reply_type: str, required: tuple[str, ...] = ()) -> None:
        if type(reply_type) is not str:
            raise TypeError(f"a reply type must be a str, not {type(reply_type).__name__}")
        if type(required) is not tuple or not all(type(key) is str for key in required):
            raise TypeError("the required keys must be a tuple of str")
        self.reply_type = reply_type
        self.required = required

    def __call__(self, msg: dict[str, Any]) -> dict[str, Any]:
        for key in self.required:
            field(msg, key)  # a missing key: the request is malformed
        reply = dict(msg["body"])
        reply["type"] = self.reply_type  # a key set again keeps its place
        reply.pop("msg_id", None)
        return reply


class Core:
    """Framing, decoding, fast dispatch and the output buffer of one node."""

    __slots__ = (
        "_failed",
        "_invalid",
        "_out",
        "_prefixes",
        "_skipping",
        "_slow",
        "_src_json",
        "_tail",
        "_tail_len",
        "handlers",
        "line_limit",
        "node_id",
    )

    def __init__(
        self,
        slow: Callable[[Any], None],
        invalid: Callable[[bytes], None],
        failed: Callable[[dict[str, Any], Exception], None],
    ) -> None:
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.node_id: str | None = None
        self._slow = slow
        self._invalid = invalid
        self._failed = failed
        self._src_json: bytes | None = None
        self._prefixes: dict[str, bytes] = {}
        self._tail: list[bytes] = []
        self._tail_len = 0
        self._skipping = False  # inside a line over the limit, until its newline
        self.line_limit = LINE_LIMIT
        self._out = bytearray()

    def set_node_id(self, node_id: str) -> None:
        """Name the sender of every envelope; the fast path starts working from here."""
        self.node_id = node_id
        self._src_json = b'{"src":' + _dumps(node_id) + b',"dest":'
        self._prefixes.clear()

    def feed(self, chunk: bytes) -> None:
        """Dispatch every line completed by ``chunk``; keep its unfinished tail."""
        if self._skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                return
            self._skipping = False
            chunk = chunk[newline + 1 :]
        if b"\n" not in chunk:
            if chunk:
                self._keep(chunk)
            return
        if self._tail:
            self._tail.append(chunk)
            chunk = b"".join(self._tail)
            self._tail.clear()
            self._tail_len = 0
        lines = chunk.split(b"\n")
        last = lines.pop()
        dispatch = self._dispatch
        for line in lines:
            dispatch(line)
        if last:
            self._keep(last)

    def _keep(self, part: bytes) -> None:
        """Add ``part`` to the unfinished line, or give the line up once it is too long."""
        self._tail.append(part)
        self._tail_len += len(part)
        if self._tail_len > self.line_limit:
            head = b"".join(self._tail)[: self.line_limit]
            self._tail.clear()
            self._tail_len = 0
            self._skipping = True
            self._invalid(head)

    def finish(self) -> None:
        """End of input: a last line without a newline is still a line."""
        if self._tail:
            line = b"".join(self._tail)
            self._tail.clear()
            self._tail_len = 0
            self._dispatch(line)

    def _dispatch(self, line: bytes) -> None:
        if len(line) > self.line_limit:
            self._invalid(line[: self.line_limit])
            return
        try:
            msg = _loads(line)
        except orjson.JSONDecodeError:
            self._invalid(line)
            return
        if type(msg) is not dict or self._src_json is None:
            self._slow(msg)
            return
        body = msg.get("body")
        if type(body) is not dict:
            self._slow(msg)
            return
        kind = body.get("type")
        if type(kind) is not str:
            self._slow(msg)
            return
        handler = self.handlers.get(kind)
        src = msg.get("src")
        msg_id = body.get("msg_id", _ABSENT)
        if (
            handler is None
            or type(src) is not str
            or type(msg.get("dest")) is not str
            or (msg_id is not _ABSENT and type(msg_id) is not int)
            or "in_reply_to" in body
        ):
            self._slow(msg)
            return
        try:
            reply = handler(msg)
            if reply is not None:
                self.reply_to(src, None if msg_id is _ABSENT else msg_id, reply)
        except Exception as exc:
            self._failed(msg, exc)

    def mirror(self, kind: str, reply_type: str, required: tuple[str, ...] = ()) -> None:
        """Answer every ``kind`` request with its own body retyped (see ``Mirror``)."""
        self.handlers[kind] = Mirror(reply_type, required)

    def reply_to(self, dest: str, msg_id: int | None, body: dict[str, Any]) -> None:
        """Append ``body`` with ``in_reply_to: msg_id`` as a message to ``dest``."""
        if type(body) is not dict:
            raise TypeError(f"a message body must be a dict, not {type(body).__name__}")
        if msg_id is None or "in_reply_to" in body:
            self.send(dest, body if msg_id is None else {**body, "in_reply_to": msg_id})
            return
        encoded = _dumps(body)
        out = self._out
        out += self._prefix(dest)
        if len(encoded) > 2:
            out += encoded
            out[-1] = 44  # the body's closing brace becomes a comma
            out += b'"in_reply_to":%d}}\n' % msg_id
        else:
            out += b'{"in_reply_to":%d}}\n' % msg_id

    def send(self, dest: str, body: dict[str, Any]) -> None:
        """Append ``body`` as a message to ``dest``."""
        if type(body) is not dict:
            raise TypeError(f"a message body must be a dict, not {type(body).__name__}")
        encoded = _dumps(body)
        out = self._out
        out += self._prefix(dest)
        out += encoded
        out += b"}\n"

    def _prefix(self, dest: str) -> bytes:
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
        return prefix

    @property
    def pending(self) -> int:
        """Bytes of output not yet written."""
        return len(self._out)

    def take_output(self) -> bytes:
        """Remove and return all buffered output."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def flush(self, fd: int) -> int:
        """Write buffered output to ``fd`` until done or it would block; return what is left."""
        out = self._out
        while out:
            try:
                written = os.write(fd, out)
            except BlockingIOError:
                break
            del out[:written]
        return len(out)


def field(msg: dict[str, Any], key: str, kind: type | tuple[type, ...] = object) -> Any:
    """``msg["body"][key]`` when the body is a dict holding a ``kind`` there; every other
    case, and the error it raises, is ``glome.node.checked_field``'s."""
    body = msg["body"]
    if type(body) is dict:
        value = body.get(key, _ABSENT)
        if value is not _ABSENT and (kind is object or isinstance(value, kind)):
            return value
    from glome.node import checked_field  # the error path; the runtime's text

    return checked_field(msg, key, kind)
