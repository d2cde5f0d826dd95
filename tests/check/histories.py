"""Small EDN histories written op by op, as Jepsen prints them."""

from __future__ import annotations

from typing import Any

from glome.bench.edn import Keyword, Text, dumps


def op(process: Any, kind: str, f: str, value: Any = None, **extra: Any) -> str:
    """One op map as a line of EDN; strings in values that start with ':' are keywords."""
    fields = {"process": process, "type": Keyword(kind), "f": Keyword(f), "value": _edn(value)}
    fields.update({key: _edn(item) for key, item in extra.items()})
    return dumps(fields)


def call(process: Any, f: str, value: Any = None, kind: str = "ok", result: Any = "same") -> str:
    """An op invoked and completed back to back (``result`` is the completion's value)."""
    done = value if result == "same" else result
    return op(process, "invoke", f, value) + "\n" + op(process, kind, f, done)


def history(*parts: str) -> str:
    return "\n".join(parts) + "\n"


def _edn(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(":"):
        return Keyword(value[1:])
    if isinstance(value, list):
        return [_edn(item) for item in value]
    if isinstance(value, dict):
        return {_key(key): _edn(item) for key, item in value.items()}
    return value


def _key(key: Any) -> Any:
    """Map keys as given: ":k" a keyword, any other string a string."""
    return _edn(key) if not isinstance(key, str) or key.startswith(":") else Text(key)
