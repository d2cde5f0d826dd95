"""Every model on small histories of each kind it judges: valid ones, one per
anomaly it reports, and the ones it cannot decide. Each model's files go
through one run of the real ``glome check`` command; every output line is
checked, and so is the exit code (the worst verdict)."""

from __future__ import annotations

from pathlib import Path

import pytest

from check.helpers import check, verdicts, write
from check.histories import call, history, op

# --------------------------------------------------------------- Knossos

CAS_REGISTER = {
    "written-then-read": (history(call(0, "write", 1), call(1, "read", None, result=1)), "true"),
    "nil-read-anytime": (history(call(0, "write", 1), call(1, "read", None)), "true"),
    "cas-ok": (
        history(call(0, "write", 1), call(0, "cas", [1, 2]), call(1, "read", result=2)),
        "true",
    ),
    "crashed-write-seen": (
        history(call(0, "write", 1), call(1, "write", 3, kind="info"), call(2, "read", result=3)),
        "true",
    ),
    "concurrent-writes": (
        history(
            op(0, "invoke", "write", 1),
            op(1, "invoke", "write", 2),
            op(0, "ok", "write", 1),
            op(1, "ok", "write", 2),
            call(2, "read", result=1),
        ),
        "true",
    ),
    "stale-read": (
        history(call(0, "write", 1), call(0, "write", 2), call(1, "read", result=1)),
        "false",
    ),
    "failed-write-seen": (
        history(call(0, "write", 1), call(1, "write", 3, kind="fail"), call(2, "read", result=3)),
        "false",
    ),
    "cas-from-wrong-value": (history(call(0, "write", 1), call(0, "cas", [5, 6])), "false"),
    "read-before-any-write": (history(call(0, "read", result=0)), "false"),
}

MUTEX = {
    "taken-in-turn": (
        history(call(0, "acquire"), call(0, "release"), call(1, "acquire"), call(1, "release")),
        "true",
    ),
    "release-refused-when-free": (
        history(call(0, "release", kind="fail"), call(1, "acquire")),
        "true",
    ),
    "held-twice": (history(call(0, "acquire"), call(1, "acquire")), "false"),
    "released-when-free": (history(call(0, "release")), "false"),
}

MULTI_REGISTER = {
    "txns": (
        history(
            call(0, "txn", [[":write", ":x", 1], [":write", ":y", 2]]),
            call(
                1,
                "txn",
                [[":read", ":x", None], [":read", ":y", None]],
                result=[[":read", ":x", 1], [":read", ":y", 2]],
            ),
        ),
        "true",
    ),
    "torn-read": (
        history(
            call(0, "txn", [[":write", ":x", 1], [":write", ":y", 2]]),
            call(
                1,
                "txn",
                [[":read", ":x", None], [":read", ":y", None]],
                result=[[":read", ":x", 1], [":read", ":y", None]],
            ),
            call(2, "txn", [[":read", ":y", None]], result=[[":read", ":y", 3]]),
        ),
        "false",
    ),
}

# ------------------------------------------------------------------- Elle


def txn(process: int, mops: list, kind: str = "ok") -> str:
    invoked = [[f, k, None if f == ":r" else v] for f, k, v in mops]
    return op(process, "invoke", "txn", invoked) + "\n" + op(process, kind, "txn", mops)


def concurrently(*txns: tuple[int, list]) -> str:
    invocations = [
        op(p, "invoke", "txn", [[f, k, None if f == ":r" else v] for f, k, v in m]) for p, m in txns
    ]
    return history(*invocations, *(op(p, "ok", "txn", m) for p, m in txns))


LIST_APPEND = {
    "serial": (
        history(txn(0, [[":append", 1, 1]]), txn(1, [[":r", 1, [1]], [":append", 1, 2]])),
        "true",
    ),
    "G0": (
        concurrently(
            (0, [[":append", 1, 1], [":append", 2, 1]]),
            (1, [[":append", 1, 2], [":append", 2, 2]]),
            (2, [[":r", 1, [1, 2]], [":r", 2, [2, 1]]]),
        ),
        "false",
    ),
    "G1a": (history(txn(0, [[":append", 1, 1]], "fail"), txn(1, [[":r", 1, [1]]])), "false"),
    "G1b": (
        history(txn(0, [[":append", 1, 1], [":append", 1, 2]]), txn(1, [[":r", 1, [1]]])),
        "false",
    ),
    "G1c": (
        concurrently(
            (0, [[":append", 1, 1], [":r", 2, [1]]]), (1, [[":append", 2, 1], [":r", 1, [1]]])
        ),
        "false",
    ),
    "G-single": (
        concurrently(
            (0, [[":append", 1, 1], [":append", 2, 1]]), (1, [[":r", 1, []], [":r", 2, [1]]])
        ),
        "false",
    ),
    "G2-item": (
        concurrently(
            (0, [[":r", 1, []], [":append", 2, 1]]), (1, [[":r", 2, []], [":append", 1, 1]])
        ),
        "false",
    ),
    "internal": (history(txn(0, [[":append", 1, 1], [":r", 1, []]])), "false"),
    "incompatible-order": (
        concurrently(
            (0, [[":append", 1, 1]]),
            (1, [[":append", 1, 2]]),
            (2, [[":r", 1, [1, 2]]]),
            (3, [[":r", 1, [2, 1]]]),
        ),
        "false",
    ),
    "stale-realtime": (history(txn(0, [[":append", 1, 1]]), txn(1, [[":r", 1, []]])), "false"),
}

RW_REGISTER = {
    "serial": (
        history(txn(0, [[":w", ":x", 1]]), txn(1, [[":r", ":x", 1], [":w", ":x", 2]])),
        "true",
    ),
    "G1a": (history(txn(0, [[":w", ":x", 1]], "fail"), txn(1, [[":r", ":x", 1]])), "false"),
    "G1c": (
        concurrently(
            (0, [[":w", ":x", 1], [":r", ":y", 1]]), (1, [[":w", ":y", 1], [":r", ":x", 1]])
        ),
        "false",
    ),
    "internal": (history(txn(0, [[":w", ":x", 1], [":r", ":x", 2]])), "false"),
}

# ----------------------------------------------------------------- Jepsen

COUNTER = {
    "within-bounds": (
        history(call(0, "add", 1), call(1, "read", result=1), call(0, "add", 2)),
        "true",
    ),
    "concurrent-add": (
        history(op(0, "invoke", "add", 5), call(1, "read", result=5), op(0, "info", "add", 5)),
        "true",
    ),
    "read-too-high": (history(call(0, "add", 1), call(1, "read", result=3)), "false"),
    "read-too-low": (history(call(0, "add", 2), call(1, "read", result=1)), "false"),
    "negative-add": (history(call(0, "add", -1), call(1, "read", result=0)), "unknown"),
}

SET = {
    "all-there": (
        history(call(0, "add", 0), call(0, "add", 1, kind="info"), call(1, "read", result=[0, 1])),
        "true",
    ),
    "lost": (history(call(0, "add", 0), call(0, "add", 1), call(1, "read", result=[1])), "false"),
    "unexpected": (history(call(0, "add", 0), call(1, "read", result=[0, 7])), "false"),
    "never-read": (history(call(0, "add", 0)), "unknown"),
}

SET_FULL = {
    "stable": (history(call(0, "add", 0), call(1, "read", result=[0])), "true"),
    "lost": (
        history(call(0, "add", 0), call(1, "read", result=[0]), call(1, "read", result=[])),
        "false",
    ),
    "never-read": (history(call(0, "add", 0)), "unknown"),
}

BALANCES = {0: 50, 1: 50}
BANK = {
    "conserved": (
        history(
            call(0, "read", result=BALANCES),
            call(1, "transfer", {":from": 0, ":to": 1, ":amount": 10}),
            call(0, "read", result={0: 40, 1: 60}),
        ),
        "true",
    ),
    "wrong-total": (
        history(call(0, "read", result=BALANCES), call(0, "read", result={0: 40, 1: 50})),
        "false",
    ),
    "negative": (
        history(call(0, "read", result=BALANCES), call(0, "read", result={0: -10, 1: 110})),
        "false",
    ),
    "unexpected-key": (
        history(call(0, "read", result=BALANCES), call(0, "read", result={0: 50, 2: 50})),
        "false",
    ),
    "nil-balance": (
        history(call(0, "read", result=BALANCES), call(0, "read", result={0: 100, 1: None})),
        "false",
    ),
}

GROUP = [[":r", 0, None], [":r", 1, None]]
LONG_FORK = {
    "one-order": (
        history(
            call(0, "write", [[":w", 0, 1]]),
            call(1, "read", GROUP, result=[[":r", 0, 1], [":r", 1, None]]),
            call(0, "write", [[":w", 1, 1]]),
            call(1, "read", GROUP, result=[[":r", 0, 1], [":r", 1, 1]]),
        ),
        "true",
    ),
    "fork": (
        history(
            call(0, "write", [[":w", 0, 1]]),
            call(1, "write", [[":w", 1, 1]]),
            call(2, "read", GROUP, result=[[":r", 0, 1], [":r", 1, None]]),
            call(3, "read", GROUP, result=[[":r", 0, None], [":r", 1, 1]]),
        ),
        "false",
    ),
    "key-written-twice": (
        history(call(0, "write", [[":w", 0, 1]]), call(1, "write", [[":w", 0, 2]])),
        "unknown",
    ),
    "wrong-group": (
        history(call(1, "read", [[":r", 0, None]], result=[[":r", 0, None]])),
        "unknown",
    ),
}

# -------------------------------------------------------------- Maelstrom

ECHO = {
    "echoed": (history(call(0, "echo", "hi", result={":echo": "hi"})), "true"),
    "garbled": (history(call(0, "echo", "hi", result={":echo": "ho"})), "false"),
}

UNIQUE_IDS = {
    "unique": (history(call(0, "generate", result=1), call(1, "generate", result=2)), "true"),
    "duplicate": (history(call(0, "generate", result=1), call(1, "generate", result=1)), "false"),
}

BROADCAST = {
    "delivered": (history(call(0, "broadcast", 0), call(1, "read", result=[0])), "true"),
    "lost": (
        history(call(0, "broadcast", 0), call(1, "read", result=[0]), call(1, "read", result=[])),
        "false",
    ),
}

G_SET = {
    "delivered": (history(call(0, "add", 0), call(1, "read", result=[0])), "true"),
    "lost": (
        history(call(0, "add", 0), call(1, "read", result=[0]), call(1, "read", result=[])),
        "false",
    ),
}


def final_read(process: int, value: int) -> str:
    return (
        op(process, "invoke", "read", None, **{"final?": True})
        + "\n"
        + op(process, "ok", "read", value, **{"final?": True})
    )


G_COUNTER = {
    "counted": (
        history(call(0, "add", 2), call(1, "add", 3, kind="info"), final_read(2, 5)),
        "true",
    ),
    "miscounted": (history(call(0, "add", 2), final_read(2, 3)), "false"),
}

PN_COUNTER = {
    "counted": (history(call(0, "add", 2), call(1, "add", -3), final_read(2, -1)), "true"),
    "miscounted": (history(call(0, "add", 2), call(1, "add", -3), final_read(2, 2)), "false"),
}

LIN_KV = {
    "two-keys": (
        history(
            call(0, "write", [1, 3]),
            call(1, "read", [2, None]),
            call(1, "read", [1, None], result=[1, 3]),
        ),
        "true",
    ),
    "stale": (
        history(
            call(0, "write", [1, 3]),
            call(0, "write", [1, 4]),
            call(1, "read", [1, None], result=[1, 3]),
        ),
        "false",
    ),
}

TXN_RW_REGISTER = {
    "serial": (history(txn(0, [[":w", 1, 1]]), txn(1, [[":r", 1, 1]])), "true"),
    "G1a": (history(txn(0, [[":w", 1, 1]], "fail"), txn(1, [[":r", 1, 1]])), "false"),
}

TXN_LIST_APPEND = {
    "serial": (history(txn(0, [[":append", 1, 1]]), txn(1, [[":r", 1, [1]]])), "true"),
    "G1b": (
        history(txn(0, [[":append", 1, 1], [":append", 1, 2]]), txn(1, [[":r", 1, [1]]])),
        "false",
    ),
}


def kafka_op(process: int, kind: str, value: list) -> str:
    return op(process, kind, "send" if value[0][0] == ":send" else "poll", value)


KAFKA = {
    "sent-and-polled": (
        history(
            kafka_op(0, "invoke", [[":send", "k", "a"]]),
            kafka_op(0, "ok", [[":send", "k", [0, "a"]]]),
            kafka_op(1, "invoke", [[":poll"]]),
            kafka_op(1, "ok", [[":poll", {"k": [[0, "a"]]}]]),
        ),
        "true",
    ),
    "duplicate": (
        history(
            kafka_op(0, "invoke", [[":send", "k", "a"]]),
            kafka_op(0, "ok", [[":send", "k", [0, "a"]]]),
            kafka_op(1, "invoke", [[":poll"]]),
            kafka_op(1, "ok", [[":poll", {"k": [[0, "a"], [1, "a"]]}]]),
        ),
        "false",
    ),
}

CASES: list[tuple[str, list[str], dict[str, tuple[str, str]]]] = [
    ("cas-register", [], CAS_REGISTER),
    ("mutex", [], MUTEX),
    ("multi-register", [], MULTI_REGISTER),
    ("list-append", [], LIST_APPEND),
    ("rw-register", [], RW_REGISTER),
    ("counter", [], COUNTER),
    ("set", [], SET),
    ("set-full", [], SET_FULL),
    ("bank", [], BANK),
    ("long-fork", ["--group-size", "2"], LONG_FORK),
    ("echo", [], ECHO),
    ("unique-ids", [], UNIQUE_IDS),
    ("broadcast", [], BROADCAST),
    ("g-set", [], G_SET),
    ("g-counter", [], G_COUNTER),
    ("pn-counter", [], PN_COUNTER),
    ("lin-kv", [], LIN_KV),
    ("txn-rw-register", [], TXN_RW_REGISTER),
    ("txn-list-append", [], TXN_LIST_APPEND),
    ("kafka", [], KAFKA),
]


def exit_code(verdicts: list[str]) -> int:
    """Any invalid: 1; else any unknown: 2; else 0."""
    return 1 if "false" in verdicts else 2 if "unknown" in verdicts else 0


@pytest.mark.parametrize(("model", "options", "cases"), CASES, ids=[case[0] for case in CASES])
def test_model_verdicts(
    tmp_path: Path, model: str, options: list[str], cases: dict[str, tuple[str, str]]
) -> None:
    files = [write(tmp_path, f"{name}.edn", text) for name, (text, _) in cases.items()]
    done = check(tmp_path, "--model", model, *options, *(file.name for file in files))
    expected = {f"{name}.edn": verdict for name, (_, verdict) in cases.items()}
    assert verdicts(done) == expected, done.stderr
    assert list(verdicts(done)) == list(expected)  # one line per file, in order
    assert done.returncode == exit_code(list(expected.values()))


def test_list_append_consistency_models_and_anomalies(tmp_path: Path) -> None:
    """Write skew (G2-item) is allowed under read committed, unless asked for."""
    write(tmp_path, "skew.edn", LIST_APPEND["G2-item"][0])
    write(tmp_path, "stale.edn", LIST_APPEND["stale-realtime"][0])
    weak = check(tmp_path, "-m", "list-append", "-c", "read-committed", "skew.edn", "stale.edn")
    assert verdicts(weak) == {"skew.edn": "true", "stale.edn": "true"}
    assert weak.returncode == 0
    asked = check(
        tmp_path, "-m", "list-append", "-c", "read-committed", "-a", "G2-item", "skew.edn"
    )
    assert verdicts(asked) == {"skew.edn": "false"}
    serializable = check(tmp_path, "-m", "list-append", "-c", "serializable", "stale.edn")
    assert verdicts(serializable) == {"stale.edn": "true"}  # realtime is not serializability's
    write(tmp_path, "alone.edn", history(txn(0, [[":append", 1, 1]])))
    alone = check(tmp_path, "-m", "list-append", "-c", "serializable", "alone.edn")
    assert verdicts(alone) == {"alone.edn": "unknown"}  # an empty transaction graph
    assert alone.returncode == 2


def test_cas_register_initial_value(tmp_path: Path) -> None:
    write(tmp_path, "from-zero.edn", CAS_REGISTER["read-before-any-write"][0])
    assert verdicts(check(tmp_path, "-m", "cas-register", "from-zero.edn")) == {
        "from-zero.edn": "false"
    }
    zero = check(tmp_path, "-m", "cas-register", "--initial-value", "0", "from-zero.edn")
    assert verdicts(zero) == {"from-zero.edn": "true"}


def test_multi_register_initial_value(tmp_path: Path) -> None:
    text = history(call(0, "txn", [[":read", ":x", None]], result=[[":read", ":x", 0]]))
    write(tmp_path, "x0.edn", text)
    assert verdicts(check(tmp_path, "-m", "multi-register", "x0.edn")) == {"x0.edn": "false"}
    given = check(tmp_path, "-m", "multi-register", "--initial-value", "{:x 0 :y 0}", "x0.edn")
    assert verdicts(given) == {"x0.edn": "true"}


def test_bank_options(tmp_path: Path) -> None:
    write(tmp_path, "negative.edn", BANK["negative"][0])
    allowed = check(tmp_path, "-m", "bank", "--allow-negative-balances", "negative.edn")
    assert verdicts(allowed) == {"negative.edn": "true"}
    write(tmp_path, "conserved.edn", BANK["conserved"][0])
    total = check(tmp_path, "-m", "bank", "--total-amount", "200", "conserved.edn")
    assert verdicts(total) == {"conserved.edn": "false"}
