"""What a finished test leaves behind: the verdict, the store directory and its files.

Layout (Maelstrom's, docs/maelstrom.md §9.6): ``store/<workload>/<yyyyMMddTHHmmss.SSS+zzzz>/``
with relative symlinks ``store/latest``, ``store/current`` and
``store/<workload>/latest``. glome writes the results twice: ``results.json``
(the structure and key names of Maelstrom's results.edn, keywords as strings
without the colon, so scripts can read it) and ``results.edn`` (real EDN, laid
out as Jepsen prints it). The history goes to ``history.jsonl`` (what
``glome analyze`` reads back), ``history.txt`` and ``history.edn``. An invalid
run's evidence (``glome.bench.explain``) goes to ``explanation.txt``,
``explanation.json`` and ``evidence.svg``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from glome.bench import edn
from glome.bench.history import NEMESIS, UNKNOWN, Op, Validity
from glome.exit_codes import INVALID, VALID
from glome.exit_codes import UNKNOWN as UNKNOWN_EXIT

VALID_PRIORITY: dict[Any, int] = {True: 0, UNKNOWN: 1, False: 2}

VERDICT_LINES: dict[Any, str] = {
    True: "Everything looks good! \u30fd(\u2018\u30fc`)\u30ce",
    False: "Analysis invalid! (\uff89\u0ca5\u76ca\u0ca5\uff09\uff89 \u253b\u2501\u253b",
    UNKNOWN: "Errors occurred during analysis, but no anomalies found. \u0ca0~\u0ca0",
}

EXIT_CODES: dict[Any, int] = {True: VALID, False: INVALID, UNKNOWN: UNKNOWN_EXIT}

#: where runs are stored, under the working directory, as Maelstrom keeps them
STORE_ROOT = Path("store")
#: ``store/sweeps/<timestamp>/``: one folder of ``glome sweep``'s per sweep, not a test
SWEEPS = "sweeps"

RESULTS_JSON = "results.json"
RESULTS_EDN = "results.edn"
HISTORY_JSONL = "history.jsonl"
HISTORY_TXT = "history.txt"
HISTORY_EDN = "history.edn"
TEST_JSON = "test.json"
EXPLANATION_TXT = "explanation.txt"
EXPLANATION_JSON = "explanation.json"
EVIDENCE_SVG = "evidence.svg"

DATA_KEYED_MAPS = frozenset({"duplicated"})  # unique-ids and set-full: value -> count
_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
_JSONL_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
_OP_KEY_ORDER = ("index", "time", "type", "process", "f", "value")
_HISTORY_SLICE = 256  # ops written at a time


def _priority(value: Any) -> int:
    # `value is True/False` keeps 1 and 0 from passing as booleans
    for known, priority in VALID_PRIORITY.items():
        if value is known or (isinstance(known, str) and value == known):
            return priority
    raise ValueError(f"{value!r} is not a known valid? value")


def is_validity(value: Any) -> bool:
    """True for the three verdicts a checker may give: true, false, "unknown"."""
    try:
        _priority(value)
    except ValueError:
        return False
    return True


def merge_valid(*values: Validity) -> Validity:
    """Jepsen's merge: false beats "unknown" beats true; nothing to merge is true."""
    merged: Validity = True
    for value in values:
        if _priority(value) > _priority(merged):
            merged = value
    return merged


def verdict_line(valid: Validity) -> str:
    """The last line Maelstrom prints for this verdict."""
    return VERDICT_LINES[_canonical(valid)]


def exit_code(valid: Validity) -> int:
    """0 valid, 1 invalid, 2 unknown (254 and 255 belong to the CLI)."""
    return EXIT_CODES[_canonical(valid)]


def _canonical(valid: Validity) -> Validity:
    return list(VALID_PRIORITY)[_priority(valid)]


# ---------------------------------------------------------------- the store


def store_timestamp(now: datetime) -> str:
    """Jepsen's directory name, yyyyMMdd'T'HHmmss.SSSZ in local time: 20251227T122137.189+0100."""
    local = now.astimezone() if now.tzinfo is None else now
    millis = local.microsecond // 1000
    return f"{local:%Y%m%dT%H%M%S}.{millis:03d}{local:%z}"


def create_store(workload: str, root: Path = STORE_ROOT, now: datetime | None = None) -> Path:
    """Make ``root/<workload>/<timestamp>/`` and point the three links at it."""
    directory = timestamped_directory(root / workload, now)
    update_links(directory)
    return directory


def timestamped_directory(parent: Path, now: datetime | None = None) -> Path:
    """Make ``parent/<timestamp>/``, a millisecond later when that one exists."""
    moment = now or datetime.now().astimezone()
    while True:
        directory = parent / store_timestamp(moment)
        try:
            directory.mkdir(parents=True)
            return directory
        except FileExistsError:
            moment += timedelta(milliseconds=1)  # two in one millisecond


def update_links(store: Path) -> None:
    """``latest`` and ``current`` under the store root and ``latest`` under the
    workload's directory, relative like Jepsen's, replaced atomically."""
    workload_dir = store.parent
    root = workload_dir.parent
    replace_link(root / "latest", Path(workload_dir.name) / store.name)
    replace_link(root / "current", Path(workload_dir.name) / store.name)
    replace_link(workload_dir / "latest", Path(store.name))


def replace_link(path: Path, target: Path) -> None:
    """Point the symlink ``path`` at ``target`` (relative to its folder), atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=True)
    os.replace(temporary, path)


def stored_tests(root: Path = STORE_ROOT) -> list[Path]:
    """Every stored test directory, oldest first (Jepsen orders them by name = time);
    the sweeps' summaries are not tests."""
    if not root.is_dir():
        return []
    found = [
        run
        for workload_dir in root.iterdir()
        if workload_dir.is_dir() and not workload_dir.is_symlink() and workload_dir.name != SWEEPS
        for run in workload_dir.iterdir()
        if run.is_dir() and not run.is_symlink()
    ]
    return sorted(found, key=lambda run: (run.name, run.parent.name))


def resolve_test(selector: int | str, root: Path = STORE_ROOT) -> Path:
    """``glome analyze -t``: an index into the stored tests (-1 newest) or a directory."""
    if isinstance(selector, str):
        path = Path(selector)
        if not (path / HISTORY_JSONL).is_file():
            raise FileNotFoundError(f"{path} holds no stored glome test ({HISTORY_JSONL} missing)")
        return path
    runs = stored_tests(root)
    try:
        return runs[selector]
    except IndexError:
        raise FileNotFoundError(
            f"no stored test number {selector}: {root} holds {len(runs)} test(s)"
        ) from None


# ------------------------------------------------------------ files written


def write_test(store: Path, test: dict[str, Any]) -> None:
    """test.json: the options (and argv) the test ran with, for ``glome analyze``."""
    (store / TEST_JSON).write_bytes(orjson.dumps(test, option=_JSON_OPTIONS) + b"\n")


def load_test(store: Path) -> dict[str, Any]:
    return orjson.loads((store / TEST_JSON).read_bytes())


def write_history(store: Path, history: list[Op]) -> None:
    """history.jsonl (one JSON op a line), history.txt and history.edn (Jepsen's forms),
    a slice of ops at a time, so that no file's whole text is ever held at once."""
    with (
        (store / HISTORY_JSONL).open("wb") as jsonl,
        (store / HISTORY_TXT).open("wb") as text,
        (store / HISTORY_EDN).open("wb") as edn_file,
    ):
        for start in range(0, len(history), _HISTORY_SLICE):
            ops = history[start : start + _HISTORY_SLICE]
            jsonl.writelines(orjson.dumps(op, option=_JSONL_OPTIONS) for op in ops)
            edn_lines, txt_lines = edn.history_lines(map(_edn_op, ops))
            text.write(txt_lines)
            edn_file.write(edn_lines)


def load_history(store: Path) -> list[Op]:
    with (store / HISTORY_JSONL).open("rb") as jsonl:
        return [orjson.loads(line) for line in jsonl if line.strip()]


def _keyword_if_name(value: Any) -> Any:
    return edn.Keyword(value) if isinstance(value, str) and edn.is_keyword_name(value) else value


def _edn_op(op: Op) -> dict[str, Any]:
    """An op with Jepsen's keywords restored: type, f, :nemesis, error names,
    and the nemesis' own values (e.g. :majority)."""
    ordered = {key: op[key] for key in _OP_KEY_ORDER if key in op}
    ordered.update((key, value) for key, value in op.items() if key not in ordered)
    ordered["type"] = edn.Keyword(op["type"])
    if "f" in op:
        ordered["f"] = _keyword_if_name(op["f"])
    if op.get("process") == NEMESIS:
        ordered["process"] = edn.Keyword(NEMESIS)
        ordered["value"] = _nemesis_value(op.get("value"))
    error = op.get("error")
    if isinstance(error, str):
        ordered["error"] = _keyword_if_name(error)
    elif isinstance(error, list) and error:
        ordered["error"] = [_keyword_if_name(error[0]), *error[1:]]
    return ordered


def _nemesis_value(value: Any) -> Any:
    """Jepsen's partition values: ``:majority``, ``[:isolated {"n1" #{"n2"}}]``,
    ``:network-healed``; node names stay strings, also as map keys."""
    if isinstance(value, list) and value:
        return [_keyword_if_name(value[0]), *map(_nemesis_value, value[1:])]
    if isinstance(value, dict):
        return {
            edn.Text(k) if isinstance(k, str) else k: _keyword_if_name(v) for k, v in value.items()
        }
    return _keyword_if_name(value)


def write_results(store: Path, results: dict[str, Any]) -> None:
    """results.json (Maelstrom's keys as strings) and results.edn (Jepsen's pprint)."""
    (store / RESULTS_JSON).write_bytes(orjson.dumps(results, option=_JSON_OPTIONS) + b"\n")
    (store / RESULTS_EDN).write_text(edn.pretty(edn_results(results)) + "\n", encoding="utf-8")


def load_results(store: Path) -> dict[str, Any]:
    return orjson.loads((store / RESULTS_JSON).read_bytes())


def edn_results(value: Any, key: Any = None) -> Any:
    """Results with their EDN types restored: ``valid?`` values such as "unknown"
    become keywords, the quantile keys of ``*-latencies`` maps numbers, and the
    keys of maps keyed by the test's own values (``duplicated`` ids) stay data."""
    if isinstance(value, dict):
        if isinstance(key, str) and key.endswith("-latencies"):
            return {_number(k): edn_results(v, k) for k, v in value.items()}
        if key in DATA_KEYED_MAPS:
            return {edn.Text(k) if isinstance(k, str) else k: v for k, v in value.items()}
        return {k: edn_results(v, k) for k, v in value.items()}
    if key == "valid?" and isinstance(value, str):
        return edn.Keyword(value)
    if isinstance(value, (list, tuple)) and not isinstance(value, edn.Seq):
        return [edn_results(item) for item in value]
    if isinstance(value, edn.Seq):
        return edn.Seq(edn_results(item) for item in value)
    return value


def _number(key: Any) -> Any:
    if not isinstance(key, str):
        return key
    try:
        return int(key)
    except ValueError:
        try:
            return float(key)
        except ValueError:
            return key


# ---------------------------------------------------------------- console


def format_results(results: dict[str, Any], explanation: str | None = None) -> str:
    """The end of the console output: the results map, any top-level error, an
    invalid run's explanation, then (after a blank line) exactly one verdict line,
    last, where Maelstrom prints it and scripts look for it."""
    parts = [edn.pretty(edn_results(results)), "\n"]
    if results.get("error"):
        parts += ["\n\n", str(results["error"])]
    if explanation:
        parts += ["\n\n", explanation.rstrip("\n")]
    parts += ["\n\n", verdict_line(results.get("valid?", UNKNOWN))]
    return "".join(parts)
