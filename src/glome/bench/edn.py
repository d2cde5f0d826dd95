"""EDN text for results.edn, history.edn and history.txt, laid out as Clojure prints it.

glome keeps results and ops as JSON-compatible Python values, with Clojure
keywords written as strings without the colon. To print real EDN the writer
must know which strings were keywords: ``Keyword`` marks a value explicitly
(it is a ``str``, so JSON writers see a plain string), and ``keyword_keys``
turns every map key that reads as a keyword into one, as Maelstrom's maps
use keyword keys throughout (``Text`` keeps a key a string). ``Seq`` marks
a list Clojure holds as a seq (printed ``(1 2)``, e.g. set-full's ``:lost``).

``pretty`` follows clojure.pprint's layout at its right margin of 72: a
collection that fits stays on one line, otherwise it puts each entry (a map's
key and value together) on a line of its own, aligned under the first.
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal
from typing import Any

import orjson

RIGHT_MARGIN = 72
_KEYWORD = re.compile(
    r"[A-Za-z*+!_?<>=.][A-Za-z0-9*+!_?<>=.'/-]*|-[A-Za-z*+!_?<>=.][\w*+!?<>=.'/-]*"
)
_STRING_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\f": "\\f",
    "\b": "\\b",
}
_INTEGER_LIST_BYTES = b"0123456789-,[]"


class Keyword(str):
    """A string that is a Clojure keyword (printed ``:name``)."""

    __slots__ = ()


class Text(str):
    """A string that stays a string where keywords are assumed (map keys)."""

    __slots__ = ()


class Seq(list):
    """A list that Clojure holds as a seq (printed with parentheses)."""

    __slots__ = ()


def is_keyword_name(text: str) -> bool:
    return bool(_KEYWORD.fullmatch(text))


def single(value: float) -> float:
    """The exact value of Clojure's ``(float x)``, the nearest 32-bit float;
    comparisons with a Float in Clojure see this value."""
    return struct.unpack("f", struct.pack("f", value))[0]


def float32(value: float) -> float:
    """A Clojure ``(float x)`` as printed: the shortest decimal that reads back
    to the same 32-bit value (what Java's Float.toString shows)."""
    single_value = single(value)
    if not math.isfinite(single_value):
        return single_value
    for digits in range(1, 10):
        candidate = float(f"{single_value:.{digits}g}")
        if single(candidate) == single_value:
            return candidate
    return single_value


def _float_text(value: float) -> str:
    """Java's Double.toString: 1.0, 0.5, 1.0E20, ##NaN."""
    if math.isnan(value):
        return "##NaN"
    if math.isinf(value):
        return "##Inf" if value > 0 else "##-Inf"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    scale = exponent + len(digits) - 1  # type: ignore[operator]
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{scale}"


def _string_text(text: str, readably: bool) -> str:
    if not readably:
        return text
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in text) + '"'


def _key(key: Any, keyword_keys: bool) -> Any:
    if keyword_keys and type(key) is str and is_keyword_name(key):
        return Keyword(key)
    return key


def dumps(value: Any, keyword_keys: bool = True, readably: bool = True) -> str:
    """One-line EDN (Clojure's ``pr``; with readably=False, ``print``)."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Keyword):
        return ":" + value
    if isinstance(value, str):
        return _string_text(value, readably)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict):
        entries = (
            f"{dumps(_key(k, keyword_keys), keyword_keys, readably)} "
            f"{dumps(v, keyword_keys, readably)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(entries) + "}"
    opening, closing = _brackets(value)
    as_json = integer_list_json(value) if type(value) is list else None
    if as_json is not None:  # the bulk of a history: reads of many integers
        return as_json.replace(b",", b" ").decode()
    return opening + " ".join(dumps(v, keyword_keys, readably) for v in value) + closing


def integer_list_json(values: list[Any]) -> bytes | None:
    """The JSON text of ``values`` when it is a list of integers only, else None.

    Serialising in C and deleting the integer characters is several times
    faster than looking at each value's type from Python."""
    try:
        text = orjson.dumps(values)
    except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits
        return None
    return None if text.translate(None, _INTEGER_LIST_BYTES) else text


def _brackets(value: Any) -> tuple[str, str]:
    if isinstance(value, Seq):
        return "(", ")"
    if isinstance(value, (set, frozenset)):
        return "#{", "}"
    if isinstance(value, (list, tuple)):
        return "[", "]"
    raise TypeError(f"no EDN form for {type(value).__name__}")


def pretty(value: Any, keyword_keys: bool = True) -> str:
    """Multi-line EDN laid out like clojure.pprint (results.edn, the console)."""
    return _pretty(value, 0, 0, keyword_keys)


def _pretty(value: Any, column: int, trailing: int, keyword_keys: bool) -> str:
    flat = dumps(value, keyword_keys)
    if column + len(flat) + trailing <= RIGHT_MARGIN or not _is_collection(value):
        return flat
    if isinstance(value, dict):
        return _pretty_map(value, column, trailing, keyword_keys)
    return _pretty_sequence(value, column, trailing, keyword_keys)


def _is_collection(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple, set, frozenset)) and len(value) > 0


def _pretty_map(value: dict, column: int, trailing: int, keyword_keys: bool) -> str:
    indent = column + 1
    lines = []
    last = len(value) - 1
    for position, (key, item) in enumerate(value.items()):
        key_text = dumps(_key(key, keyword_keys), keyword_keys)
        after = trailing + 1 if position == last else 2  # "}" or ", "
        item_text = _pretty(item, indent + len(key_text) + 1, after, keyword_keys)
        lines.append(f"{key_text} {item_text}")
    return "{" + (",\n" + " " * indent).join(lines) + "}"


def _pretty_sequence(value: Any, column: int, trailing: int, keyword_keys: bool) -> str:
    """One element per line, all aligned after the opening bracket (pprint's
    linear newlines: a collection breaks everywhere or nowhere)."""
    opening, closing = _brackets(value)
    indent = column + len(opening)
    items = list(value)
    last = len(items) - 1
    lines = [
        _pretty(item, indent, trailing + len(closing) if position == last else 1, keyword_keys)
        for position, item in enumerate(items)
    ]
    return opening + ("\n" + " " * indent).join(lines) + closing
