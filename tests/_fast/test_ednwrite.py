"""The compiled EDN writer and its pure twin agree: the same text for any value,
map key and history op, and the same bytes in every file a run writes (the
expected text is always the pure backend's)."""

from __future__ import annotations

import enum
import functools
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glome._fast import load_pure
from glome.bench import edn, results
from glome.bench.edn import Keyword, Seq, Text
from support.compiled import compiled_module

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


class Level(enum.IntEnum):
    """An int subclass: printed by value, in lists as alone."""

    LOW = 1
    HIGH = 1 << 40


names = st.sampled_from(["index", "f", "value", "error", "final?", "a-b", "-x", "1a", "a b"])
strings = st.one_of(
    names, st.text(max_size=8), st.sampled_from(['q"uote', "back\\slash", "é\n\t\r\f\b"])
)
integers = st.one_of(
    st.integers(-(1 << 70), 1 << 70),
    st.integers(-(1 << 63) - 2, -(1 << 63) + 2),
    st.integers((1 << 64) - 2, (1 << 64) + 2),
    st.sampled_from([Level.LOW, Level.HIGH]),
)
atoms = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    strings,
    strings.map(Keyword),
    strings.map(Text),
)
values = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(integers, max_size=8),
        st.lists(inner, max_size=4).map(Seq),
        st.lists(inner, max_size=4).map(tuple),
        st.frozensets(st.one_of(integers, strings), max_size=4),
        st.dictionaries(st.one_of(strings, strings.map(Text), integers), inner, max_size=4),
    ),
    max_leaves=20,
)
ops = st.fixed_dictionaries(
    {"type": st.sampled_from(["invoke", "ok", "fail", "info"]).map(Keyword)},
    optional={
        "index": st.integers(0, 10**6),
        "process": st.one_of(st.integers(0, 9), st.just(Keyword("nemesis"))),
        "f": st.one_of(names.map(Keyword), strings),
        "value": values,
        "error": st.one_of(st.none(), strings, st.lists(values, max_size=3)),
        "final?": st.booleans(),
        Text("value"): values,
    },
)


def writer(module: ModuleType) -> Any:
    return module.Writer(Keyword, Seq, edn.is_keyword_name, edn._float_text)


def outcome(call: Any) -> Any:
    try:
        return call()
    except TypeError as error:
        return TypeError, str(error)


@pytest.fixture(scope="module")
def writers() -> tuple[Any, Any]:
    """(compiled, pure) writers, set up as glome.bench.edn sets up its own."""
    return writer(compiled_module("ednwrite")), writer(load_pure("ednwrite"))


@settings(max_examples=500, deadline=None, suppress_health_check=FIXTURES)
@given(value=values, keyword_keys=st.booleans(), readably=st.booleans())
def test_twins_print_the_same_text(
    writers: tuple[Any, Any], value: Any, keyword_keys: bool, readably: bool
) -> None:
    compiled, pure = writers
    for method in ("dumps", "key_text"):
        arguments = (value, keyword_keys, readably)
        expected = outcome(functools.partial(getattr(pure, method), *arguments))
        assert outcome(functools.partial(getattr(compiled, method), *arguments)) == expected
    assert outcome(lambda: compiled.brackets(value)) == outcome(lambda: pure.brackets(value))


def test_values_without_an_edn_form_are_refused_alike(writers: tuple[Any, Any]) -> None:
    compiled, pure = writers
    for value in (object(), [1, object()], {"k": b"bytes"}):
        with pytest.raises(TypeError) as pure_error:
            pure.dumps(value)
        with pytest.raises(TypeError, match=str(pure_error.value)):
            compiled.dumps(value)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(history=st.lists(ops, max_size=6))
def test_twins_write_the_same_history_lines(
    writers: tuple[Any, Any], history: list[dict[str, Any]]
) -> None:
    compiled, pure = writers
    assert compiled.history_lines(history) == pure.history_lines(history)


def stored_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_every_written_file_is_byte_identical_across_backends(
    writers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A run's history with reads, failures, errors and nemesis ops, and results
    with keywords, seqs, sets, floats and latency maps."""
    history: list[dict[str, Any]] = [
        {"index": 0, "time": 5, "type": "invoke", "process": 0, "f": "read", "value": None},
        {"index": 1, "time": 9, "type": "ok", "process": 0, "f": "read", "value": [3, 1, -2]},
        {"index": 2, "time": 10, "type": "info", "process": "nemesis", "f": "start-partition",
         "value": ["isolated", {"n1": ["n2"], "n2": ["n1"]}]},
        {"index": 3, "time": 11, "type": "invoke", "process": 1, "f": "add", "value": 1.5},
        {"index": 4, "time": 12, "type": "info", "process": 1, "f": "add", "value": 1.5,
         "error": ["net-timeout", "no \"reply\"\n", 2]},
        {"index": 5, "time": 13, "type": "fail", "process": 2, "f": "txn",
         "value": [["r", 1, None], ["append", 2, 3]], "error": "crash", "final?": True},
        {"index": 6, "time": 14, "type": "info", "process": "nemesis", "f": "stop-partition",
         "value": "network-healed"},
    ]  # fmt: skip
    run_results = {
        "workload": {"valid?": "unknown", "lost": Seq([1, 2]), "never-read": Seq(),
                     "stable-latencies": {"0": 1, "0.5": 2, "1": 30}, "duplicated": {"7": 2}},
        "net": {"all": {"send-count": 10, "msgs-per-op": 1.25}, "stable": [1.0e20, -0.0]},
        "valid?": "unknown",
    }  # fmt: skip
    written = []
    for backend in writers:
        monkeypatch.setattr(edn, "_writer", backend)
        store = tmp_path / str(len(written))
        store.mkdir()
        results.write_history(store, history)
        results.write_results(store, run_results)
        written.append(stored_files(store))
    compiled_files, pure_files = written
    assert sorted(pure_files) == sorted(
        ["history.edn", "history.jsonl", "history.txt", "results.edn", "results.json"]
    )
    assert compiled_files == pure_files
