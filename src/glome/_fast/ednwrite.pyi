"""One-line EDN of glome's values and a history's ops (ednwrite.pyx and _pure_ednwrite.py)."""

from collections.abc import Callable, Iterable
from typing import Any

KEYWORD_CACHE_LIMIT: int
TXT_FIELDS: tuple[str, ...]
ERROR: str

class Writer:
    """EDN text with the caller's notion of keywords, seqs and floats."""

    def __init__(
        self,
        keyword: type[str],
        seq: type[list[Any]],
        is_keyword_name: Callable[[str], bool],
        float_text: Callable[[float], str],
    ) -> None: ...
    def dumps(self, value: Any, keyword_keys: bool = True, readably: bool = True) -> str:
        """One-line EDN (Clojure's ``pr``; with readably=False, ``print``)."""
    def key_text(self, key: Any, keyword_keys: bool = True, readably: bool = True) -> str:
        """A map key: a keyword when ``keyword_keys`` and it is a plain string that
        reads as one (``Text`` and other str subclasses stay strings), else its EDN."""
    def brackets(self, value: Any) -> tuple[str, str]:
        """The opening and closing text of a sequence or set; TypeError for other values."""
    def history_lines(self, ops: Iterable[dict[str, Any]]) -> tuple[bytes, bytes]:
        """The history.edn lines and the history.txt lines (Jepsen's prn-op) of
        ``ops``, UTF-8."""
