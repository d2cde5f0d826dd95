"""EDN text for results.edn, history.edn and history.txt, laid out as Clojure prints it,
and a reader for the EDN Maelstrom writes (``loads``).

glome keeps results and ops as JSON-compatible Python values, with Clojure
keywords written as strings without the colon. To print real EDN the writer
must know which strings were keywords: ``Keyword`` marks a value explicitly
(it is a ``str``, so JSON writers see a plain string), and ``keyword_keys``
turns every map key that reads as a keyword into one, as Maelstrom's maps
use keyword keys throughout (``Text`` keeps a key a string). ``Seq`` marks
a list Clojure holds as a seq (printed ``(1 2)``, e.g. set-full's ``:lost``).
The one-line printer, run over every op of a history, is ``glome._fast.ednwrite``,
handed these types, the keyword test and the float format defined here.

``loads`` reads what Jepsen prints back into the same shapes: keywords become
``Keyword`` (so ``results["net"]["servers"]`` works on Maelstrom's results.edn
as on glome's results.json), lists ``Seq``, sets ``frozenset``; a tagged
literal (``#jepsen.history.Op{...}``, ``#object[...]``) reads as its value.

``pretty`` follows clojure.pprint's layout at its right margin of 72: a
collection that fits stays on one line, otherwise it puts each entry (a map's
key and value together) on a line of its own, aligned under the first.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from glome._fast import load

if TYPE_CHECKING:
    from glome._fast import ednwrite as _ednwrite
else:
    _ednwrite = load("ednwrite")

RIGHT_MARGIN = 72
_KEYWORD = re.compile(
    r"[A-Za-z*+!_?<>=.][A-Za-z0-9*+!_?<>=.'/-]*|-[A-Za-z*+!_?<>=.][\w*+!?<>=.'/-]*"
)


class Keyword(str):
    """A string that is a Clojure keyword (printed ``:name``)."""

    __slots__ = ()


class Text(str):
    """A string that stays a string where keywords are assumed (map keys)."""

    __slots__ = ()


class Seq(list[Any]):
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


_writer = _ednwrite.Writer(Keyword, Seq, is_keyword_name, _float_text)


def dumps(value: Any, keyword_keys: bool = True, readably: bool = True) -> str:
    """One-line EDN (Clojure's ``pr``; with readably=False, ``print``)."""
    return _writer.dumps(value, keyword_keys, readably)


def history_lines(ops: Iterable[dict[str, Any]]) -> tuple[bytes, bytes]:
    """The lines of history.edn and of history.txt (Jepsen's prn-op) for ops in
    their EDN shape, UTF-8, each op's value printed once for both."""
    return _writer.history_lines(ops)


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


def _pretty_map(value: dict[Any, Any], column: int, trailing: int, keyword_keys: bool) -> str:
    indent = column + 1
    lines = []
    last = len(value) - 1
    for position, (key, item) in enumerate(value.items()):
        key_text = _writer.key_text(key, keyword_keys)
        after = trailing + 1 if position == last else 2  # "}" or ", "
        item_text = _pretty(item, indent + len(key_text) + 1, after, keyword_keys)
        lines.append(f"{key_text} {item_text}")
    return "{" + (",\n" + " " * indent).join(lines) + "}"


def _pretty_sequence(value: Any, column: int, trailing: int, keyword_keys: bool) -> str:
    """One element per line, all aligned after the opening bracket (pprint's
    linear newlines: a collection breaks everywhere or nowhere)."""
    opening, closing = _writer.brackets(value)
    indent = column + len(opening)
    items = list(value)
    last = len(items) - 1
    lines = [
        _pretty(item, indent, trailing + len(closing) if position == last else 1, keyword_keys)
        for position, item in enumerate(items)
    ]
    return opening + ("\n" + " " * indent).join(lines) + closing


# ---------------------------------------------------------------- reading


class EdnError(ValueError):
    """Text that is not EDN; the message says where."""


_SKIP = re.compile(r"(?:[\s,]+|;[^\n]*)*")
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
_STRING_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_TOKEN = re.compile(r"[^\s,()\[\]{}\"';@^`~\\]+")
_CHARACTER = re.compile(r"\\(newline|space|tab|return|formfeed|backspace|u[0-9a-fA-F]{4}|.)")
_READ_INT = re.compile(r"[+-]?\d+N?")
_READ_RATIO = re.compile(r"([+-]?\d+)/(\d+)")
_READ_FLOAT = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?M?")
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "b": "\b"}
_NAMED_CHARACTERS = {
    "newline": "\n",
    "space": " ",
    "tab": "\t",
    "return": "\r",
    "formfeed": "\f",
    "backspace": "\b",
}
_SYMBOLIC = {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class Symbol(str):
    """A Clojure symbol read from EDN (other than nil, true and false)."""

    __slots__ = ()


def loads(text: str) -> Any:
    """The one EDN form in ``text``."""
    reader = _Reader(text)
    value = reader.form()
    reader.skip()
    if reader.position != len(text):
        raise EdnError(f"unexpected text after the form at offset {reader.position}")
    return value


def _frozen(value: Any) -> Any:
    """A hashable twin of a read value, for map keys and set elements."""
    if isinstance(value, dict):
        return tuple((_frozen(k), _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip(self) -> None:
        self.position = _SKIP.match(self.text, self.position).end()  # type: ignore[union-attr]

    def fail(self, message: str) -> EdnError:
        return EdnError(f"{message} at offset {self.position}")

    def form(self) -> Any:
        self.skip()
        if self.position >= len(self.text):
            raise self.fail("unexpected end of EDN")
        first = self.text[self.position]
        if first in _CLOSING:
            self.position += 1
            items = self.until(_CLOSING[first])
            if first == "{":
                return self.mapping(items)
            return Seq(items) if first == "(" else items
        if first == '"':
            return self.string()
        if first == "#":
            return self.dispatch()
        if first == "^":  # metadata: read and drop it
            self.position += 1
            self.form()
            return self.form()
        if first == "\\":
            return self.character()
        match = _TOKEN.match(self.text, self.position)
        if match is None:
            raise self.fail(f"unexpected {first!r}")
        self.position = match.end()
        return _atom(match.group(0))

    def until(self, closing: str) -> list[Any]:
        items: list[Any] = []
        while True:
            self.skip()
            if self.text.startswith(closing, self.position):
                self.position += 1
                return items
            items.append(self.form())

    def mapping(self, items: list[Any]) -> dict[Any, Any]:
        if len(items) % 2:
            raise self.fail("a map with an odd number of forms")
        return {_frozen(items[i]): items[i + 1] for i in range(0, len(items), 2)}

    def string(self) -> str:
        match = _STRING_BODY.match(self.text, self.position + 1)
        end = match.end()  # type: ignore[union-attr]
        if end >= len(self.text):
            raise self.fail("unterminated string")
        self.position = end + 1
        return _STRING_ESCAPE.sub(_unescape, match.group(0))  # type: ignore[union-attr]

    def character(self) -> str:
        match = _CHARACTER.match(self.text, self.position)
        if match is None:
            raise self.fail("bad character literal")
        self.position = match.end()
        name = match.group(1)
        if name in _NAMED_CHARACTERS:
            return _NAMED_CHARACTERS[name]
        return chr(int(name[1:], 16)) if len(name) == 5 else name

    def dispatch(self) -> Any:
        following = self.text[self.position + 1 : self.position + 2]
        if following == "{":
            self.position += 2
            items = [_frozen(item) for item in self.until("}")]
            return frozenset(items)
        if following == "#":
            self.position += 2
            match = _TOKEN.match(self.text, self.position)
            if match is None or match.group(0) not in _SYMBOLIC:
                raise self.fail("unknown symbolic value")
            self.position = match.end()
            return _SYMBOLIC[match.group(0)]
        if following == "_":  # discard the next form
            self.position += 2
            self.form()
            return self.form()
        self.position += 1
        tag = _TOKEN.match(self.text, self.position)
        if tag is None:
            raise self.fail("bad dispatch")
        self.position = tag.end()
        return self.form()  # a tagged literal reads as its value


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if len(escaped) == 5:
        return chr(int(escaped[1:], 16))
    return _UNESCAPE.get(escaped, escaped)


def _atom(token: str) -> Any:
    if token == "nil":
        return None
    if token in ("true", "false"):
        return token == "true"
    if token.startswith(":"):
        return Keyword(token[1:])
    if _READ_INT.fullmatch(token):
        return int(token.rstrip("N"))
    if match := _READ_RATIO.fullmatch(token):
        return int(match.group(1)) / int(match.group(2))
    if _READ_FLOAT.fullmatch(token):
        return float(token.rstrip("M"))
    return Symbol(token)
