"""What a person reads: the Knossos-shaped explanation, budgets, merging, side files."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from glome.bench.checkers.linear import BUDGET_EXTRA, Budget, check, checker
from glome.bench.history import CheckContext, Op
from support.synthetic.linear import Shape, history

from .histories import build, cas, read, sequential, write


def run(ops: list[Op], budget: Budget | None = None, store: Path | None = None) -> dict:
    extra = {BUDGET_EXTRA: budget} if budget else {}
    return check(ops, CheckContext(options=None, store=store, extra=extra))


def test_stale_read_is_explained() -> None:
    ops = sequential(write(0, "k", 3), write(0, "k", 4), read(1, "k", 3))
    result = run(ops)["results"]["k"]["linearizable"]
    assert result["op"] == {**ops[5], "value": 3}
    assert result["previous-ok"] == {**ops[3], "value": 4}
    write_4 = {**ops[2], "value": 4}
    read_3 = {**ops[4], "value": 3}
    assert result["last-op"] == write_4
    assert result["configs"] == [{"model": {"value": 4}, "last-op": write_4, "pending": [read_3]}]
    assert result["final-paths"] == [
        [
            {"op": write_4, "model": {"value": 4}},
            {"op": read_3, "model": {"inconsistent": "can't read 3 from register 4"}},
        ]
    ]


def test_final_paths_try_the_pending_calls_first() -> None:
    ops = build(
        *write(0, "k", 1),
        (2, "invoke", "cas", ["k", [2, 0]]),
        *cas(1, "k", 1, 3),
        *read(1, "k", 4),
        (2, "ok", "cas", ["k", [2, 0]]),
    )
    result = run(ops)["results"]["k"]["linearizable"]
    assert result["op"]["f"] == "read"
    assert result["op"]["value"] == 4
    assert [config["model"] for config in result["configs"]] == [{"value": 3}]
    assert [call["f"] for call in result["configs"][0]["pending"]] == ["cas", "read"]
    endings = [path[-1]["model"] for path in result["final-paths"]]
    assert endings == [{"inconsistent": "can't read 4 from register 3"}]


def test_impossible_cas_names_register_and_arguments() -> None:
    ops = sequential(write(0, "k", 1), cas(0, "k", 1, 2), cas(1, "k", 1, 3))
    paths = run(ops)["results"]["k"]["linearizable"]["final-paths"]
    assert paths[0][-1]["model"] == {"inconsistent": "can't CAS 2 from 1 to 3"}


def test_configs_and_paths_are_truncated_to_ten() -> None:
    # Ten indeterminate writes of different values leave many possible states.
    events = []
    for process in range(12):
        events += [
            (process, "invoke", "write", ["k", process]),
            (process, "info", "write", ["k", process]),
        ]
    ops = build(*events, *read(99, "k", 50))
    result = run(ops)["results"]["k"]["linearizable"]
    assert result["valid?"] is False
    assert len(result["configs"]) == 1
    assert len(result["configs"][0]["pending"]) == 13
    assert len(result["final-paths"]) == 10


def test_config_budget_yields_unknown() -> None:
    ops = sequential(write(0, "k", 1), read(1, "k", 1))
    result = run(ops, Budget(key_configs=1))
    assert result["valid?"] == "unknown"
    assert result["results"]["k"]["linearizable"]["cause"] == "config-limit"
    assert result["failures"] == []


def test_time_budget_yields_unknown() -> None:
    ops = history(Shape(ops=4000, node_count=1), seed=7)
    assert run(ops)["valid?"] is True
    result = run(ops, Budget(total_seconds=0))
    causes = {outcome["linearizable"].get("cause") for outcome in result["results"].values()}
    assert result["valid?"] == "unknown"
    assert "timeout" in causes


def test_false_beats_unknown_beats_true() -> None:
    bad_cas = [(5, "invoke", "cas", [2, 7]), (5, "ok", "cas", [2, 7])]
    unknown_and_true = sequential(write(0, 1, 1), read(1, 1, 1), bad_cas)
    result = run(unknown_and_true)
    assert result["valid?"] == "unknown"
    assert result["results"][2]["linearizable"]["error"].startswith("cas value must be")
    assert result["failures"] == []
    with_false = sequential(write(0, 1, 1), read(1, 1, 2), bad_cas)
    assert run(with_false)["valid?"] is False
    assert run(with_false)["failures"] == [1]


def test_each_key_is_stored_under_independent(tmp_path: Path) -> None:
    ops = sequential(write(0, 1, 1), read(1, 1, 1), write(0, 2, 2))
    run(ops, store=tmp_path)
    for key in ("1", "2"):
        assert "linearizable" in (tmp_path / "independent" / key / "results.edn").read_text()
    history_edn = (tmp_path / "independent" / "2" / "history.edn").read_text().splitlines()
    assert history_edn == [
        "{:index 4, :time 4000, :type :invoke, :process 0, :f :write, :value 2}",
        "{:index 5, :time 5000, :type :ok, :process 0, :f :write, :value 2}",
    ]


def test_a_key_that_fails_gets_a_picture(tmp_path: Path) -> None:
    ops = build(
        *write(0, 1, 1),
        *write(0, 2, 3),
        (2, "invoke", "write", [2, 4]),
        (2, "info", "write", [2, 4]),
        *write(0, 2, 5),
        *read(1, 2, 3),
    )
    run(ops, store=tmp_path)
    assert not (tmp_path / "independent" / "1" / "linear.svg").exists()
    picture = ElementTree.parse(tmp_path / "independent" / "2" / "linear.svg").getroot()
    texts = [element.text for element in picture.iter("{http://www.w3.org/2000/svg}text")]
    assert "op 9 could not be linearized" in texts
    assert "write 5 → 5, read 3 → can't read 3 from register 5" in texts
    bars = picture.findall("{http://www.w3.org/2000/svg}rect")
    assert [bar.get("stroke") for bar in bars].count("#FF1E90") == 1
    assert {bar.get("fill") for bar in bars} == {"#6DB6FE", "#FFAA26"}


def test_a_key_whose_check_raises_is_unknown(monkeypatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("search broke")

    monkeypatch.setattr(checker, "_search", broken)
    result = run(sequential(write(0, 1, 1), read(1, 1, 1)))
    assert result["valid?"] == "unknown"
    assert result["failures"] == []
    assert result["results"][1]["linearizable"]["error"].startswith("RuntimeError: search broke")
