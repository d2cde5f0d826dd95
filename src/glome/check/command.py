"""``glome check --model MODEL [options] FILE...``: check stored histories.

For each file, in order, one line ``FILE<TAB>true|false|unknown`` on stdout.
Exit codes are glome test's (Maelstrom's): 0 when every file is valid, 1 when
any is invalid, 2 when any is unknown and none invalid, and 254 for bad input
(unknown model or option, a file missing or not a history), which is said in
one line on stderr; the other files are still checked. A checker that throws
makes its file's verdict unknown with the reason, as Jepsen's check-safe does.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from glome.bench import edn
from glome.bench.checkers.compose import check_safe
from glome.bench.history import CheckContext, Op
from glome.bench.results import exit_code, merge_valid
from glome.check import explanations, table
from glome.check.reading import FORMATS, HistoryError, plain_value, read_history
from glome.check.settings import (
    DEFAULT_CONSISTENCY_MODELS,
    NOT_GIVEN,
    ModelError,
    Settings,
    UsageError,
)
from glome.exit_codes import BAD_ARGUMENTS

VERDICT_WORDS = {True: "true", False: "false", "unknown": "unknown"}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error instead of exiting with its own code."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _edn_value(text: str) -> Any:
    """An EDN option value, in the shape values have in ops once read."""
    try:
        return plain_value(edn.loads(text))
    except edn.EdnError as error:
        raise argparse.ArgumentTypeError(f"not an EDN value: {error}") from None


def _models_help() -> str:
    lines = ["models:"]
    for name, spec in table.MODELS.items():
        lines.append(f"  {name:<16} {spec.source}: {spec.summary}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parse = _Parser(
        prog="glome check",
        description="Check histories from any Jepsen-style framework with glome's checkers. "
        "Prints FILE<TAB>true|false|unknown for each file; exits 0 all valid, 1 any "
        "invalid, 2 any unknown (none invalid), 254 bad input.",
        epilog=_models_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument("files", nargs="+", metavar="FILE", help="history files (EDN or JSON)")
    parse.add_argument("-m", "--model", required=True, help="the model to check against")
    parse.add_argument(
        "-f", "--format", choices=FORMATS, help="read every file as this (default: by suffix)"
    )
    parse.add_argument(
        "-d", "--directory", type=Path, help="write each file's full result under DIR/<file>/"
    )
    elle = parse.add_argument_group("Elle (rw-register, list-append, txn-*)")
    elle.add_argument(
        "-c",
        "--consistency-models",
        type=_names,
        default=DEFAULT_CONSISTENCY_MODELS,
        metavar="M[,M...]",
        help="models the history must satisfy (default strict-serializable)",
    )
    elle.add_argument(
        "-a", "--anomalies", type=_names, default=(), metavar="A[,A...]", help="anomalies to find"
    )
    elle.add_argument(
        "-s",
        "--cycle-search-timeout",
        type=float,
        default=Settings().cycle_search_timeout_ms,
        metavar="MS",
        help="milliseconds to search one strongly connected component (default 1000)",
    )
    jepsen = parse.add_argument_group("Jepsen (long-fork, bank)")
    jepsen.add_argument("-g", "--group-size", type=int, help="keys every long-fork read reads")
    jepsen.add_argument("--total-amount", type=int, help="bank total (default: the first read's)")
    jepsen.add_argument(
        "-n",
        "--allow-negative-balances",
        action="store_true",
        help="bank balances may go below zero",
    )
    search = parse.add_argument_group(
        "linearizability (cas-register, mutex, multi-register, lin-kv)"
    )
    search.add_argument(
        "--initial-value",
        type=_edn_value,
        default=NOT_GIVEN,
        metavar="EDN",
        help="the register's first value (default nil; multi-register: a map, default {})",
    )
    search.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="seconds a file's search may take before it is unknown (default: none)",
    )
    return parse


def settings_of(arguments: argparse.Namespace) -> Settings:
    return Settings(
        consistency_models=arguments.consistency_models,
        anomalies=arguments.anomalies,
        cycle_search_timeout_ms=arguments.cycle_search_timeout,
        group_size=arguments.group_size,
        total_amount=arguments.total_amount,
        negative_balances=arguments.allow_negative_balances,
        initial_value=arguments.initial_value,
        time_limit=arguments.time_limit,
    )


def run_model(name: str, history: list[Op], settings: Settings) -> dict[str, Any]:
    """The model's result; a checker that throws gives unknown and the reason."""
    model = table.model(name)

    def checker(ops: list[Op], _ctx: CheckContext | None) -> dict[str, Any]:
        try:
            return model.check(ops, settings)
        except ModelError as error:
            return {"valid?": "unknown", "error": str(error)}

    return check_safe(checker, history, CheckContext(options=None, store=settings.directory))


def check_main(argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """``glome check``: exit 0 valid, 1 invalid, 2 unknown, 254 bad input."""
    if any(arg in ("-h", "--help") for arg in argv):
        print(parser().format_help(), file=out, end="")
        return 0
    try:
        arguments = parser().parse_args(argv)
        settings = settings_of(arguments)
        table.validate(arguments.model, settings)
    except UsageError as error:
        print(f"glome check: {error}", file=err)
        return BAD_ARGUMENTS
    folders = (
        explanations.folders(arguments.directory, arguments.files)
        if arguments.directory is not None
        else [None] * len(arguments.files)
    )
    verdicts = []
    bad_input = False
    for file, folder in zip(arguments.files, folders, strict=True):
        try:
            history = read_history(Path(file), arguments.format)
        except HistoryError as error:
            print(f"glome check: {file}: {error}", file=err, flush=True)
            bad_input = True
            continue
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                print(f"glome check: {folder}: {error.strerror or error}", file=err, flush=True)
                return BAD_ARGUMENTS
        result = run_model(
            arguments.model, history, dataclasses.replace(settings, directory=folder)
        )
        verdicts.append(result["valid?"])
        print(f"{file}\t{VERDICT_WORDS[result['valid?']]}", file=out, flush=True)
        if folder is not None:
            explanations.write(folder, result)
    return BAD_ARGUMENTS if bad_input else exit_code(merge_valid(*verdicts))
