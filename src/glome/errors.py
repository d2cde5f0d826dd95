"""Typed Maelstrom errors: one exception class per error code.

A node raises one of these from a handler to answer with that error code, and
``node.rpc`` raises one when the other side answers ``{"type": "error", ...}``.
Each class takes ``code``, ``name`` and ``definite`` from
``glome.protocol.ERROR_CODES``, so the registry is defined once; ``BY_CODE``
maps every code (Maelstrom's and any custom ones declared with
``class X(RPCError, code=1001, name="x")``) to its class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from glome import protocol

#: error code -> the exception class that stands for it
BY_CODE: dict[int, type[RPCError]] = {}


class RPCError(Exception):
    """An error reply of Maelstrom's protocol (docs/maelstrom.md §2.4).

    ``definite`` is True when the operation certainly did not happen: clients
    record a definite error as a failure and anything else as indeterminate.
    Instances of the base class carry any code, e.g. ``RPCError("x", code=1234)``.
    """

    code: ClassVar[int] = protocol.CRASH
    name: ClassVar[str] = "crash"
    definite: ClassVar[bool] = False

    def __init_subclass__(
        cls, code: int | None = None, name: str | None = None, definite: bool = False, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is None:
            return  # a helper base class, not a code of its own
        if code in BY_CODE:
            raise ValueError(f"error code {code} is already taken by {BY_CODE[code].__name__}")
        if code in protocol.ERROR_CODES:
            entry = protocol.ERROR_CODES[code]
            cls.code, cls.name, cls.definite = entry.code, entry.name, entry.definite
        elif code >= protocol.FIRST_USER_CODE:
            cls.code, cls.name, cls.definite = code, name or cls.__name__, definite
        else:
            raise ValueError(f"codes below {protocol.FIRST_USER_CODE} are Maelstrom's own")
        BY_CODE[code] = cls

    def __init__(self, text: str = "", *, code: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        if code is not None and code != type(self).code:
            entry = protocol.error_code(code)
            # instance attributes shadow the class-level registry row
            self.code, self.name, self.definite = entry.code, entry.name, entry.definite  # type: ignore[misc]

    def body(self) -> dict[str, Any]:
        """The reply body that reports this error."""
        return {"type": "error", "code": self.code, "text": self.text}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, text={self.text!r})"


class Timeout(RPCError, code=protocol.TIMEOUT):
    """No reply arrived in time: the operation may or may not have happened."""


class NodeNotFound(RPCError, code=protocol.NODE_NOT_FOUND):
    """The destination node does not exist."""


class NotSupported(RPCError, code=protocol.NOT_SUPPORTED):
    """The node has no handler for this message type."""


class TemporarilyUnavailable(RPCError, code=protocol.TEMPORARILY_UNAVAILABLE):
    """The node cannot serve this now (e.g. it is partitioned from a quorum)."""


class MalformedRequest(RPCError, code=protocol.MALFORMED_REQUEST):
    """The request was not well formed."""


class Crash(RPCError, code=protocol.CRASH):
    """The handler failed unexpectedly; the operation may have happened."""


class Abort(RPCError, code=protocol.ABORT):
    """The operation was aborted and did not happen."""


class KeyDoesNotExist(RPCError, code=protocol.KEY_DOES_NOT_EXIST):
    """The key is absent."""


class KeyAlreadyExists(RPCError, code=protocol.KEY_ALREADY_EXISTS):
    """The key is already present."""


class PreconditionFailed(RPCError, code=protocol.PRECONDITION_FAILED):
    """A compare-and-set found a different current value."""


class TxnConflict(RPCError, code=protocol.TXN_CONFLICT):
    """The transaction conflicted with another and was not applied."""


def error_from_body(body: dict[str, Any]) -> RPCError:
    """The typed exception for an ``{"type": "error", "code": ...}`` reply body."""
    code = body.get("code")
    text = body.get("text")
    text = text if isinstance(text, str) else ""
    if not isinstance(code, int) or isinstance(code, bool):
        # named by type, not quoted: the body is the other side's, of any size and depth
        return Crash(f"error reply whose code is {type(code).__name__}, not an integer")
    cls = BY_CODE.get(code)
    return cls(text) if cls is not None else RPCError(text, code=code)
