"""``glome replay STORE``: run a stored simulated run again and compare the histories.

Under ``--sim`` the same command line, seed and node code give a byte-identical
``history.jsonl`` (docs/simulation.md). A replay checks that promise for one run:
it reruns the stored run's own command line and seed on the virtual clock into
a new store, kept so that both can be read side by side, and compares the new
history with the stored one byte for byte, and the verdicts. A difference means
the node (or glome) did something the seed does not decide: a clock, a thread,
an unseeded random source, a changed binary. The first differing op shows where.

``StoredRun`` and ``load_run`` are also what ``glome shrink`` starts from.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import orjson

from glome.bench.options import TestOptions, parse_test_selector
from glome.bench.results import (
    HISTORY_JSONL,
    RESULTS_JSON,
    STORE_ROOT,
    TEST_JSON,
    load_results,
    load_test,
    resolve_test,
)
from glome.bench.runner import Interrupted, SignalGuard
from glome.exit_codes import ABORTED, BAD_ARGUMENTS, INVALID, VALID
from glome.hunt.trial import (
    Trial,
    TrialError,
    command_line,
    failure_kinds,
    hunt_argv,
    run_trial,
    test_options,
)

PROG = "glome replay"
#: TestOptions fields that say how a command line was written, not what it runs
_NOT_COMPARED = ("argv", "warnings", "seed_given", "no_plots")
#: the op keys shown first when two ops are set side by side
_KEY_ORDER = ("index", "time", "type", "process", "f", "value")
#: characters of a value shown in a side-by-side column
_COLUMN = 40

DESCRIPTION = """\
Rerun a stored simulated run (glome test --sim) with its own command line and
seed into a new store, and compare the new history.jsonl with the stored one
byte for byte, and the verdicts. Exit 0: identical; 1: they differ (the first
differing op is shown); 254: a store that cannot be replayed (real time,
aborted, interrupted, files missing); 255: the replay itself aborted."""


class StoreRefused(ValueError):
    """A store a hunt cannot rerun, with the reason."""


class CommandLineError(ValueError):
    """A bad command line of a hunt subcommand."""


class HuntParser(argparse.ArgumentParser):
    """argparse, but a bad command line raises instead of exiting 2: the command exits 254."""

    def error(self, message: str) -> NoReturn:
        raise CommandLineError(f"{message}\n{self.format_usage()}")


def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class StoredRun:
    """A finished simulated run in the store, as a hunt reruns it."""

    store: Path
    argv: list[str]  # its command line without what a hunt sets (hunt_argv)
    seed: int
    plots: bool  # whether it drew its plots (a replay does as it did)
    options: dict[str, Any]  # test.json's options
    results: dict[str, Any]

    @property
    def kinds(self) -> tuple[str, ...]:
        return failure_kinds(self.results)

    def command(self) -> str:
        return command_line(self.argv, self.seed)


def load_run(selector: str) -> StoredRun:
    """The stored run ``selector`` names (a directory, or an index as ``glome analyze -t``
    takes one), if a hunt can rerun it: simulated, finished, with its files."""
    try:
        store = _real(resolve_test(parse_test_selector(selector), STORE_ROOT))
        if not (store / TEST_JSON).is_file():
            raise StoreRefused(f"{store} has no {TEST_JSON}: not a glome test's store")
        test = load_test(store)
        options = test["options"]
        _check_finished(store, test)
        if not (store / RESULTS_JSON).is_file():
            raise StoreRefused(f"{store} has no {RESULTS_JSON}: its run has no verdict")
        results = load_results(store)
        _check_finished(store, results)
        stored = StoredRun(
            store=store,
            argv=hunt_argv(list(options["argv"])),
            seed=int(options["seed"]),
            plots=not options.get("no_plots", False),
            options=options,
            results=results,
        )
    except StoreRefused:
        raise
    except FileNotFoundError as error:
        raise StoreRefused(str(error)) from None
    except (KeyError, TypeError, ValueError) as error:  # orjson's decode errors among them
        raise StoreRefused(f"{selector}: a damaged store ({error!r})") from None
    _check_same_options(stored)
    return stored


def _check_finished(store: Path, stored: dict[str, Any]) -> None:
    """Refuse a real-time run, and one interrupted or aborted: there is nothing to rerun,
    or no whole history to compare. ``stored`` is test.json's map or results.json's."""
    if "options" in stored and not stored["options"].get("sim"):
        raise StoreRefused(
            f"{store} ran on the real clock: nothing decides its history but the timing of "
            "that moment, so it cannot be rerun. Only runs of glome test --sim can."
        )
    interrupted = stored.get("glome", {}).get("interrupted")
    if interrupted:
        raise StoreRefused(f"{store} was interrupted by {interrupted}: its history is partial")
    if "options" in stored and "net-stats" not in stored:  # test.json is rewritten at the end
        raise StoreRefused(f"{store} holds an aborted run: it has no whole history to compare")


def _real(store: Path) -> Path:
    """The run's own directory, not a link such as store/latest that the rerun moves;
    relative to the working directory when it lies under it."""
    real, here = store.resolve(), Path.cwd().resolve()
    return real.relative_to(here) if real.is_relative_to(here) else real


def _check_same_options(stored: StoredRun) -> None:
    """Refuse a run whose command line no longer means what it meant (a --nodes-file
    edited since, a glome whose defaults changed): it would not be the same run."""
    try:
        now = test_options(stored.argv, stored.seed, plots=stored.plots).to_dict()
    except TrialError as error:
        raise StoreRefused(f"{stored.store}: its command line is refused now: {error}") from None
    then = TestOptions.from_dict(stored.options).to_dict()
    changed = [
        f"{key}: stored {then[key]!r}, now {now[key]!r}"
        for key in then
        if key not in _NOT_COMPARED and then[key] != now[key]
    ]
    if changed:
        raise StoreRefused(
            f"{stored.store}: its command line now reads differently, so a rerun would not "
            "be the same run:\n  " + "\n  ".join(changed)
        )


# ------------------------------------------------------------ comparing


def first_difference(stored: bytes, replayed: bytes) -> int | None:
    """The index of the first line (op) where two histories differ, None if identical."""
    if stored == replayed:
        return None
    ours, theirs = stored.splitlines(), replayed.splitlines()
    for index, (one, other) in enumerate(zip(ours, theirs, strict=False)):
        if one != other:
            return index
    return min(len(ours), len(theirs))


def _op(lines: list[bytes], index: int) -> dict[str, Any] | None:
    if index >= len(lines):
        return None
    try:
        op = orjson.loads(lines[index])
    except orjson.JSONDecodeError:
        return {"line": lines[index].decode(errors="replace")}
    return op if isinstance(op, dict) else {"line": lines[index].decode(errors="replace")}


def _seconds(op: dict[str, Any] | None) -> str:
    time = op.get("time") if op else None
    return f"{time / 1e9:.9f} s" if isinstance(time, (int, float)) else "-"


def _shown(value: Any) -> str:
    return orjson.dumps(value).decode() if value is not None else "-"


def side_by_side(stored: dict[str, Any] | None, replayed: dict[str, Any] | None) -> list[str]:
    """Two ops as a table, one key a row, a ``*`` on the rows that differ; a differing
    value too long for its column follows in full."""
    ops = [op or {} for op in (stored, replayed)]
    keys = [key for key in _KEY_ORDER if any(key in op for op in ops)]
    keys += [key for op in ops for key in op if key not in keys]
    keys = list(dict.fromkeys(keys))
    width = max([len(key) for key in keys] + [5])
    rows = [f"    {'':<{width}}  {'stored':<{_COLUMN}}  replay"]
    long: list[str] = []
    for key in keys:
        one, other = (_shown(op.get(key)) if key in op else "(none)" for op in ops)
        mark = "*" if one != other else " "
        cut = [text if len(text) <= _COLUMN else text[: _COLUMN - 1] + "…" for text in (one, other)]
        rows.append(f"  {mark} {key:<{width}}  {cut[0]:<{_COLUMN}}  {cut[1]}")
        if mark == "*" and cut != [one, other]:
            long += [f"  {key} stored: {one}", f"  {key} replay: {other}"]
    return rows + long


def describe_difference(stored: bytes, replayed: bytes, index: int) -> list[str]:
    """Where two histories part: the op index, both ops side by side, and their times."""
    ours, theirs = stored.splitlines(), replayed.splitlines()
    one, other = _op(ours, index), _op(theirs, index)
    lines = [
        f"different: the histories part at op {index} (stored {len(ours)} ops, "
        f"replay {len(theirs)}); time {_seconds(one)} stored, {_seconds(other)} replay"
    ]
    if one is None:
        lines.append(f"the stored history ends there; the replay goes on with op {index}")
    elif other is None:
        lines.append(f"the replay's history ends there; the stored one goes on with op {index}")
    return lines + side_by_side(one, other)


def verdict(valid: Any, kinds: tuple[str, ...]) -> str:
    """A verdict in a word, and what failed: ``invalid (lost, stale)``; None is an abort."""
    word = {True: "valid", False: "invalid", None: "aborted"}.get(valid, str(valid))
    return f"{word} ({', '.join(kinds)})" if kinds else word


# ------------------------------------------------------------ the command


def parser() -> argparse.ArgumentParser:
    parse = HuntParser(prog=PROG, description=DESCRIPTION)
    parse.add_argument(
        "store", metavar="STORE", help="a stored run: its directory, or an index (-1 newest)"
    )
    parse.add_argument(
        "--times",
        type=positive,
        default=1,
        metavar="K",
        help="replay K times, each compared with the stored run (default 1)",
    )
    return parse


def compare(stored: StoredRun, history: bytes, trial: Trial) -> tuple[int, list[str]]:
    """A replay's trial against the stored run: the exit code and what to print."""
    if trial.store is None:
        return ABORTED, [f"aborted: {trial.error}"]
    replayed = (Path(trial.store) / HISTORY_JSONL).read_bytes()
    index = first_difference(history, replayed)
    lines = [] if index is None else describe_difference(history, replayed, index)
    if index is None:
        lines.append(f"identical: {len(history.splitlines())} ops, same history")
    then = verdict(stored.results.get("valid?"), stored.kinds)
    now = verdict(trial.valid, trial.kinds)
    same_verdict = then == now
    lines.append(f"verdict: {now}" + (", as stored" if same_verdict else f"; stored: {then}"))
    lines.append(f"store: {trial.store}")
    return (VALID if index is None and same_verdict else INVALID), lines


def interrupted(prog: str, guard: SignalGuard) -> int:
    """Say that SIGINT or SIGTERM stopped the command; its exit code, 128 + the signal."""
    assert guard.received is not None
    print(f"{prog}: interrupted by {signal.Signals(guard.received).name}", file=sys.stderr)
    return 128 + guard.received


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        stored = load_run(args.store)
        history = (stored.store / HISTORY_JSONL).read_bytes()
    except (CommandLineError, StoreRefused) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    print(f"replaying {stored.store}: {stored.command()}", flush=True)
    guard = SignalGuard()  # Ctrl-C ends a replay with its nodes killed, not a traceback
    guard.install()
    try:
        for attempt in range(1, args.times + 1):
            trial = run_trial(stored.argv, stored.seed, STORE_ROOT, plots=stored.plots, guard=guard)
            if guard.received is not None:
                break
            code, lines = compare(stored, history, trial)
            print(f"replay {attempt}/{args.times}: " + "\n  ".join(lines), flush=True)
            if code != VALID:
                return code
    except Interrupted:  # the guard's, between two replays
        pass
    except TrialError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    finally:
        guard.restore()
    return VALID if guard.received is None else interrupted(PROG, guard)
