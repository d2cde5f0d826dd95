"""``glome test`` and ``glome analyze``: options in, console report and exit code out.

Exit codes are Maelstrom's: 0 valid, 1 invalid, 2 unknown, 254 bad arguments,
255 when the test could not finish (init failed, a node crashed, glome broke).
A run cut short by SIGINT (Ctrl-C) or SIGTERM exits 130 or 143, 128 + the
signal: what the JVM running Maelstrom exits with, and what shells and CI
read as "killed by that signal" -- unlike 255, it cannot be mistaken for a
node that crashed. The partial store says so too.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import traceback
from typing import TextIO

from glome.bench import options as cli_options
from glome.bench import results
from glome.bench.aborted import TestAborted
from glome.bench.process import NodeCrashed
from glome.bench.runner import Interrupted, Outcome, SignalGuard, analyze, run
from glome.bench.simulation import SimulationError, SimulationRefused
from glome.bench.workloads import UnsupportedWorkload, create
from glome.exit_codes import ABORTED, BAD_ARGUMENTS


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
    guard = SignalGuard()
    guard.install()
    try:
        for attempt in range(options.test_count):
            if attempt and not options.seed_given:
                options = dataclasses.replace(options, seed=random.SystemRandom().randrange(2**63))
            code = _run_once(options, console, guard)
            if code != 0:
                return code
        return 0
    except Interrupted as interruption:  # between two runs: nothing of a run to keep
        print(f"\nInterrupted by {interruption.signal_name}.", file=sys.stderr)
        return interruption.exit_code
    finally:
        guard.restore()


def _run_once(options: cli_options.TestOptions, console: TextIO, guard: SignalGuard) -> int:
    try:
        outcome = run(options, console, guard=guard)
    except (UnsupportedWorkload, SimulationRefused) as error:
        print(str(error), file=sys.stderr)
        return BAD_ARGUMENTS
    except (TestAborted, NodeCrashed, SimulationError) as error:
        print(f"\nTest aborted: {error}", file=sys.stderr, flush=True)
        return ABORTED
    except Exception:
        print("glome test broke. Here's why:\n" + traceback.format_exc(), file=sys.stderr)
        return ABORTED
    if "interrupted" in outcome.glome:
        return _report_interruption(outcome)
    return _report(outcome, console)


def _report_interruption(outcome: Outcome) -> int:
    """No verdict for a run cut short: say so, and where what it did is kept."""
    signal_name = outcome.glome["interrupted"]
    kept = (
        f"The history so far ({outcome.glome['history-ops']} ops) and partial results "
        f"(valid? unknown) are in {outcome.store}"
        if outcome.store is not None
        else "It had not started: nothing was stored"
    )
    print(
        f"\nInterrupted by {signal_name}: every node process has been killed. {kept}",
        file=sys.stderr,
        flush=True,
    )
    return outcome.exit_code


def _report(outcome: Outcome, console: TextIO) -> int:
    """The results, and for an invalid run its explanation (written to the store too);
    an earlier explanation of a run now analysed valid is removed."""
    assert outcome.results is not None
    print(results.format_results(outcome.results, outcome.explanation), file=console, flush=True)
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
        store = results.resolve_test(chosen.test, results.STORE_ROOT)
        test = results.load_test(store)
        interrupted = test.get("glome", {}).get("interrupted")
        if interrupted and "net-stats" not in test:
            raise FileNotFoundError(
                f"{store} holds a test interrupted by {interrupted}: its history is partial "
                "and has no verdict. Its partial results are in "
                f"{store / results.RESULTS_JSON}"
            )
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
