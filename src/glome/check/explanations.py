"""``--directory``: one folder per input file holding its checker's whole result.

Each folder gets ``results.json`` and ``results.edn`` (written as a glome
test's results are, by ``glome.bench.results.write_results``) beside whatever
side files the checker writes there itself (Elle's ``elle/`` cycles, lin-kv's
``independent/``, a Knossos ``linear.svg``). Results hold values read from
EDN, which JSON cannot always hold as they are: sets become lists, and map
keys that are collections become their EDN text. In the EDN file, ops show
their type and f as keywords, as Jepsen prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glome.bench import edn
from glome.bench.results import write_results
from glome.check.reading import TYPES

_SCALAR_KEYS = (str, int, float, bool, type(None))


def folders(root: Path, files: list[str]) -> list[Path]:
    """A folder under ``root`` for each file: its name, numbered when names repeat."""
    used: set[str] = set()
    chosen = []
    for file in files:
        base = Path(file).name or "history"
        name, number = base, 1
        while name in used:
            number += 1
            name = f"{base}.{number}"
        used.add(name)
        chosen.append(root / name)
    return chosen


def storable(value: Any) -> Any:
    """The result with only what both JSON and EDN writers take."""
    if isinstance(value, dict):
        return {_key(key): storable(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [storable(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, edn.Seq):
        return edn.Seq(storable(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value


def _key(key: Any) -> Any:
    return key if isinstance(key, _SCALAR_KEYS) else edn.dumps(key)


def _keyword_ops(value: Any) -> Any:
    """Ops with ``:type`` and ``:f`` keywords, everywhere in a result."""
    if isinstance(value, dict):
        shown = {key: _keyword_ops(item) for key, item in value.items()}
        if value.get("type") in TYPES and ("process" in value or "f" in value):
            shown["type"] = edn.Keyword(value["type"])
            f = value.get("f")
            if isinstance(f, str) and edn.is_keyword_name(f):
                shown["f"] = edn.Keyword(f)
        return shown
    if isinstance(value, edn.Seq):
        return edn.Seq(_keyword_ops(item) for item in value)
    if isinstance(value, list):
        return [_keyword_ops(item) for item in value]
    return value


def write(folder: Path, result: dict[str, Any]) -> None:
    """results.json and results.edn of one file's result."""
    folder.mkdir(parents=True, exist_ok=True)
    write_results(folder, _keyword_ops(storable(result)))
