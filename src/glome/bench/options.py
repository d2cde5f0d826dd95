"""Command-line options of ``glome test`` and ``glome analyze``, parsed as Maelstrom does.

Maelstrom parses its options with clojure.tools.cli on top of Jepsen's test
options; with the tools.cli machinery of ``glome.bench.arguments`` this module
reproduces that behaviour token for token (defaults, ``--long=value``, clumped
short options, ``--`` ending options, later values replacing earlier ones, each
option's own number parser and validation), so a command line means the same
thing to ``glome test`` as to ``maelstrom test``. Errors are collected and
reported together, as tools.cli does.

Each option is said once, in ``TEST_SPECS`` (or ``ANALYZE_SPECS``): its names,
parser, validation, default and help. ``TestOptions`` takes its defaults from
there and ``usage`` prints them. The workload names come from the workload
registry (``glome.bench.workloads``).

glome adds ``--seed``. It also refuses two combinations Maelstrom accepts but
cannot run (``--latency 0`` with a uniform or exponential distribution), and
warns loudly about tokens that start with an en or em dash: they are not
options (Maelstrom hands them to the binary, and so does glome), but they are
almost always a mistyped ``--option`` copied from a web page.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from glome.bench import arguments, workloads
from glome.bench.arguments import (
    Spec,
    defaults,
    one_of,
    parse_double,
    parse_long,
    parse_strict_long,
    read_number,
    split_java,
)

NEMESES = ("kill", "partition", "pause")
LATENCY_DISTRIBUTIONS = ("constant", "exponential", "uniform")
TOPOLOGIES = ("grid", "line", "total", "tree", "tree2", "tree3", "tree4")
DEFAULT_NODES = ("n1", "n2", "n3", "n4", "n5")  # Jepsen's default node list
MAX_SEED = 2**63 - 1
DASH_LOOKALIKES = "\u2013\u2014\u2212"  # en dash, em dash, minus sign


class OptionsError(Exception):
    """A bad command line; the message is shown to the user and the CLI exits 254."""


# ------------------------------------------------------- option-specific parsers


def parse_test_selector(text: str) -> int | str:
    """Jepsen's analyze ``-t``: an index into the stored tests (-1 = newest) or a path."""
    return int(text) if re.search(r"^-?\d+$", text) else text


def parse_availability(text: str) -> str | float | arguments.ReadForm | None:
    return "total" if text == "total" else read_number(text)


# ------------------------------------------------------------------ validators


def _positive(value: Any) -> bool:
    return value is not None and value > 0


def _non_negative(value: Any) -> bool:
    return value is not None and value >= 0


# ------------------------------------------------------------- option tables

TEST_SPECS: tuple[Spec, ...] = (
    Spec("help", "--help", "-h", default=False, help="print this help and exit"),
    Spec(
        "bin",
        "--bin",
        argument="FILE",
        help="the node binary to test (required); other plain words go to it as arguments",
    ),
    Spec(
        "workload",
        "--workload",
        "-w",
        "NAME",
        choices=workloads.names,
        default="lin-kv",
        help="workload: {choices}",
    ),
    # Jepsen's node options; merged by _resolve_nodes
    Spec(
        "node",
        "--node",
        "-n",
        "HOSTNAME",
        repeated=True,
        default=DEFAULT_NODES,
        help="a node name; repeat for more",
    ),
    Spec(
        "nodes",
        "--nodes",
        argument="NODE_LIST",
        parse=lambda s: split_java(r",\s*", s),
        help="comma-separated node names",
    ),
    Spec(
        "nodes_file",
        "--nodes-file",
        argument="FILENAME",
        help="a file of node names, one a line",
    ),
    Spec(
        "node_count",
        "--node-count",
        None,
        "NUM",
        parse_long,
        _positive,
        "Must be positive.",
        help="run NUM nodes named n0 .. n(NUM-1)",
    ),
    Spec(
        "concurrency",
        "--concurrency",
        argument="NUMBER",
        valid=lambda s: re.search(r"^\d+n?$", s) is not None,
        invalid_message="Must be an integer, optionally followed by n.",
        default="1n",
        help="client workers: N, or Nn for N per node",
    ),
    Spec(
        "rate",
        "--rate",
        None,
        "RATE",
        parse_double,
        _non_negative,
        "Can't be negative",
        default=5.0,
        help="client operations per second, about (default {default}; 0: none in the main phase)",
    ),
    Spec(
        "time_limit",
        "--time-limit",
        None,
        "SECONDS",
        parse_strict_long,
        _positive,
        "Must be positive",
        default=60,
        help="seconds of client load before the final phase",
    ),
    Spec(
        "latency",
        "--latency",
        None,
        "MILLIS",
        parse_long,
        _non_negative,
        "Must be non-negative",
        default=0,
        help="mean network latency between servers, in ms",
    ),
    Spec(
        "latency_dist",
        "--latency-dist",
        argument="TYPE",
        valid=lambda value: value in LATENCY_DISTRIBUTIONS,
        invalid_message="Must be constant, uniform, or exponential",
        default="constant",
        help="latency distribution: constant, uniform, exponential",
    ),
    Spec(
        "nemesis",
        "--nemesis",
        argument="FAULTS",
        parse=lambda s: frozenset(split_java(r"\s*,\s*", s)),
        valid=lambda faults: all(fault in NEMESES for fault in faults),
        invalid_message=one_of(NEMESES),
        default=frozenset(),
        help="faults to inject, comma-separated: partition, kill, pause",
    ),
    Spec(
        "nemesis_interval",
        "--nemesis-interval",
        None,
        "SECONDS",
        read_number,
        _positive,
        "Must be positive",
        default=10,
        help="mean seconds between nemesis operations",
    ),
    Spec(
        "topology",
        "--topology",
        argument="SPEC",
        choices=TOPOLOGIES,
        default="grid",
        help="broadcast topology: {choices}",
    ),
    Spec(
        "availability",
        "--availability",
        argument="EXPECTED",
        parse=parse_availability,
        valid=lambda a: a is None or a == "total" or 0 <= a <= 1,
        invalid_message="must be either 'total' or a number between 0 and 1.",
        help="required fraction of ok operations: a number 0..1, or total",
    ),
    # Maelstrom splits on `\s+,\s+`: "a,b" stays one (bogus) model name, which
    # tools.cli accepts and the transactional checker later rejects (:unknown).
    Spec(
        "consistency_models",
        "--consistency-models",
        argument="MODELS",
        parse=lambda s: re.split(r"\s+,\s+", s),
        default=("strict-serializable",),
        help="models to check, split on ' , '",
    ),
    Spec(
        "key_count",
        "--key-count",
        None,
        "INT",
        parse_long,
        _positive,
        "must be positive",
        help="keys at once, for the txn and kafka workloads",
    ),
    Spec(
        "max_txn_length",
        "--max-txn-length",
        None,
        "INT",
        parse_long,
        _positive,
        "must be positive",
        default=4,
        help="most operations per transaction",
    ),
    Spec(
        "max_writes_per_key",
        "--max-writes-per-key",
        None,
        "INT",
        parse_long,
        _positive,
        "must be positive",
        default=16,
        help="most writes per key, for the txn and kafka workloads",
    ),
    Spec("log_net_send", "--log-net-send", default=False, help="log every message sent"),
    Spec("log_net_recv", "--log-net-recv", default=False, help="log every message received"),
    Spec("log_stderr", "--log-stderr", default=False, help="copy node stderr to the console"),
    Spec(
        "test_count",
        "--test-count",
        None,
        "NUMBER",
        parse_strict_long,
        _positive,
        "Must be positive",
        default=1,
        help="run the test this many times, stopping at the first failure",
    ),
    Spec(
        "leave_db_running",
        "--leave-db-running",
        default=False,
        help="leave the nodes running at the end of the test",
    ),
    Spec("logging_json", "--logging-json", default=False, help="accepted for compatibility"),
    # SSH options Jepsen offers; Maelstrom never uses SSH, so they are accepted and ignored.
    Spec(
        "ssh_username",
        "--username",
        argument="USER",
        help="accepted and ignored (Maelstrom uses no SSH)",
    ),
    Spec("ssh_password", "--password", argument="PASS", help="accepted and ignored"),
    Spec("ssh_strict_host_key_checking", "--strict-host-key-checking", help="accepted and ignored"),
    Spec("ssh_none", "--no-ssh", help="accepted and ignored"),
    Spec("ssh_private_key", "--ssh-private-key", argument="FILE", help="accepted and ignored"),
    # glome's own
    Spec(
        "seed",
        "--seed",
        None,
        "N",
        parse_long,
        lambda s: s is not None and 0 <= s <= MAX_SEED,
        f"must be an integer from 0 to {MAX_SEED}",
        help="seed for every random choice, to repeat a run (default: random, recorded)",
    ),
    Spec(
        "sim",
        "--sim",
        default=False,
        help="run on a virtual clock: fast, and the same seed gives the same history",
    ),
    Spec(
        "no_plots",
        "--no-plots",
        default=False,
        help="skip the perf plots, timeline.html and messages.svg (sweeps run lean and "
        "redo a failing seed in full)",
    ),
    Spec(
        "sim_step_timeout",
        "--sim-step-timeout",
        None,
        "SECONDS",
        parse_double,
        _positive,
        "Must be positive",
        default=10.0,
        help="wall seconds a node may take over one step under --sim",
    ),
)

ANALYZE_SPECS: tuple[Spec, ...] = (
    Spec("help", "--help", "-h", default=False, help="print this help and exit"),
    Spec(
        "test",
        "--test",
        "-t",
        "INDEX_OR_PATH",
        parse=parse_test_selector,
        default=-1,
        help="stored test: an index (-1 is the newest) or a directory",
    ),
)


def _resolve_concurrency(text: str, node_count: int) -> int:
    """Jepsen's parse-concurrency: ``N`` workers, or ``Nn`` = N per node."""
    digits, per_node = re.match(r"(\d+)(n?)", text).groups()  # type: ignore[union-attr]
    return int(digits) * (node_count if per_node else 1)


#: option key -> its default, as the dataclasses below take them
TEST_DEFAULTS: dict[str, Any] = defaults(TEST_SPECS)
ANALYZE_DEFAULTS: dict[str, Any] = defaults(ANALYZE_SPECS)
#: the default concurrency (1n) on the default nodes
_DEFAULT_CONCURRENCY = _resolve_concurrency(
    TEST_DEFAULTS["concurrency"], len(TEST_DEFAULTS["node"])
)


@dataclass
class TestOptions:
    """A parsed ``glome test`` command line; the defaults are TEST_SPECS'."""

    __test__ = False  # not a pytest test class, despite the name

    bin: str
    bin_args: list[str] = field(default_factory=list)  # the plain words, for the binary
    workload: str = TEST_DEFAULTS["workload"]
    #: the nodes --node-count, --nodes-file, --nodes and --node resolve to
    nodes: list[str] = field(default_factory=lambda: list(TEST_DEFAULTS["node"]))
    concurrency: int = _DEFAULT_CONCURRENCY  # resolved to a number of workers
    rate: float = TEST_DEFAULTS["rate"]
    time_limit: float = TEST_DEFAULTS["time_limit"]
    latency: int = TEST_DEFAULTS["latency"]
    latency_dist: str = TEST_DEFAULTS["latency_dist"]
    nemesis: frozenset[str] = TEST_DEFAULTS["nemesis"]
    nemesis_interval: float = TEST_DEFAULTS["nemesis_interval"]
    topology: str = TEST_DEFAULTS["topology"]
    availability: str | float | None = TEST_DEFAULTS["availability"]
    consistency_models: list[str] = field(
        default_factory=lambda: list(TEST_DEFAULTS["consistency_models"])
    )
    key_count: int | None = TEST_DEFAULTS["key_count"]
    max_txn_length: int = TEST_DEFAULTS["max_txn_length"]
    max_writes_per_key: int = TEST_DEFAULTS["max_writes_per_key"]
    log_net_send: bool = TEST_DEFAULTS["log_net_send"]
    log_net_recv: bool = TEST_DEFAULTS["log_net_recv"]
    log_stderr: bool = TEST_DEFAULTS["log_stderr"]
    test_count: int = TEST_DEFAULTS["test_count"]
    leave_db_running: bool = TEST_DEFAULTS["leave_db_running"]
    logging_json: bool = TEST_DEFAULTS["logging_json"]
    seed: int = 0  # parse_test_args draws one at random when --seed is not given
    seed_given: bool = False
    sim: bool = TEST_DEFAULTS["sim"]
    no_plots: bool = TEST_DEFAULTS["no_plots"]
    sim_step_timeout: float = TEST_DEFAULTS["sim_step_timeout"]
    help: bool = TEST_DEFAULTS["help"]
    argv: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (test.json, results' ``glome`` key); from_dict reverses it."""
        data = asdict(self)
        data["nemesis"] = sorted(self.nemesis)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestOptions:
        known = {name: value for name, value in data.items() if name in cls.__dataclass_fields__}
        known["nemesis"] = frozenset(known.get("nemesis", ()))
        return cls(**known)


@dataclass
class AnalyzeOptions:
    """``glome analyze``: which stored test to re-check (Jepsen's ``-t/--test``)."""

    test: int | str = ANALYZE_DEFAULTS["test"]
    help: bool = ANALYZE_DEFAULTS["help"]


# ------------------------------------------------------------ post-processing


def _resolve_nodes(values: dict[str, Any]) -> list[str]:
    """Maelstrom then Jepsen: --node-count replaces --nodes with n0..; then the
    --nodes-file nodes, the --nodes list and any explicit --node are concatenated,
    and Jepsen's default n1..n5 only survives when none of them was given."""
    nodes: list[str] | None = values.get("nodes")
    if values.get("node_count") is not None:
        nodes = [f"n{i}" for i in range(values["node_count"])]
    file_nodes: list[str] = []
    if values.get("nodes_file") is not None:
        path = Path(values["nodes_file"])
        try:
            file_nodes = split_java(r"\s*\n\s*", path.read_text())
        except OSError as error:
            raise OptionsError(f"Can't read --nodes-file {path}: {error.strerror}") from error
    explicit = values.get("node")
    if explicit is None:
        explicit = (
            []
            if (nodes is not None or values.get("nodes_file") is not None)
            else list(TEST_DEFAULTS["node"])
        )
    return [*file_nodes, *(nodes or []), *explicit]


def _dash_lookalike_warnings(positional: list[str], specs: tuple[Spec, ...]) -> list[str]:
    """Warn about positional words that look like options typed with the wrong dash."""
    known = {spec.long for spec in specs}
    warnings = []
    for word in positional:
        if not word or word[0] not in DASH_LOOKALIKES:
            continue
        stem = word.lstrip("-" + DASH_LOOKALIKES).split("=", 1)[0]
        guess = "--" + stem
        meant = (
            f"you probably meant {guess}"
            if guess in known
            else f"it looks like an option ({guess}?) but glome knows no such option"
        )
        warnings.append(
            f"WARNING: {word!r} starts with {_dash_name(word[0])}, not '-', so it is NOT an "
            f"option and changes nothing in the test: like Maelstrom, glome passes it to the "
            f"binary as an argument, with any plain word after it; {meant}. "
            f"Retype the dashes if you meant the option."
        )
    return warnings


def _dash_name(character: str) -> str:
    names = {"\u2013": "an en dash (U+2013)", "\u2014": "an em dash (U+2014)"}
    return names.get(character, "a minus sign (U+2212)")


def _check_runnable(options: TestOptions) -> None:
    """Refuse what Maelstrom accepts but cannot run, saying what Maelstrom would do."""
    if options.latency == 0 and options.latency_dist == "uniform":
        raise OptionsError(
            "--latency 0 with --latency-dist uniform: Maelstrom would hang drawing latencies "
            "from the empty range [0, 0); give --latency a positive mean or use constant."
        )
    if options.latency == 0 and options.latency_dist == "exponential":
        raise OptionsError(
            "--latency 0 with --latency-dist exponential: Maelstrom would crash at startup "
            "dividing by zero (the exponential rate is 1/mean); give --latency a positive mean "
            "or use constant."
        )
    if options.concurrency < 1:
        raise OptionsError(
            f"--concurrency resolves to {options.concurrency} workers: glome needs at least one."
        )
    if not options.nodes:
        raise OptionsError("The node list is empty: give --node-count, --node or --nodes.")


def parse_test_args(argv: list[str]) -> TestOptions:
    """Parse ``glome test`` arguments; raises OptionsError with every problem found."""
    values, positional, errors = arguments.parse(argv, TEST_SPECS)
    if values.get("help"):
        return TestOptions(bin=values.get("bin", ""), help=True, argv=list(argv))
    if "bin" not in values:
        errors.append("Expected a --bin PATH_TO_BINARY to test")
    if errors:
        raise OptionsError("\n".join(errors))
    nodes = _resolve_nodes(values)
    seed_given = "seed" in values
    concurrency = values.get("concurrency", TEST_DEFAULTS["concurrency"])
    options = TestOptions(
        bin=values["bin"],
        bin_args=positional,
        nodes=nodes,
        concurrency=_resolve_concurrency(concurrency, len(nodes)),
        seed=values["seed"] if seed_given else random.SystemRandom().randint(0, MAX_SEED),
        seed_given=seed_given,
        argv=list(argv),
        warnings=_dash_lookalike_warnings(positional, TEST_SPECS),
        **{
            key: values[key]
            for key in TestOptions.__dataclass_fields__
            if key in values and key not in ("bin", "nodes", "concurrency", "seed", "help")
        },
    )
    _check_runnable(options)
    return options


def parse_analyze_args(argv: list[str]) -> AnalyzeOptions:
    """Parse ``glome analyze [-t INDEX_OR_PATH | PATH]``."""
    values, positional, errors = arguments.parse(argv, ANALYZE_SPECS)
    if len(positional) > 1 or (positional and "test" in values):
        errors.append("Give one test: either -t/--test INDEX_OR_PATH or a single PATH")
    if errors:
        raise OptionsError("\n".join(errors))
    test = values.get("test", ANALYZE_DEFAULTS["test"])
    if positional:
        test = parse_test_selector(positional[0])
    return AnalyzeOptions(test=test, help=bool(values.get("help")))


def usage(specs: tuple[Spec, ...] = TEST_SPECS) -> str:
    """Option summary for ``--help`` (``glome test``'s unless ``specs`` is given)."""
    return arguments.usage(specs)
