"""The EDN reader: it reads back what the writer prints, and what Maelstrom prints."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glome.bench import edn

KEYS = st.one_of(st.from_regex(r"[a-z][a-z0-9?-]{0,8}", fullmatch=True), st.text(max_size=5))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
        st.builds(edn.Seq, st.lists(inner, max_size=3)),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=20,
)


@given(VALUES)
def test_reads_back_what_the_writer_prints(value: object) -> None:
    assert edn.loads(edn.dumps(value)) == value
    assert edn.loads(edn.pretty(value)) == value


def test_reads_keywords_as_keywords_usable_as_plain_string_keys() -> None:
    value = edn.loads("{:valid? :unknown, :net {:servers {:msgs-per-op 1.5}}}")
    assert value["net"]["servers"]["msgs-per-op"] == 1.5
    assert isinstance(value["valid?"], edn.Keyword) and value["valid?"] == "unknown"


MAELSTROM_RESULTS = r"""
{:perf {:latency-graph {:valid? true}, :rate-graph {:valid? true}, :valid? true},
 :timeline {:valid? true},
 :exceptions {:valid? true,
              :exceptions [{:count 2, :class java.net.SocketTimeoutException,
                            :example #jepsen.history.Op{:index 7, :type :info, :f :read,
                                                        :value nil, :error [:timeout "t"]}}]},
 :stats {:valid? true, :count 10, :by-f {:read {:valid? true, :ok-count 9}}},
 :availability {:valid? true, :ok-fraction 0.99601597},
 :net {:all {:msgs-per-op 12.5}, :servers {:msg-count 2000, :msgs-per-op 9.876543}, :valid? true},
 :workload {:worst-stale () ; a comment
            :duplicated-count 0, :lost #{}, :ratio 1/4, :never-read ##Inf,
            :chars [\a \newline \u0041], #_ :discarded #_ 1
            :stable-latencies {0 0, 0.5 84, 0.95 97, 0.99 99, 1 101},
            :attempt-count 1000N, :big 1.5M, :at #inst "2026-01-01T00:00:00.000-00:00",
            :meta ^{:tag x} [1 2], :obj #object[java.lang.Object 0x1 "x"],
            :valid? :unknown},
 :valid? :unknown}
"""


def test_reads_a_maelstrom_results_file() -> None:
    results = edn.loads(MAELSTROM_RESULTS)
    assert results["valid?"] == "unknown"
    assert results["net"]["servers"]["msgs-per-op"] == 9.876543
    assert results["availability"]["ok-fraction"] == 0.99601597
    workload = results["workload"]
    assert workload["stable-latencies"][0.5] == 84 and workload["stable-latencies"][1] == 101
    assert workload["lost"] == frozenset() and workload["worst-stale"] == []
    assert workload["ratio"] == 0.25 and math.isinf(workload["never-read"])
    assert workload["chars"] == ["a", "\n", "A"]
    assert "discarded" not in workload
    assert (workload["attempt-count"], workload["big"]) == (1000, 1.5)
    assert workload["at"] == "2026-01-01T00:00:00.000-00:00"
    assert workload["meta"] == [1, 2] and workload["obj"] == ["java.lang.Object", "0x1", "x"]
    example = results["exceptions"]["exceptions"][0]["example"]
    assert example["error"] == ["timeout", "t"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{:a "b', "unterminated string"),
        ("{:a}", "odd number"),
        ("[1 2", "end of EDN"),
        ("1 2", "after the form"),
        ("##Nope", "symbolic value"),
    ],
)
def test_malformed_text_is_an_error_with_a_place(text: str, message: str) -> None:
    with pytest.raises(edn.EdnError, match=message):
        edn.loads(text)
