"""How often ``glome check`` gives the verdict Knossos, Elle and Jepsen give, on
public histories whose verdicts those tools' own test suites assert.

    python tools/check_agreement.py CORPUS_DIR

CORPUS_DIR holds plain copies (work trees) of any of these repositories, each
under its name; what is missing is skipped:

    knossos/    github.com/jepsen-io/knossos    data/{cas-register,multi-register,mutex}/{good,bad}
    elle/       github.com/jepsen-io/elle       histories/ (the ones elle's tests assert on)
    elle-cli/   github.com/ligurio/elle-cli     histories/ with the verdicts of its test.sh
    porcupine/  github.com/anishathalye/porcupine  test_data/jepsen: Jepsen etcd logs

The corpora are not part of this repository (CI cannot fetch them). Where the
expected verdict comes from:

* knossos: the directory (good: valid, bad: invalid), as Knossos's
  ``test-examples`` asserts; its test starts the register at 0 and the
  multi-register at ``{:x 0 :y 0}``; cas-register also runs from nil, as
  Knossos's and elle-cli's command lines do;
* elle: the assertions of elle's ``list_append_test.clj`` on its files;
* elle-cli: the exit status ``test.sh`` expects of each command line;
* porcupine: the verdict of each log in ``porcupine_test.go``. porcupine's etcd
  model is stricter than Knossos's cas-register (a failed CAS tells that the
  register did not hold the expected value; a read of nil that it was empty),
  so each log is also checked by glome's general search with porcupine's
  rules, which shows where the two models, not the checkers, disagree.

Prints one row per corpus (histories, agreements, disagreements) and every
disagreement.
"""

from __future__ import annotations

import io
import re
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glome.bench import edn
from glome.check import search
from glome.check.command import check_main
from glome.check.reading import read_history


@dataclass
class Case:
    corpus: str
    file: Path
    arguments: list[str]  # glome check options (the file is added)
    expected: bool | str
    verdict: bool | str | None = None
    seconds: float = 0.0


def run(case: Case) -> None:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code = check_main([*case.arguments, str(case.file)], out, err)
    case.seconds = time.perf_counter() - started
    line = out.getvalue().strip()
    if code == 254 or not line:
        case.verdict = f"error: {err.getvalue().strip()}"
        return
    word = line.rsplit("\t", 1)[1]
    case.verdict = {"true": True, "false": False}.get(word, word)


# ---------------------------------------------------------------- knossos


def knossos_cases(root: Path) -> list[Case]:
    cases = []
    data = root / "data"
    for verdict, expected in (("good", True), ("bad", False)):
        for file in sorted((data / "cas-register" / verdict).glob("*.edn")):
            cases.append(
                Case(
                    "knossos cas-register from 0",
                    file,
                    ["-m", "cas-register", "--initial-value", "0"],
                    expected,
                )
            )
            cases.append(
                Case("knossos cas-register from nil", file, ["-m", "cas-register"], expected)
            )
        for file in sorted((data / "multi-register" / verdict).glob("*.edn")):
            arguments = ["-m", "multi-register", "--initial-value", "{:x 0 :y 0}"]
            cases.append(Case("knossos multi-register", file, arguments, expected))
        for file in sorted((data / "mutex" / verdict).glob("*.edn")):
            cases.append(Case("knossos mutex", file, ["-m", "mutex"], expected))
    return cases


# ------------------------------------------------------------------- elle

#: file -> (options, expected verdict), from elle's test/elle/list_append_test.clj
ELLE_ASSERTED = {
    "si-without-g-single.edn": (["-c", "snapshot-isolation,repeatable-read"], False),
    "huge-scc.edn": ([], False),
}


def elle_cases(root: Path) -> list[Case]:
    cases = []
    for name, (options, expected) in ELLE_ASSERTED.items():
        file = root / "histories" / name
        if file.exists():
            cases.append(Case("elle", file, ["-m", "list-append", *options], expected))
    return cases


# --------------------------------------------------------------- elle-cli

#: elle-cli options about its plots, which glome does not draw
PLOT_OPTIONS = {"--plot-format", "--plot-timeout", "--max-plot-bytes", "-p", "-t", "-b"}
RUN_TEST = re.compile(r'^run_test\s+(\d+)\s+"([^"]*)"', re.MULTILINE)


def elle_cli_cases(root: Path) -> list[Case]:
    cases = []
    script = root / "test.sh"
    if not script.exists():
        return cases
    for code, line in RUN_TEST.findall(script.read_text()):
        words = shlex.split(line)
        kept: list[str] = []
        while words:
            word = words.pop(0)
            if word in PLOT_OPTIONS:
                words.pop(0)
            else:
                kept.append(word)
        history = next(word for word in kept if word.startswith("histories/"))
        kept.remove(history)
        model = kept[kept.index("--model") + 1]
        cases.append(Case(f"elle-cli {model}", root / history, kept, code == "0"))
    return cases


# -------------------------------------------------------------- porcupine

LOG_LINE = re.compile(r"^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(\w+)\s+:(\w+)\s+(.*?)\s*$")
PORCUPINE_VERDICT = re.compile(r"checkJepsen\(t, (\d+), (true|false)\)")


def jepsen_log_ops(text: str) -> list[dict[str, Any]]:
    """The ops of an old Jepsen log (``process :type :f value`` lines)."""
    ops = []
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if match is None:
            continue
        process, kind, f, value = match.groups()
        ops.append(
            {
                "process": int(process),
                "type": edn.Keyword(kind),
                "f": edn.Keyword(f),
                "value": edn.loads(value),
            }
        )
    return ops


def porcupine_cases(root: Path, folder: Path) -> list[Case]:
    cases = []
    test = root / "porcupine_test.go"
    if not test.exists():
        return cases
    for number, verdict in PORCUPINE_VERDICT.findall(test.read_text()):
        log = root / "test_data" / "jepsen" / f"etcd_{int(number):03d}.log"
        file = folder / f"etcd_{int(number):03d}.edn"
        file.write_text("\n".join(edn.dumps(op) for op in jepsen_log_ops(log.read_text())) + "\n")
        cases.append(
            Case("porcupine etcd (Knossos model)", file, ["-m", "cas-register"], verdict == "true")
        )
    return cases


def porcupine_rules(state: Any, f: Any, value: Any) -> Any:
    """porcupine's etcd model: a read of nil means empty, a failed CAS means the
    register did not hold the expected value."""
    if f == "write":
        return value
    if f == "read":
        return state if value == state else search.Inconsistent(f"read {value} from {state}")
    if f == "cas":
        return value[1] if state == value[0] else search.Inconsistent("cas failed")
    if f == "cas-failed":
        return state if state != value[0] else search.Inconsistent("cas should have worked")
    raise ValueError(f)


def porcupine_verdict(file: Path) -> bool:
    """The log under porcupine's rules, on glome's general search."""
    ops = read_history(file)
    failed_cas = {}
    for op in ops:  # a failed cas becomes a completed "cas-failed"
        if op["type"] == "invoke":
            failed_cas[op["process"]] = op
        elif op["type"] == "fail" and op["f"] == "cas":
            failed_cas[op["process"]]["f"] = "cas-failed"
            op["f"], op["type"] = "cas-failed", "ok"
    problem = search.prepare(ops)
    return search.search(problem, porcupine_rules, None).status == "valid"


# ------------------------------------------------------------------ report


def main(corpus: Path) -> int:
    with tempfile.TemporaryDirectory() as temporary:
        cases = (
            knossos_cases(corpus / "knossos")
            + elle_cases(corpus / "elle")
            + elle_cli_cases(corpus / "elle-cli")
            + porcupine_cases(corpus / "porcupine", Path(temporary))
        )
        missing = [case for case in cases if not case.file.exists()]
        cases = [case for case in cases if case.file.exists()]
        if not cases:
            print(f"no corpus found under {corpus}", file=sys.stderr)
            return 2
        for case in cases:
            run(case)
        porcupine = [case for case in cases if case.corpus.startswith("porcupine")]
        rules = {case.file.name: porcupine_verdict(case.file) for case in porcupine}
    rows: dict[str, list[Case]] = {}
    for case in cases:
        rows.setdefault(case.corpus, []).append(case)
    print(f"{'corpus':<34} {'histories':>9} {'agree':>6} {'disagree':>8} {'max s':>6}")
    for corpus_name, group in rows.items():
        agree = sum(case.verdict == case.expected for case in group)
        slowest = max(case.seconds for case in group)
        print(
            f"{corpus_name:<34} {len(group):>9} {agree:>6} {len(group) - agree:>8} {slowest:>6.2f}"
        )
    if porcupine:
        agree = sum(rules[case.file.name] == case.expected for case in porcupine)
        name, count = "porcupine etcd (porcupine rules)", len(porcupine)
        print(f"{name:<34} {count:>9} {agree:>6} {count - agree:>8}")
    for case in missing:
        print(f"  (not in the corpus, skipped: {case.corpus} {case.file.name})")
    disagreements = [case for case in cases if case.verdict != case.expected]
    if disagreements:
        print("\ndisagreements:")
    for case in disagreements:
        note = ""
        if case.file.name in rules:
            same = rules[case.file.name] == case.expected
            note = " (porcupine's rules give its verdict)" if same else ""
        print(
            f"  {case.corpus}: {case.file.name} expected {case.expected}, got {case.verdict}{note}"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1])))
