"""Stub shared by node.pyx and its pure twin _pure_node.py."""

from collections.abc import Callable
from typing import Any

PREFIX_CACHE_LIMIT: int
LINE_LIMIT: int

class Mirror:
    """A handler that answers a request with its own body, ``type`` set to ``reply_type``
    and ``msg_id`` left out."""

    reply_type: str
    required: tuple[str, ...]
    def __init__(self, reply_type: str, required: tuple[str, ...] = ()) -> None: ...
    def __call__(self, msg: dict[str, Any]) -> dict[str, Any]: ...

class Core:
    """Framing, decoding, fast dispatch and the output buffer of one node."""

    handlers: dict[str, Callable[[dict[str, Any]], Any]]
    node_id: str | None
    #: bytes of one input line; a longer one goes to ``invalid`` cut to this length
    line_limit: int
    def __init__(
        self,
        slow: Callable[[Any], None],
        invalid: Callable[[bytes], None],
        failed: Callable[[dict[str, Any], Exception], None],
    ) -> None: ...
    def set_node_id(self, node_id: str) -> None: ...
    def feed(self, chunk: bytes) -> None: ...
    def finish(self) -> None: ...
    def mirror(self, kind: str, reply_type: str, required: tuple[str, ...] = ()) -> None: ...
    def reply_to(self, dest: str, msg_id: int | None, body: dict[str, Any]) -> None: ...
    def send(self, dest: str, body: dict[str, Any]) -> None: ...
    @property
    def pending(self) -> int: ...
    def take_output(self) -> bytes: ...
    def flush(self, fd: int) -> int: ...

def field(msg: dict[str, Any], key: str, kind: type | tuple[type, ...] = ...) -> Any:
    """``msg["body"][key]`` when the body is a dict holding a ``kind`` there; every other
    case, and the error it raises, is ``glome.node.checked_field``'s."""
