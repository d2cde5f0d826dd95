"""compose, stats, availability, exceptions and net on hand-built histories
(docs/maelstrom.md §9.1-9.2, §4.5)."""

from __future__ import annotations

import pytest

from glome.bench.checkers import availability, compose, exceptions, net, stats
from glome.bench.history import CheckContext
from glome.bench.options import TestOptions

# ------------------------------------------------------------------- compose


def always(valid):
    return lambda history, ctx: {"valid?": valid}


def broken(history, ctx):
    raise KeyError("no such key")


@pytest.mark.parametrize(
    ("verdicts", "merged"),
    [
        ([True, True], True),
        ([True, "unknown"], "unknown"),
        (["unknown", False, True], False),
        ([False, "unknown"], False),
        ([], True),
    ],
)
def test_compose_merges_false_over_unknown_over_true(verdicts, merged, ctx):
    checker = compose({f"c{i}": always(v) for i, v in enumerate(verdicts)})
    result = checker([], ctx)
    assert result["valid?"] == merged
    assert [result[f"c{i}"]["valid?"] for i in range(len(verdicts))] == verdicts


def test_compose_turns_an_exception_into_unknown_for_that_checker_only(ctx):
    result = compose({"good": always(True), "bad": broken})([], ctx)
    assert result["good"] == {"valid?": True}
    assert result["bad"]["valid?"] == "unknown"
    assert "KeyError" in result["bad"]["error"] and "no such key" in result["bad"]["error"]
    assert result["valid?"] == "unknown"


@pytest.mark.parametrize("odd", [{"count": 3}, {"valid?": 1}, {"valid?": None}, None])
def test_compose_treats_a_result_without_a_verdict_as_unknown(ctx, odd):
    result = compose({"odd": lambda h, c: odd, "fine": always(True)})([], ctx)
    assert result["odd"]["valid?"] == "unknown" and "no valid? verdict" in result["odd"]["error"]
    assert result["valid?"] == "unknown"


def test_compose_keeps_checker_order_and_puts_valid_last(ctx):
    result = compose({"stats": always(True), "net": always(True), "workload": always(False)})
    assert list(result([], ctx)) == ["stats", "net", "workload", "valid?"]


# --------------------------------------------------------------------- stats


def test_stats_counts_completions_per_f_and_ignores_invocations_and_nemesis(build, ctx):
    build.call(0, "read", None, "ok", [])
    build.call(0, "broadcast", 1, "info")
    build.call(1, "broadcast", 2, "ok")
    build.call(1, "read", None, "fail")
    build.nemesis("start-partition", "majority")
    result = stats.check(build.ops, ctx)
    assert result == {
        "valid?": True,
        "count": 4,
        "ok-count": 2,
        "fail-count": 1,
        "info-count": 1,
        "by-f": {
            "broadcast": {
                "valid?": True,
                "count": 2,
                "ok-count": 1,
                "fail-count": 0,
                "info-count": 1,
            },
            "read": {"valid?": True, "count": 2, "ok-count": 1, "fail-count": 1, "info-count": 0},
        },
    }


def test_stats_an_f_that_never_succeeded_makes_stats_false(build, ctx):
    """Spec 9.11: e.g. lin-kv where every cas failed."""
    build.call(0, "read", None, "ok", 1)
    build.call(0, "cas", [1, 2], "fail")
    build.call(1, "cas", [1, 3], "info")
    result = stats.check(build.ops, ctx)
    assert result["by-f"]["cas"]["valid?"] is False
    assert result["valid?"] is False


@pytest.mark.parametrize("forgiven", ["crash", "debug-topic-partitions"])
def test_stats_forgives_kafka_crash_ops_that_never_succeed(build, ctx, forgiven):
    build.call(0, "send", ["k", 1], "ok")
    build.call(0, forgiven, None, "info")
    result = stats.check(build.ops, ctx)
    assert result["by-f"][forgiven]["valid?"] is False
    assert result["valid?"] is True


def test_stats_forgiveness_does_not_cover_other_fs(build, ctx):
    build.call(0, "crash", None, "info")
    build.call(0, "poll", None, "fail")
    assert stats.check(build.ops, ctx)["valid?"] is False


def test_stats_of_an_empty_history_is_valid(ctx):
    assert stats.check([], ctx) == {
        "valid?": True,
        "count": 0,
        "ok-count": 0,
        "fail-count": 0,
        "info-count": 0,
        "by-f": {},
    }


# -------------------------------------------------------------- availability


def availability_ctx(expected):
    return CheckContext(options=TestOptions(bin="x", availability=expected))


def three_of_four(build):
    for outcome in ("ok", "ok", "ok", "fail"):
        build.call(0, "generate", None, outcome)
    build.nemesis("start-partition")
    return build.ops


def test_availability_without_a_target_is_always_valid(build):
    result = availability.check(three_of_four(build), availability_ctx(None))
    assert result == {"valid?": True, "ok-fraction": 0.75}


def test_availability_total_needs_every_op_ok(build):
    assert availability.check(three_of_four(build), availability_ctx("total"))["valid?"] is False
    assert availability.check(build.ops[:6], availability_ctx("total"))["valid?"] is True


@pytest.mark.parametrize(("expected", "valid"), [(0.75, True), (0.7, True), (0.76, False)])
def test_availability_number_is_a_lower_bound(build, expected, valid):
    assert availability.check(three_of_four(build), availability_ctx(expected))["valid?"] is valid


def test_availability_fraction_is_a_32_bit_float(build):
    for outcome in ("ok", "ok", "fail"):
        build.call(0, "generate", None, outcome)
    assert availability.check(build.ops, availability_ctx(None))["ok-fraction"] == 0.6666667


def test_availability_without_invocations_is_one(ctx):
    assert availability.check([], availability_ctx("total")) == {"valid?": True, "ok-fraction": 1}


@pytest.mark.parametrize(("expected", "valid"), [(0.6666666, True), (0.6666667, False)])
def test_availability_compares_with_the_exact_32_bit_value(build, expected, valid):
    """Clojure compares the double bound with (float 2/3) = 0.666666686..., which
    prints as 0.6666667 yet is smaller than the double 0.6666667."""
    for outcome in ("ok", "ok", "fail"):
        build.call(0, "generate", None, outcome)
    assert availability.check(build.ops, availability_ctx(expected))["valid?"] is valid


# ---------------------------------------------------------------- exceptions


def test_exceptions_group_info_ops_by_class_most_frequent_first(build, ctx):
    timeout = {"via": [{"type": "clojure.lang.ExceptionInfo", "message": "timeout"}]}
    io_error = {"via": [{"type": "java.io.IOException"}]}
    build.call(0, "add", 1, "info")["exception"] = io_error
    for value in (2, 3):
        build.call(0, "add", value, "info")["exception"] = timeout
    build.call(0, "add", 4, "info")  # no exception: not listed
    build.call(0, "add", 5, "fail")["exception"] = io_error  # not info: not listed
    result = exceptions.check(build.ops, ctx)
    assert result["valid?"] is True
    assert [(e["class"], e["count"]) for e in result["exceptions"]] == [
        ("clojure.lang.ExceptionInfo", 2),
        ("java.io.IOException", 1),
    ]
    assert result["exceptions"][0]["example"]["value"] == 2
    assert list(result["exceptions"][0]) == ["count", "class", "example"]


def test_exceptions_without_any_is_just_valid(build, ctx):
    build.call(0, "add", 1, "info")
    assert exceptions.check(build.ops, ctx) == {"valid?": True}


def test_exception_class_accepts_plain_shapes():
    assert exceptions.exception_class({"type": "timeout"}) == "timeout"
    assert exceptions.exception_class({"class": "MalformedResponse"}) == "MalformedResponse"
    assert exceptions.exception_class("boom") == "boom"


# ----------------------------------------------------------------------- net


def net_ctx(all_count, client_count):
    counts = {
        "all": {"send-count": all_count, "recv-count": all_count, "msg-count": all_count},
        "clients": {
            "send-count": client_count,
            "recv-count": client_count,
            "msg-count": client_count,
        },
        "servers": {
            "send-count": all_count - client_count,
            "recv-count": all_count - client_count,
            "msg-count": all_count - client_count,
        },
    }
    return CheckContext(options=None, net_stats=counts)


def worked_example_history(build):
    """Spec 3.5's 3a run: 190 client ops (invocations), one node."""
    for i in range(95):
        build.call(i % 2, "broadcast", i, "ok")
        build.call(i % 2, "read", None, "ok", list(range(i + 1)))
    build.nemesis("start-partition")  # nemesis ops do not count
    return build.ops


def test_net_worked_example_384_messages_over_190_ops(build):
    result = net.check(worked_example_history(build), net_ctx(384, 384))
    assert result["all"]["msgs-per-op"] == 2.0210526
    assert result["servers"]["msgs-per-op"] == 0.0
    assert "msgs-per-op" not in result["clients"]
    assert result["valid?"] is True
    assert result["clients"] == {"send-count": 384, "recv-count": 384, "msg-count": 384}


def test_net_counts_every_client_invocation_including_final_reads_and_infos(build):
    """Spec 9.10: the denominator is every client invocation, whatever its outcome."""
    build.call(0, "broadcast", 1, "info")
    build.call(0, "read", None, "fail")
    build.invoke(1, "read")  # never completed
    build.call(2, "read", None, "ok", [1])["final?"] = True
    result = net.check(build.ops, net_ctx(40, 8))
    assert result["all"]["msgs-per-op"] == 10.0
    assert result["servers"]["msgs-per-op"] == 8.0


def test_net_without_ops_has_no_msgs_per_op(build):
    build.nemesis("start-partition")
    result = net.check(build.ops, net_ctx(4, 4))
    assert "msgs-per-op" not in result["all"] and "msgs-per-op" not in result["servers"]


def test_net_does_not_modify_the_engine_counts(build):
    ctx = net_ctx(10, 2)
    net.check(worked_example_history(build), ctx)
    assert "msgs-per-op" not in ctx.net_stats["all"]


def test_net_without_statistics_is_an_error_compose_reports_as_unknown(ctx):
    assert compose({"net": net.check})([], ctx)["net"]["valid?"] == "unknown"
