"""One-line EDN text of glome's values and of a history's ops (pure twin of ednwrite.pyx).

``glome.bench.edn`` builds one ``Writer`` and hands it what only it knows:
its keyword and seq types, which strings read as keywords, and how a float
is printed. The writer prints a value as Clojure's ``pr`` does (``print``
with ``readably=False``: strings bare), map keys that read as keywords as
keywords when ``keyword_keys`` says so; and a run's ops, already in their
EDN shape, as the lines of ``history.edn`` and ``history.txt`` at once, so
that an op's value, the bulk of a broadcast history, is printed once for both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import orjson

#: how many strings the writer remembers as reading as a keyword or not
KEYWORD_CACHE_LIMIT = 4096
#: the fields of a history.txt line, before the error
TXT_FIELDS = ("process", "type", "f", "value")
ERROR = "error"

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


class Writer:
    """EDN text with the caller's notion of keywords, seqs and floats."""

    def __init__(
        self,
        keyword: type[str],
        seq: type[list[Any]],
        is_keyword_name: Callable[[str], bool],
        float_text: Callable[[float], str],
    ) -> None:
        self._keyword = keyword
        self._seq = seq
        self._is_keyword_name = functools.lru_cache(maxsize=KEYWORD_CACHE_LIMIT)(is_keyword_name)
        self._float_text = float_text

    def dumps(self, value: Any, keyword_keys: bool = True, readably: bool = True) -> str:
        """One-line EDN (Clojure's ``pr``; with readably=False, ``print``)."""
        if value is None:
            return "nil"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, self._keyword):
            return ":" + value
        if isinstance(value, str):
            return _string_text(value) if readably else value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return self._float_text(value)
        if isinstance(value, dict):
            entries = (
                self.key_text(k, keyword_keys, readably)
                + " "
                + self.dumps(v, keyword_keys, readably)
                for k, v in value.items()
            )
            return "{" + ", ".join(entries) + "}"
        opening, closing = self.brackets(value)
        as_json = _integer_list_json(value) if type(value) is list else None
        if as_json is not None:  # the bulk of a history: reads of many integers
            return as_json.replace(b",", b" ").decode()
        return opening + " ".join(self.dumps(v, keyword_keys, readably) for v in value) + closing

    def brackets(self, value: Any) -> tuple[str, str]:
        """The opening and closing text of a sequence or set; TypeError for other values."""
        if isinstance(value, self._seq):
            return "(", ")"
        if isinstance(value, (set, frozenset)):
            return "#{", "}"
        if isinstance(value, (list, tuple)):
            return "[", "]"
        raise TypeError(f"no EDN form for {type(value).__name__}")

    def history_lines(self, ops: Iterable[dict[str, Any]]) -> tuple[bytes, bytes]:
        """The history.edn lines (each op as a map) and the history.txt lines (Jepsen's
        prn-op: process, type, f, value, then the error printed bare, tab-separated)
        of ``ops``, UTF-8."""
        edn_lines: list[str] = []
        txt_lines: list[str] = []
        for op in ops:
            edn_lines += (self.dumps(op), "\n")
            fields = [self.dumps(op.get(key)) for key in TXT_FIELDS]
            if op.get(ERROR) is not None:
                fields.append(self.dumps(op[ERROR], readably=False))
            txt_lines += ("\t".join(fields), "\n")
        return "".join(edn_lines).encode(), "".join(txt_lines).encode()

    def key_text(self, key: Any, keyword_keys: bool = True, readably: bool = True) -> str:
        """A map key: a keyword when ``keyword_keys`` and it is a plain string that
        reads as one (``Text`` and other str subclasses stay strings), else its EDN."""
        if keyword_keys and type(key) is str and self._is_keyword_name(key):
            return ":" + key
        return self.dumps(key, keyword_keys, readably)


def _string_text(text: str) -> str:
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in text) + '"'


def _integer_list_json(values: list[Any]) -> bytes | None:
    """The JSON text of ``values`` when it holds 64-bit integers only (or lists of
    them, any list printed ``[...]``, a seq too), else None.

    Serialising in C and deleting the integer characters is several times
    faster than looking at each value's type from Python."""
    try:
        text = orjson.dumps(values)
    except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits
        return None
    return None if text.translate(None, _INTEGER_LIST_BYTES) else text
