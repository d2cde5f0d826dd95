"""Command-line options of ``glome test`` and ``glome analyze``, parsed as Maelstrom does.

Maelstrom parses its options with clojure.tools.cli on top of Jepsen's test
options; this module reproduces that behaviour token for token (defaults,
``--long=value``, clumped short options, ``--`` ending options, later values
replacing earlier ones, each option's own number parser and validation), so a
command line means the same thing to ``glome test`` as to ``maelstrom test``.
Errors are collected and reported together, as tools.cli does.

glome adds ``--seed``. It also refuses two combinations Maelstrom accepts but
cannot run (``--latency 0`` with a uniform or exponential distribution), and
warns loudly about tokens that start with an en or em dash: they are not
options (Maelstrom hands them to the binary, and so does glome), but they are
almost always a mistyped ``--option`` copied from a web page.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

WORKLOADS = (
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
)
NEMESES = ("kill", "partition", "pause")
LATENCY_DISTRIBUTIONS = ("constant", "exponential", "uniform")
TOPOLOGIES = ("grid", "line", "total", "tree", "tree2", "tree3", "tree4")
DEFAULT_NODES = ("n1", "n2", "n3", "n4", "n5")  # Jepsen's default node list
MAX_SEED = 2**63 - 1
DASH_LOOKALIKES = "\u2013\u2014\u2212"  # en dash, em dash, minus sign


class OptionsError(Exception):
    """A bad command line; the message is shown to the user and the CLI exits 254."""


@dataclass
class TestOptions:
    """A parsed ``glome test`` command line, with Maelstrom's defaults."""

    __test__ = False  # not a pytest test class, despite the name

    bin: str
    bin_args: list[str] = field(default_factory=list)
    workload: str = "lin-kv"
    nodes: list[str] = field(default_factory=lambda: list(DEFAULT_NODES))
    concurrency: int = 5
    rate: float = 5.0
    time_limit: float = 60
    latency: int = 0
    latency_dist: str = "constant"
    nemesis: frozenset[str] = frozenset()
    nemesis_interval: float = 10
    topology: str = "grid"
    availability: str | float | None = None
    consistency_models: list[str] = field(default_factory=lambda: ["strict-serializable"])
    key_count: int | None = None
    max_txn_length: int = 4
    max_writes_per_key: int = 16
    log_net_send: bool = False
    log_net_recv: bool = False
    log_stderr: bool = False
    test_count: int = 1
    leave_db_running: bool = False
    logging_json: bool = False
    seed: int = 0
    seed_given: bool = False
    sim: bool = False
    sim_step_timeout: float = 10.0
    help: bool = False
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

    test: int | str = -1
    help: bool = False


# ---------------------------------------------------------------- value parsers
# Each mirrors the parse function Maelstrom or Jepsen gives the option; a
# ValueError becomes tools.cli's "Error while parsing option" message.

_LONG = re.compile(r"[+-]?\d+")
_EDN_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|\d+)N?")
_EDN_RATIO = re.compile(r"([+-]?\d+)/(\d+)")
_EDN_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?")
_EDN_WHITESPACE = " \t\n\r\f,"


def parse_long(text: str) -> int | None:
    """Clojure's ``parse-long``: an optionally signed decimal 64-bit integer, else nil."""
    value = int(text) if _LONG.fullmatch(text) else None
    return value if value is not None and -(2**63) <= value < 2**63 else None


def parse_strict_long(text: str) -> int:
    """Java's ``Long/parseLong``: like parse-long but throws on bad input."""
    value = parse_long(text)
    if value is None:
        raise ValueError(f'java.lang.NumberFormatException: For input string: "{text}"')
    return value


def parse_double(text: str) -> float:
    """Java's ``Double/parseDouble``: trims blanks, allows a d/f suffix.

    Java also reads NaN and Infinity, which Maelstrom's rate check lets through;
    no meaningful schedule follows from them, so glome refuses them.
    """
    trimmed = text.strip(" \t\n\r\f\v")
    body = trimmed[:-1] if trimmed[-1:] in ("d", "D", "f", "F") else trimmed
    if body.lstrip("+-") in ("NaN", "Infinity"):
        raise ValueError(
            f"{trimmed} is not a finite number (Maelstrom would accept it; glome does not)"
        )
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", body):
        raise ValueError(f'java.lang.NumberFormatException: For input string: "{text}"')
    return float(body)


@dataclass(frozen=True)
class ReadForm:
    """A form that is not a number (a symbol, say): every validator fails on it,
    as Clojure's comparisons throw on a symbol."""

    text: str


def read_number(text: str) -> int | float | ReadForm | None:
    """The first form of ``text`` read as EDN/Clojure: a number, nil, or another form.

    ``--availability`` (edn/read-string) and ``--nemesis-interval`` (read-string)
    parse this way, so ``1/2``, ``0x10``, ``5N`` and ``1e0`` all work, an empty
    string reads as nil, and anything after the first form is ignored.
    """
    stripped = text.lstrip(_EDN_WHITESPACE)
    token = re.match(r"[^\s,\[\]{}()\"';@^`~\\]*", stripped)
    word = token.group(0) if token else ""
    if not stripped or word == "nil":
        return None
    if match := _EDN_INT.fullmatch(word):
        sign, digits = match.groups()
        value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits)
        return -value if sign == "-" else value
    if match := _EDN_RATIO.fullmatch(word):
        numerator, denominator = match.groups()
        if int(denominator) == 0:
            raise ValueError("java.lang.ArithmeticException: Divide by zero")
        ratio = Fraction(int(numerator), int(denominator))
        return ratio.numerator if ratio.denominator == 1 else float(ratio)
    if _EDN_FLOAT.fullmatch(word):
        return float(word.rstrip("M"))
    return ReadForm(word or stripped)


def parse_test_selector(text: str) -> int | str:
    """Jepsen's analyze ``-t``: an index into the stored tests (-1 = newest) or a path."""
    return int(text) if re.search(r"^-?\d+$", text) else text


def parse_availability(text: str) -> str | float | ReadForm | None:
    return "total" if text == "total" else read_number(text)


def split_java(pattern: str, text: str) -> list[str]:
    """Java's ``String.split``: like re.split, but trailing empty strings are dropped."""
    parts = re.split(pattern, text)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if parts == [""] and text:
        return []
    return parts


# ------------------------------------------------------------------ validators


def _positive(value: Any) -> bool:
    return value is not None and value > 0


def _non_negative(value: Any) -> bool:
    return value is not None and value >= 0


def _one_of(choices: tuple[str, ...]) -> str:
    return "Must be one of " + ", ".join(sorted(choices))


# ------------------------------------------------------------- option table


@dataclass(frozen=True)
class Spec:
    """One option, as a tools.cli spec: names, argument, parser and validation."""

    key: str  # attribute of TestOptions
    long: str
    short: str | None = None
    argument: str | None = None  # the metavariable; None for a flag
    parse: Callable[[str], Any] | None = None
    valid: Callable[[Any], bool] | None = None
    invalid_message: str | None = None
    repeated: bool = False  # -n/--node: each use appends

    def name_with_argument(self) -> str:
        return f"{self.long} {self.argument}" if self.argument else self.long


def _keyword_choice(choices: tuple[str, ...]) -> dict[str, Any]:
    return {"valid": lambda value: value in choices, "invalid_message": _one_of(choices)}


TEST_SPECS: tuple[Spec, ...] = (
    Spec("help", "--help", "-h"),
    Spec("bin", "--bin", argument="FILE"),
    Spec("workload", "--workload", "-w", "NAME", **_keyword_choice(WORKLOADS)),
    # Jepsen's node options; merged by _resolve_nodes
    Spec("node", "--node", "-n", "HOSTNAME", repeated=True),
    Spec("nodes", "--nodes", argument="NODE_LIST", parse=lambda s: split_java(r",\s*", s)),
    Spec("nodes_file", "--nodes-file", argument="FILENAME"),
    Spec("node_count", "--node-count", None, "NUM", parse_long, _positive, "Must be positive."),
    Spec(
        "concurrency",
        "--concurrency",
        argument="NUMBER",
        valid=lambda s: re.search(r"^\d+n?$", s) is not None,
        invalid_message="Must be an integer, optionally followed by n.",
    ),
    Spec("rate", "--rate", None, "RATE", parse_double, _non_negative, "Can't be negative"),
    Spec(
        "time_limit",
        "--time-limit",
        None,
        "SECONDS",
        parse_strict_long,
        _positive,
        "Must be positive",
    ),
    Spec("latency", "--latency", None, "MILLIS", parse_long, _non_negative, "Must be non-negative"),
    Spec(
        "latency_dist",
        "--latency-dist",
        argument="TYPE",
        valid=lambda value: value in LATENCY_DISTRIBUTIONS,
        invalid_message="Must be constant, uniform, or exponential",
    ),
    Spec(
        "nemesis",
        "--nemesis",
        argument="FAULTS",
        parse=lambda s: frozenset(split_java(r"\s*,\s*", s)),
        valid=lambda faults: all(fault in NEMESES for fault in faults),
        invalid_message=_one_of(NEMESES),
    ),
    Spec(
        "nemesis_interval",
        "--nemesis-interval",
        None,
        "SECONDS",
        read_number,
        _positive,
        "Must be positive",
    ),
    Spec("topology", "--topology", argument="SPEC", **_keyword_choice(TOPOLOGIES)),
    Spec(
        "availability",
        "--availability",
        argument="EXPECTED",
        parse=parse_availability,
        valid=lambda a: a is None or a == "total" or 0 <= a <= 1,
        invalid_message="must be either 'total' or a number between 0 and 1.",
    ),
    # Maelstrom splits on `\s+,\s+`: "a,b" stays one (bogus) model name, which
    # tools.cli accepts and the transactional checker later rejects (:unknown).
    Spec(
        "consistency_models",
        "--consistency-models",
        argument="MODELS",
        parse=lambda s: re.split(r"\s+,\s+", s),
    ),
    Spec("key_count", "--key-count", None, "INT", parse_long, _positive, "must be positive"),
    Spec(
        "max_txn_length",
        "--max-txn-length",
        None,
        "INT",
        parse_long,
        _positive,
        "must be positive",
    ),
    Spec(
        "max_writes_per_key",
        "--max-writes-per-key",
        None,
        "INT",
        parse_long,
        _positive,
        "must be positive",
    ),
    Spec("log_net_send", "--log-net-send"),
    Spec("log_net_recv", "--log-net-recv"),
    Spec("log_stderr", "--log-stderr"),
    Spec(
        "test_count",
        "--test-count",
        None,
        "NUMBER",
        parse_strict_long,
        _positive,
        "Must be positive",
    ),
    Spec("leave_db_running", "--leave-db-running"),
    Spec("logging_json", "--logging-json"),
    # SSH options Jepsen offers; Maelstrom never uses SSH, so they are accepted and ignored.
    Spec("ssh_username", "--username", argument="USER"),
    Spec("ssh_password", "--password", argument="PASS"),
    Spec("ssh_strict_host_key_checking", "--strict-host-key-checking"),
    Spec("ssh_none", "--no-ssh"),
    Spec("ssh_private_key", "--ssh-private-key", argument="FILE"),
    # glome's own
    Spec(
        "seed",
        "--seed",
        None,
        "N",
        parse_long,
        lambda s: s is not None and 0 <= s <= MAX_SEED,
        f"must be an integer from 0 to {MAX_SEED}",
    ),
    Spec("sim", "--sim"),
    Spec(
        "sim_step_timeout",
        "--sim-step-timeout",
        None,
        "SECONDS",
        parse_double,
        _positive,
        "Must be positive",
    ),
)

ANALYZE_SPECS: tuple[Spec, ...] = (
    Spec("help", "--help", "-h"),
    Spec(
        "test",
        "--test",
        "-t",
        "INDEX_OR_PATH",
        parse=parse_test_selector,
    ),
)

# ---------------------------------------------------------------- tokenizer


def _tokenize(argv: list[str], specs: tuple[Spec, ...]) -> tuple[list[tuple], list[str]]:
    """tools.cli's tokenize-args: (option, argument-or-None) pairs and positional args."""
    needs_argument = {name for spec in specs if spec.argument for name in (spec.long, spec.short)}
    tokens: list[tuple[str, str | None]] = []
    positional: list[str] = []
    rest = iter(argv)
    for word in rest:
        if word == "--":
            positional.extend(rest)
        elif re.match(r"^--\S+=", word):
            name, value = word.split("=", 1)
            tokens.append((name, value))
        elif word.startswith("--"):
            tokens.append((word, next(rest, None) if word in needs_argument else None))
        elif re.match(r"^-.", word, re.DOTALL):
            tokens.extend(_expand_short_cluster(word, rest, needs_argument))
        else:
            positional.append(word)
    return tokens, positional


def _expand_short_cluster(
    word: str, rest: Iterator[str], needs_argument: set[str | None]
) -> list[tuple[str, str | None]]:
    """``-abc`` is -a -b -c, unless one of them takes an argument: then the rest is it."""
    expanded: list[tuple[str, str | None]] = []
    letters = word[1:]
    for position, letter in enumerate(letters):
        name = "-" + letter
        if name in needs_argument:
            tail = letters[position + 1 :]
            expanded.append((name, tail if tail else next(rest, None)))
            return expanded
        expanded.append((name, None))
    return expanded


def _parse(argv: list[str], specs: tuple[Spec, ...]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Options given (by key), positional arguments, and error messages."""
    by_name = {name: spec for spec in specs for name in (spec.long, spec.short) if name}
    tokens, positional = _tokenize(argv, specs)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, argument in tokens:
        spec = by_name.get(name)
        if spec is None:
            errors.append(f"Unknown option: {_pr_str(name)}")
            continue
        if not spec.argument:
            values[spec.key] = True
            continue
        shown = _pr_str(f"{name} {argument if argument is not None else spec.argument}")
        if argument is None:
            errors.append(f"Missing required argument for {shown}")
            continue
        try:
            value = spec.parse(argument) if spec.parse else argument
        except (ValueError, ArithmeticError) as error:
            errors.append(f"Error while parsing option {shown}: {error}")
            continue
        if spec.valid is not None and not _passes(spec.valid, value):
            message = f"Failed to validate {shown}"
            errors.append(f"{message}: {spec.invalid_message}" if spec.invalid_message else message)
            continue
        if spec.repeated:
            values.setdefault(spec.key, []).append(value)
        else:
            values[spec.key] = value
    return values, positional, errors


def _passes(check: Callable[[Any], bool], value: Any) -> bool:
    """tools.cli treats a validator that throws (e.g. comparing nil) as a failure."""
    try:
        return bool(check(value))
    except TypeError:
        return False


def _pr_str(text: str) -> str:
    """Clojure's pr-str of a string, as tools.cli quotes options in its messages."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
            else list(DEFAULT_NODES)
        )
    return [*file_nodes, *(nodes or []), *explicit]


def _resolve_concurrency(text: str, node_count: int) -> int:
    """Jepsen's parse-concurrency: ``N`` workers, or ``Nn`` = N per node."""
    digits, per_node = re.match(r"(\d+)(n?)", text).groups()  # type: ignore[union-attr]
    return int(digits) * (node_count if per_node else 1)


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
    values, positional, errors = _parse(argv, TEST_SPECS)
    if values.get("help"):
        return TestOptions(bin=values.get("bin", ""), help=True, argv=list(argv))
    if "bin" not in values:
        errors.append("Expected a --bin PATH_TO_BINARY to test")
    if errors:
        raise OptionsError("\n".join(errors))
    nodes = _resolve_nodes(values)
    seed_given = "seed" in values
    options = TestOptions(
        bin=values["bin"],
        bin_args=positional,
        nodes=nodes,
        concurrency=_resolve_concurrency(values.get("concurrency", "1n"), len(nodes)),
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
    values, positional, errors = _parse(argv, ANALYZE_SPECS)
    if len(positional) > 1 or (positional and "test" in values):
        errors.append("Give one test: either -t/--test INDEX_OR_PATH or a single PATH")
    if errors:
        raise OptionsError("\n".join(errors))
    test = values.get("test", -1)
    if positional:
        test = parse_test_selector(positional[0])
    return AnalyzeOptions(test=test, help=bool(values.get("help")))


OPTION_HELP: dict[str, str] = {
    "--help": "print this help and exit",
    "--bin": "the node binary to test (required); other plain words go to it as arguments",
    "--workload": "workload: " + ", ".join(WORKLOADS) + " (default lin-kv)",
    "--node": "a node name; repeat for more (default n1 .. n5)",
    "--nodes": "comma-separated node names",
    "--nodes-file": "a file of node names, one a line",
    "--node-count": "run NUM nodes named n0 .. n(NUM-1)",
    "--concurrency": "client workers: N, or Nn for N per node (default 1n)",
    "--rate": "client operations per second, about (default 5; 0: none in the main phase)",
    "--time-limit": "seconds of client load before the final phase (default 60)",
    "--latency": "mean network latency between servers, in ms (default 0)",
    "--latency-dist": "latency distribution: constant, uniform, exponential (default constant)",
    "--nemesis": "faults to inject, comma-separated: partition, kill, pause",
    "--nemesis-interval": "mean seconds between nemesis operations (default 10)",
    "--topology": "broadcast topology: " + ", ".join(TOPOLOGIES) + " (default grid)",
    "--availability": "required fraction of ok operations: a number 0..1, or total",
    "--consistency-models": "models to check, split on ' , ' (default strict-serializable)",
    "--key-count": "keys at once, for the txn and kafka workloads",
    "--max-txn-length": "most operations per transaction (default 4)",
    "--max-writes-per-key": "most writes per key, for append and kafka (default 16)",
    "--log-net-send": "log every message sent",
    "--log-net-recv": "log every message received",
    "--log-stderr": "copy node stderr to the console",
    "--test-count": "run the test this many times, stopping at the first failure (default 1)",
    "--leave-db-running": "leave the nodes running at the end of the test",
    "--logging-json": "accepted for compatibility",
    "--username": "accepted and ignored (Maelstrom uses no SSH)",
    "--password": "accepted and ignored",
    "--strict-host-key-checking": "accepted and ignored",
    "--no-ssh": "accepted and ignored",
    "--ssh-private-key": "accepted and ignored",
    "--seed": "seed for every random choice, to repeat a run (default: random, recorded)",
    "--sim": "run on a virtual clock: fast, and the same seed gives the same history",
    "--sim-step-timeout": "wall seconds a node may take over one step under --sim (default 10)",
    "--test": "stored test: an index (-1 is the newest) or a directory (default -1)",
}


def usage(specs: tuple[Spec, ...] = TEST_SPECS) -> str:
    """Option summary for ``--help``, one option a line."""
    names = [
        (f"{spec.short}, " if spec.short else "    ") + spec.name_with_argument() for spec in specs
    ]
    width = max(map(len, names))
    return "\n".join(
        f"  {name:<{width}}  {OPTION_HELP[spec.long]}"
        for name, spec in zip(names, specs, strict=True)
    )
