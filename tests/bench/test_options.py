"""`glome test` options: Maelstrom's defaults, parsing and validation
(docs/maelstrom.md §8), and glome's own."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glome.bench.options import (
    MAX_SEED,
    TEST_SPECS,
    AnalyzeOptions,
    OptionsError,
    TestOptions,
    parse_analyze_args,
    parse_test_args,
    usage,
)


def parse(*argv: str) -> TestOptions:
    return parse_test_args(["--bin", "./node", *argv])


def error_of(*argv: str) -> str:
    with pytest.raises(OptionsError) as caught:
        parse_test_args(list(argv))
    return str(caught.value)


# ------------------------------------------------------------------ defaults


def test_defaults_are_maelstroms():
    options = parse()
    assert options.bin == "./node" and options.bin_args == []
    assert options.workload == "lin-kv"
    assert options.nodes == ["n1", "n2", "n3", "n4", "n5"]
    assert options.concurrency == 5  # 1n
    assert (options.rate, options.time_limit) == (5.0, 60)
    assert (options.latency, options.latency_dist) == (0, "constant")
    assert options.nemesis == frozenset() and options.nemesis_interval == 10
    assert options.topology == "grid" and options.availability is None
    assert options.consistency_models == ["strict-serializable"]
    assert options.key_count is None
    assert (options.max_txn_length, options.max_writes_per_key) == (4, 16)
    assert not (options.log_net_send or options.log_net_recv or options.log_stderr)
    assert options.test_count == 1 and options.leave_db_running is False
    assert options.warnings == [] and options.help is False


def test_bin_is_required():
    assert error_of("-w", "echo") == "Expected a --bin PATH_TO_BINARY to test"


# --------------------------------------------------------------------- nodes


def test_node_count_names_nodes_from_n0():
    options = parse("--node-count", "3")
    assert options.nodes == ["n0", "n1", "n2"] and options.concurrency == 3


@pytest.mark.parametrize(("given", "workers"), [("2n", 6), ("4", 4), ("1n", 3), ("10", 10)])
def test_concurrency_is_a_number_or_a_multiple_of_the_node_count(given, workers):
    assert parse("--node-count", "3", "--concurrency", given).concurrency == workers


@pytest.mark.parametrize("bad", ["n", "2x", "-1", "2.5", "2 n", ""])
def test_concurrency_must_match_digits_optionally_followed_by_n(bad):
    message = error_of("--bin", "x", "--concurrency", bad)
    assert "Must be an integer, optionally followed by n." in message


def test_zero_concurrency_is_refused():
    assert "at least one" in error_of("--bin", "x", "--concurrency", "0")


def test_nodes_list_splits_on_comma_and_following_spaces():
    assert parse("--nodes", "a, b,c").nodes == ["a", "b", "c"]
    assert parse("--nodes", "a ,b").nodes == ["a ", "b"]


def test_repeated_node_replaces_the_default_list():
    assert parse("-n", "x", "--node", "y").nodes == ["x", "y"]


def test_explicit_node_is_appended_to_other_node_options():
    assert parse("--nodes", "a,b", "-n", "x").nodes == ["a", "b", "x"]
    assert parse("--node-count", "2", "-n", "x").nodes == ["n0", "n1", "x"]


def test_node_count_overrides_nodes():
    assert parse("--nodes", "a,b,c,d", "--node-count", "2").nodes == ["n0", "n1"]


def test_nodes_file_nodes_come_first(tmp_path):
    listing = tmp_path / "nodes"
    listing.write_text("h1\n  h2  \nh3\n\n")
    assert parse("--nodes-file", str(listing)).nodes == ["h1", "h2", "h3"]
    assert parse("--nodes-file", str(listing), "--node-count", "1").nodes == [
        "h1",
        "h2",
        "h3",
        "n0",
    ]


def test_missing_nodes_file_is_an_options_error(tmp_path):
    assert "--nodes-file" in error_of("--bin", "x", "--nodes-file", str(tmp_path / "none"))


@pytest.mark.parametrize("bad", ["0", "-2", "three", "1.5"])
def test_node_count_must_be_a_positive_integer(bad):
    assert 'Failed to validate "--node-count' in error_of("--bin", "x", "--node-count", bad)


# ------------------------------------------------------------ numeric options


@pytest.mark.parametrize(
    ("given", "rate"), [("0", 0.0), ("100", 100.0), ("1e3", 1000.0), (" 2.5 ", 2.5), ("7d", 7.0)]
)
def test_rate_is_a_java_double(given, rate):
    assert parse("--rate", given).rate == rate


def test_negative_rate_is_refused_with_maelstroms_message():
    assert (
        error_of("--bin", "x", "--rate", "-1")
        == 'Failed to validate "--rate -1": Can\'t be negative'
    )


@pytest.mark.parametrize("given", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_rate_is_refused(given):
    assert "not a finite number" in error_of("--bin", "x", "--rate", given)


def test_time_limit_is_a_positive_whole_number():
    assert parse("--time-limit", "20").time_limit == 20
    assert "NumberFormatException" in error_of("--bin", "x", "--time-limit", "1.5")
    assert "Must be positive" in error_of("--bin", "x", "--time-limit", "0")


def test_latency_is_a_non_negative_whole_number():
    assert parse("--latency", "100").latency == 100
    assert "Failed to validate" in error_of("--bin", "x", "--latency", str(2**63))  # not a long
    assert "Must be non-negative" in error_of("--bin", "x", "--latency", "-5")
    assert "Failed to validate" in error_of("--bin", "x", "--latency", "fast")


@pytest.mark.parametrize(("given", "interval"), [("5", 5), ("0.5", 0.5), ("1/2", 0.5), ("3N", 3)])
def test_nemesis_interval_is_read_as_a_clojure_number(given, interval):
    assert parse("--nemesis-interval", given).nemesis_interval == interval


@pytest.mark.parametrize("bad", ["0", "-1", "soon"])
def test_nemesis_interval_must_be_positive(bad):
    assert '"--nemesis-interval' in error_of("--bin", "x", "--nemesis-interval", bad)


@pytest.mark.parametrize(
    ("option", "good", "bad"),
    [
        ("--key-count", "3", "0"),
        ("--max-txn-length", "2", "0"),
        ("--max-writes-per-key", "32", "-1"),
        ("--test-count", "3", "0"),
    ],
)
def test_positive_integer_options(option, good, bad):
    attribute = option.lstrip("-").replace("-", "_")
    assert getattr(parse(option, good), attribute) == int(good)
    assert f'"{option} {bad}"' in error_of("--bin", "x", option, bad)


# ------------------------------------------------------------ choice options


def test_workload_must_be_one_of_maelstroms():
    assert parse("-w", "broadcast").workload == "broadcast"
    message = error_of("--bin", "x", "-w", "chat")
    assert message.endswith(
        "Must be one of broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter, "
        "txn-list-append, txn-rw-register, unique-ids"
    )


def test_topology_choices():
    assert parse("--topology", "tree3").topology == "tree3"
    assert "Must be one of grid, line, total, tree, tree2, tree3, tree4" in error_of(
        "--bin", "x", "--topology", "star"
    )


def test_latency_distribution_choices():
    assert parse("--latency", "10", "--latency-dist", "uniform").latency_dist == "uniform"
    assert "Must be constant, uniform, or exponential" in error_of(
        "--bin", "x", "--latency-dist", "normal"
    )


@pytest.mark.parametrize(
    ("dist", "says"), [("uniform", "would hang"), ("exponential", "would crash")]
)
def test_zero_latency_with_a_random_distribution_is_refused_explaining_maelstrom(dist, says):
    message = error_of("--bin", "x", "--latency-dist", dist)
    assert says in message and "--latency 0" in message


@pytest.mark.parametrize(
    ("given", "faults"),
    [
        ("partition", {"partition"}),
        ("partition , partition", {"partition"}),
        ("partition,", {"partition"}),
        ("kill , pause,partition", {"kill", "pause", "partition"}),
    ],
)
def test_nemesis_splits_on_commas_with_any_spaces(given, faults):
    assert parse("--nemesis", given).nemesis == frozenset(faults)


@pytest.mark.parametrize("bad", ["crash", "partition,clock", "", ",partition"])
def test_nemesis_knows_partition_kill_and_pause(bad):
    assert "Must be one of kill, partition, pause" in error_of("--bin", "x", "--nemesis", bad)


@pytest.mark.parametrize(
    ("given", "expected"), [("total", "total"), ("0.99", 0.99), ("1", 1), ("0", 0), ("1/2", 0.5)]
)
def test_availability_is_total_or_a_fraction(given, expected):
    assert parse("--availability", given).availability == expected


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "most", "TOTAL", " total"])
def test_availability_out_of_range_is_refused(bad):
    assert error_of("--bin", "x", "--availability", bad) == (
        f'Failed to validate "--availability {bad}": '
        "must be either 'total' or a number between 0 and 1."
    )


def test_empty_availability_reads_as_nil_like_maelstrom():
    assert parse("--availability", "").availability is None


@pytest.mark.parametrize(
    ("given", "models"),
    [
        ("read-committed", ["read-committed"]),
        ("read-committed , serializable", ["read-committed", "serializable"]),
        ("read-committed,serializable", ["read-committed,serializable"]),  # Maelstrom's quirk
        ("read-committed ,serializable", ["read-committed ,serializable"]),
        ("read-committed, serializable", ["read-committed, serializable"]),
    ],
)
def test_consistency_models_split_only_on_a_comma_with_spaces_on_both_sides(given, models):
    assert parse("--consistency-models", given).consistency_models == models


def test_flags():
    options = parse(
        "--log-stderr", "--log-net-send", "--log-net-recv", "--leave-db-running", "--logging-json"
    )
    assert options.log_stderr and options.log_net_send and options.log_net_recv
    assert options.leave_db_running and options.logging_json


def test_ssh_options_are_accepted_and_ignored():
    options = parse(
        "--username",
        "me",
        "--password",
        "pw",
        "--strict-host-key-checking",
        "--no-ssh",
        "--ssh-private-key",
        "key",
    )
    assert options.bin_args == [] and options.nodes == ["n1", "n2", "n3", "n4", "n5"]


# ---------------------------------------------------------------- tokenizing


def test_positional_arguments_go_to_the_binary_in_order():
    assert parse("alpha", "--rate", "3", "beta").bin_args == ["alpha", "beta"]


def test_double_dash_ends_the_options():
    options = parse("--", "--rate", "3")
    assert options.bin_args == ["--rate", "3"] and options.rate == 5.0


def test_long_option_with_equals_and_clumped_short_option():
    options = parse_test_args(["--bin=./n", "-wecho", "--rate=10"])
    assert (options.bin, options.workload, options.rate) == ("./n", "echo", 10.0)


def test_later_values_replace_earlier_ones():
    assert parse("--rate", "1", "--rate", "2").rate == 2.0


def test_an_option_takes_the_next_word_as_its_value_even_if_it_looks_like_an_option():
    assert error_of("--bin", "x", "--rate", "--time-limit") == (
        'Error while parsing option "--rate --time-limit": '
        'java.lang.NumberFormatException: For input string: "--time-limit"'
    )


def test_unknown_and_incomplete_options_are_all_reported():
    message = error_of("--bin", "x", "--frobnicate", "--time-limit", "0", "--rate")
    assert message.splitlines() == [
        'Unknown option: "--frobnicate"',
        'Failed to validate "--time-limit 0": Must be positive',
        'Missing required argument for "--rate RATE"',
    ]


def test_help_wins_over_errors():
    assert parse_test_args(["-h"]).help is True
    lines = usage().splitlines()
    assert len(lines) == len(TEST_SPECS) and any(
        "--bin FILE" in line and "required" in line for line in lines
    )


# ------------------------------------------------------ dash look-alikes


def test_en_dash_option_from_challenge_6c_goes_to_the_binary_with_a_loud_warning():
    options = parse("--node-count", "2", "--availability", "total", "\u2013-nemesis", "partition")
    assert options.nemesis == frozenset()
    assert options.bin_args == ["\u2013-nemesis", "partition"]
    (warning,) = options.warnings
    assert warning.startswith("WARNING")
    assert "en dash" in warning and "you probably meant --nemesis" in warning


def test_em_dash_and_unknown_look_alikes_warn_too():
    options = parse("\u2014rate", "5", "\u2013-frobnicate")
    assert len(options.warnings) == 2
    assert "em dash" in options.warnings[0] and "--rate" in options.warnings[0]
    assert "no such option" in options.warnings[1]


def test_ordinary_positional_arguments_do_not_warn():
    assert parse("plain", "-").warnings == []


# --------------------------------------------------------------------- seed


def test_seed_given_is_used_and_recorded():
    options = parse("--seed", "42")
    assert options.seed == 42 and options.seed_given is True
    assert options.to_dict()["seed"] == 42


def test_seed_absent_is_chosen_at_random_and_recorded():
    first, second = parse(), parse()
    assert 0 <= first.seed <= MAX_SEED and first.seed_given is False
    assert first.seed != second.seed  # a collision has probability 2**-63


@pytest.mark.parametrize("bad", ["-1", "x", str(2**63)])
def test_seed_must_be_a_non_negative_64_bit_integer(bad):
    assert '"--seed' in error_of("--bin", "x", "--seed", bad)


# ---------------------------------------------------------- serialisation


def test_options_round_trip_through_json():
    options = parse("-w", "broadcast", "--nemesis", "partition", "--availability", "0.5", "a")
    restored = TestOptions.from_dict(orjson.loads(orjson.dumps(options.to_dict())))
    assert restored == options
    assert options.to_dict()["argv"][:2] == ["--bin", "./node"]


# ------------------------------------------------------------------ analyze


@pytest.mark.parametrize(
    ("argv", "test"),
    [
        ([], -1),
        (["-t", "-2"], -2),
        (["--test", "3"], 3),
        (["-t", "store/x"], "store/x"),
        (["store/y"], "store/y"),
    ],
)
def test_analyze_selects_a_test_by_index_or_path(argv, test):
    assert parse_analyze_args(argv) == AnalyzeOptions(test=test)


def test_analyze_refuses_two_selections():
    with pytest.raises(OptionsError):
        parse_analyze_args(["-t", "1", "store/x"])


WORDS = st.sampled_from(
    [spec.long for spec in TEST_SPECS]
    + ["-w", "-n", "-h", "-wecho", "--", "-", "--rate=3", "--bogus", "\u2013-nemesis"]
    + ["0", "1", "-1", "2n", "1/2", "total", "partition", "grid", "echo", "x", "", " , "]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=12))
def test_any_command_line_parses_or_fails_with_an_options_error(argv):
    try:
        options = parse_test_args(argv)
    except OptionsError as error:
        assert str(error)
    else:
        assert options.help or (options.concurrency >= 1 and options.nodes)
