"""``glome test`` and ``glome analyze``: options in, console report and exit code out.

Exit codes are Maelstrom's: 0 valid, 1 invalid, 2 unknown, 254 bad arguments,
255 when the test could not finish (init failed, a node crashed, glome broke).
"""

from __future__ import annotations

import dataclasses
import random
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import TextIO

from glome.bench import options as cli_options
from glome.bench import results
from glome.bench.process import NodeCrashed
from glome.bench.runner import Outcome, TestAborted, analyze, run
from glome.bench.workloads import UnsupportedWorkload, create

BAD_ARGUMENTS = 254
CRASHED = 255


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def test_main(argv: list[str], console: TextIO = sys.stdout) -> int:
    try:
        options = cli_options.parse_test_args(argv)
    except cli_options.OptionsError as error:
        print(f"{error}\n\nRun `glome test --help` for the options.", file=sys.stderr)
        return BAD_ARGUMENTS
    if options.help:
        print("usage: glome test --bin FILE [options] [-- binary args]\n\n" + cli_options.usage())
        return 0
    for warning in options.warnings:
        print(f"\n{'!' * 72}\n{warning}\n{'!' * 72}\n", file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        for attempt in range(options.test_count):
            if attempt and not options.seed_given:
                options = dataclasses.replace(options, seed=random.SystemRandom().randrange(2**63))
            code = _run_once(options, console)
            if code != 0:
                return code
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_once(options: cli_options.TestOptions, console: TextIO) -> int:
    try:
        outcome = run(options, console)
    except UnsupportedWorkload as error:
        print(str(error), file=sys.stderr)
        return BAD_ARGUMENTS
    except (TestAborted, NodeCrashed) as error:
        print(f"\nTest aborted: {error}", file=sys.stderr, flush=True)
        return CRASHED
    except KeyboardInterrupt:
        print("\nInterrupted; every node process has been killed.", file=sys.stderr)
        return CRASHED
    except Exception:
        print("glome test broke. Here's why:\n" + traceback.format_exc(), file=sys.stderr)
        return CRASHED
    return _report(outcome, console)


def _report(outcome: Outcome, console: TextIO) -> int:
    assert outcome.results is not None
    print(results.format_results(outcome.results), file=console, flush=True)
    return outcome.exit_code


def analyze_main(argv: list[str], console: TextIO = sys.stdout) -> int:
    """Re-run the checkers on a stored test and rewrite its results."""
    try:
        chosen = cli_options.parse_analyze_args(argv)
    except cli_options.OptionsError as error:
        print(str(error), file=sys.stderr)
        return BAD_ARGUMENTS
    if chosen.help:
        print(
            "usage: glome analyze [-t INDEX_OR_PATH | PATH]\n\n"
            + cli_options.usage(cli_options.ANALYZE_SPECS)
        )
        return 0
    try:
        store = results.resolve_test(chosen.test, Path("store"))
        test = results.load_test(store)
        if "net-stats" not in test:
            raise FileNotFoundError(f"{store} holds no finished test (it was aborted)")
        options = cli_options.TestOptions.from_dict(test["options"])
        workload = create(options.workload, options, random.Random(options.seed))
        history = results.load_history(store)
    except (FileNotFoundError, UnsupportedWorkload, KeyError, ValueError) as error:
        print(f"glome analyze: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    outcome = analyze(store, workload, history, test["net-stats"], test.get("glome", {}), options)
    return _report(outcome, console)
