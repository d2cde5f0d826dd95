"""Keys and messages as hashable values with JSON's notion of equality.

Messages may be any JSON. Jepsen compares them structurally and tells ``1``,
``1.0`` and ``true`` apart; Python would merge those in a set and cannot hash
lists at all. Integers and strings (what Maelstrom's generator sends) stay as
they are, so the common case costs one type check; anything else becomes a
``JsonValue`` holding its canonical JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

Hashable = Any  # an int, a str or a JsonValue


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A JSON value other than an int or a string, compared by its canonical text."""

    text: bytes


def freeze(value: Any) -> Hashable:
    kind = type(value)
    if kind is int or kind is str:
        return value
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers wider than 64 bits
        text = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return JsonValue(text)


def thaw(value: Hashable) -> Any:
    """The JSON value ``freeze`` was given, for reports."""
    return json.loads(value.text) if type(value) is JsonValue else value


def order_key(value: Hashable) -> tuple[int, Any]:
    """A total order over frozen values (Clojure's sorted sets throw on mixed types)."""
    kind = type(value)
    if kind is int:
        return (0, value)
    if kind is str:
        return (1, value)
    return (2, value.text)


def sorted_values(values: Any) -> list[Hashable]:
    return sorted(values, key=order_key)
