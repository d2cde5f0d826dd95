"""Reading a history file into the op shape glome's checkers take.

Jepsen-style tools write histories in two ways, and both are accepted: one
collection of ops (``[{...} {...}]``, as Knossos's data files and
``jepsen.history`` print it), or one op after another (Jepsen's history.edn,
JSON Lines). EDN ops are maps with keyword keys (``:type :ok``); JSON ops are
objects with string keys. Either way an op becomes glome's plain dict
(``glome.bench.history``): string keys, ``type`` and ``f`` as strings, the
nemesis as ``"nemesis"``.

What Jepsen's own reader fills in is filled in here too, so the checkers see
what they would see under Jepsen: ops without ``:index`` are numbered 0, 1, 2
... in file order (``jepsen.history/history``), a missing ``:time`` is -1 and
a missing ``:process`` is nil (one anonymous process; pairing then follows
file order). EDN lists ``(...)`` and sets ``#{...}`` inside values become
lists (sets sorted where their elements compare), since every checker here
reads collections as sequences. Anything a checker could not make sense of is
refused with a one-line ``HistoryError`` rather than a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from glome.bench import edn
from glome.bench.history import FAIL, INFO, INVOKE, OK, Op

FORMATS = ("edn", "json")
TYPES = (INVOKE, OK, FAIL, INFO)
SUFFIXES = {".edn": "edn", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
MISSING_TIME = -1  # what jepsen.history gives an op without :time
_OFFSET = re.compile(r" at offset (\d+)$")
_EDN_WRAPPER = "[\n"  # the text is read as one vector of its forms


class HistoryError(ValueError):
    """A file that holds no history glome can check; the message is one line."""


def read_history(path: Path, fmt: str | None = None) -> list[Op]:
    """The ops in ``path``; ``fmt`` ("edn" or "json") overrides the file's suffix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HistoryError("no such file") from None
    except IsADirectoryError:
        raise HistoryError("is a directory, not a history file") from None
    except UnicodeDecodeError as error:
        raise HistoryError(f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise HistoryError(error.strerror or str(error)) from None
    return parse_history(text, fmt or SUFFIXES.get(path.suffix.lower()))


def parse_history(text: str, fmt: str | None = None) -> list[Op]:
    """The ops in ``text``, read as ``fmt`` or, when None, as JSON if it is JSON, else EDN."""
    if fmt == "json":
        entries = _json_entries(text)
    elif fmt == "edn":
        entries = _edn_entries(text)
    else:
        try:
            entries = _json_entries(text)
        except HistoryError:
            entries = _edn_entries(text)
    return normalise(entries)


def _json_entries(text: str) -> list[Any]:
    """A JSON array of ops (or one op), else JSON Lines: one op a line."""
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        entries = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                raise HistoryError(f"not JSON, line {number}: {error.msg}") from None
        return entries
    return _unwrapped(whole if isinstance(whole, list) else [whole])


def _edn_entries(text: str) -> list[Any]:
    """Every top-level EDN form; a single vector or list of forms is the history."""
    try:
        forms = edn.loads(_EDN_WRAPPER + text + "\n]")
    except edn.EdnError as error:
        raise HistoryError(f"not EDN: {_located(str(error), text)}") from None
    except RecursionError:
        raise HistoryError("not EDN: nested too deeply") from None
    return _unwrapped(forms)


def _unwrapped(forms: list[Any]) -> list[Any]:
    if len(forms) == 1 and isinstance(forms[0], list):
        return forms[0]
    return forms


def _located(message: str, text: str) -> str:
    """The reader's message with its offset in the wrapped text turned into a line."""
    match = _OFFSET.search(message)
    if match is None:
        return message
    offset = int(match.group(1)) - len(_EDN_WRAPPER)
    if offset >= len(text):
        return "the file ends inside a collection or string (a bracket left open?)"
    line = text.count("\n", 0, max(0, offset)) + 1
    return f"{message[: match.start()]} (line {line})"


def normalise(entries: list[Any]) -> list[Op]:
    """glome ops from the maps read, numbered as Jepsen numbers them."""
    ops = [_op(entry, position) for position, entry in enumerate(entries)]
    indices = [op.get("index") for op in ops]
    if all(index is None for index in indices):
        for position, op in enumerate(ops):
            op["index"] = position
        return ops
    for position, index in enumerate(indices):
        if type(index) is not int:
            raise HistoryError(
                f"op {position} has :index {_shown(index)}, but other ops have integer "
                "indices: give every op one, or none"
            )
    seen: set[object] = set()
    for index in indices:
        if index in seen:
            raise HistoryError(f"two ops have :index {index}")
        seen.add(index)
    return ops


def _op(entry: Any, position: int) -> Op:
    if not isinstance(entry, dict):
        raise HistoryError(f"entry {position} is {_shown(entry)}, not an op map")
    op: Op = {_key(key): plain_value(value) for key, value in entry.items()}
    kind = op.get("type")
    if kind is None:
        raise HistoryError(f"op {position} has no :type: {_shown(entry)}")
    if kind not in TYPES:
        raise HistoryError(
            f"op {position} has :type {_shown(kind)}; expected one of "
            + ", ".join(f":{name}" for name in TYPES)
        )
    op["type"] = str(kind)
    if isinstance(op.get("f"), str):
        op["f"] = str(op["f"])
    process = op.get("process")
    op["process"] = str(process) if isinstance(process, str) else process
    op.setdefault("time", MISSING_TIME)
    return op


def _key(key: Any) -> Any:
    return str(key) if isinstance(key, str) else key


def plain_value(value: Any) -> Any:
    """EDN lists and sets as lists, all the way down; everything else unchanged."""
    kind = type(value)
    if kind is list or kind is edn.Seq:
        return [item if type(item) is int else plain_value(item) for item in value]
    if kind is dict:
        return {key: plain_value(item) for key, item in value.items()}
    if kind is frozenset:
        items = [plain_value(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    return value


def _shown(value: Any, limit: int = 80) -> str:
    """A value as EDN, cut to one short line for a message."""
    try:
        text = edn.dumps(value)
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
