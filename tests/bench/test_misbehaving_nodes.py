"""``glome test`` against nodes that misbehave: each outcome is Maelstrom's
(docs/maelstrom.md §3, §4.2, §6, §9.5, §10), the run ends on time, and no node
process outlives it.

Each test runs the real command on ``tests/fixture_nodes/misbehaving.py`` with one
misbehaviour switched on; the docstrings say what Maelstrom does and why. A run
that does not end is caught by the fixture's watchdog (``conftest.RUN_TIMEOUT_S``);
no test measures how long a run took.
"""

from __future__ import annotations

import pytest

from glome.bench.client import IDLE_BACKLOG_LIMIT
from glome.bench.process import MAX_LINE_BYTES, STDIN_BACKLOG_LIMIT

INVALID = "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"
VALID = "Everything looks good! ヽ(‘ー`)ノ"
CLIENT_TIMEOUT_S = 5  # Maelstrom's RPC timeout (docs/maelstrom.md §6.1)


def assert_poisoned(run, *error_texts: str) -> None:
    """n0's stdout was given up on: said on the console when it happened, listed under
    glome.poisoned-nodes with the error; the echoes it answered later time out
    (:info), so the test is invalid, exit 1."""
    assert run.returncode == 1
    assert "WARNING: glome stops reading n0's STDOUT" in run.stdout
    [poisoned] = run.results["glome"]["poisoned-nodes"]
    assert poisoned["node"] == "n0"
    for text in error_texts:
        assert text in run.stdout and text in poisoned["error"]
    assert run.results["stats"]["info-count"] >= 1


def test_a_node_that_crashes_mid_run_aborts_with_the_crash_report(bench):
    """Maelstrom notices a dead node only at teardown: the run goes on to its time
    limit (requests to the node time out), Jepsen writes the history, and the
    DB-teardown ``finally`` throws :node-crashed: no analysis, no results, exit
    255, with the last stdout and stderr lines (docs/maelstrom.md §3.4). glome does the same,
    and says so on the console when the node exits."""
    run = bench.run("--node-count", "1", "--time-limit", "5", "--rate", "10",
                    node_args=("--crash-after", "3"))  # fmt: skip
    assert run.returncode == 255, run.stderr
    assert "WARNING: n0 exited with status 7." in run.stdout
    assert "Test aborted: Node n0 crashed with exit status 7." in run.stderr
    assert "Before crashing, it wrote to STDOUT:" in run.stderr
    assert '"type":"echo_ok"' in run.stderr  # the last lines it printed
    assert "And to STDERR:\n\ncrashing on purpose" in run.stderr
    log = f"store/echo/{run.store.name}/node-logs/n0.log"
    assert f"Full STDERR logs are available in {log}" in run.stderr
    assert run.results is None
    history = (run.store / "history.txt").read_text().splitlines()
    assert sum(":ok" in line for line in history) == 2  # answered; the third echo killed it
    assert any(":info" in line for line in history)  # the requests that timed out after
    bench.assert_no_node_left()


def test_a_node_that_never_answers_init_aborts_after_ten_seconds(bench):
    """Maelstrom's DB setup calls init with a 10 s timeout and turns the timeout into
    :init-failed, "Expected node n0 to respond to an init message, but node did
    not respond." Setup failures abort the test: exit 255, no results (docs/maelstrom.md §1,
    §9.5). The silent node is killed at teardown."""
    run = bench.run("--node-count", "2", "--time-limit", "2", node_args=("--no-init",))
    assert run.returncode == 255
    message = "to respond to an init message, but node did not respond."
    assert f"Test aborted: Expected node n0 {message}" in run.stderr or (
        f"Test aborted: Expected node n1 {message}" in run.stderr
    )
    assert run.results is None
    bench.assert_no_node_left()


def test_op_times_start_once_every_node_is_initialised(bench):
    """Jepsen's relative clock starts after the database setup, so a node that takes
    a second to answer init adds nothing to op times: the first op is invoked at the
    stagger's few milliseconds, not after the second (docs/maelstrom.md §6.3)."""
    run = bench.run("--node-count", "1", "--time-limit", "1", "--rate", "100",
                    node_args=("--slow-init", "1"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    first = run.history()[0]
    assert first["type"] == "invoke" and first["time"] < 500_000_000
    bench.assert_no_node_left()


def test_a_node_that_hangs_times_out_its_ops_and_is_killed(bench):
    """A node that stops reading and answering (and ignores SIGTERM, and has a child)
    leaves every request to it unanswered: after 5 s the client times out, and echo
    is not idempotent, so the op completes :info with :net-timeout (docs/maelstrom.md §6.2).
    The main phase still ends at the time limit; in-flight ops end with their
    timeouts. Echo's checker counts an unanswered echo as an error, so the verdict
    is invalid, exit 1 -- as Maelstrom's. Teardown SIGKILLs the node's whole process
    group, child included (Maelstrom's destroyForcibly; SIGTERM is never sent)."""
    run = bench.run("--node-count", "1", "--time-limit", "2", "--rate", "10",
                    node_args=("--hang-after", "2"))  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert run.stdout.rstrip().endswith(INVALID)
    timeouts = [op for op in run.history() if op.get("error") == "net-timeout"]
    assert timeouts and all(op["type"] == "info" for op in timeouts)
    assert run.results["stats"]["ok-count"] == 1  # it hangs on the second echo
    assert run.results["workload"]["valid?"] is False
    assert len(bench.node_pids()) == 2  # the node and the child it started
    bench.assert_no_node_left()


@pytest.mark.parametrize("dest", ["self", "n1", "client"])
def test_a_node_that_floods_stdout_keeps_the_bench_bounded(bench, dest):
    """Two nodes print valid messages as fast as they can, never reading stdin again:
    to themselves, to n1, or (after one answer) to the client that asked. Maelstrom
    routes every one of them and queues what nobody reads without limit, so its
    memory grows until the JVM dies; glome caps the bytes waiting for a node's
    stdin (STDIN_BACKLOG_LIMIT) and the messages waiting for idle clients
    (IDLE_BACKLOG_LIMIT), says so on the console and counts what it dropped under
    ``glome``. The run ends on time (ops to the flooders time out: :info, so echo
    is invalid, exit 1) and the bench's peak RSS stays far below 500 MB (about
    40-90 MB measured at ~500k messages/s)."""
    run = bench.run("--node-count", "2", "--time-limit", "2", "--rate", "2",
                    node_args=("--flood", dest), measure=True)  # fmt: skip
    assert run.returncode == 1, run.stderr[-2000:]
    peak_mb = run.peak_rss_kib() / 1024
    messages = run.results["glome"]["messages"]
    print(f"--flood {dest}: bench peak RSS {peak_mb:.0f} MB, {messages} messages")
    assert peak_mb < 500
    glome = run.results["glome"]
    assert glome["messages"] > 100_000  # it did flood
    if dest == "client":
        assert "WARNING: nodes sent more than" in run.stdout
        assert glome["idle-client-drops"] > IDLE_BACKLOG_LIMIT
    else:
        assert "is not reading its STDIN" in run.stdout
        overflow = {entry["node"]: entry for entry in glome["stdin-overflow"]}
        assert "n1" in overflow
        assert overflow["n1"]["discarded-bytes"] > STDIN_BACKLOG_LIMIT
    bench.assert_no_node_left()
    (run.store / "net-journal.jsonl").unlink()  # hundreds of MB: every message is journaled


def test_a_line_that_never_ends_is_given_up_on(bench):
    """Maelstrom's readLine would gather an unending line in memory until the JVM ran
    out. glome gives up on the node's output past MAX_LINE_BYTES, as after a bad
    line (below): said loudly, under glome.poisoned-nodes, ops time out, exit 1."""
    run = bench.run("--node-count", "1", "--time-limit", "1", "--rate", "5",
                    node_args=("--endless-line",), measure=True)  # fmt: skip
    assert_poisoned(run, f"printed more than {MAX_LINE_BYTES} bytes to STDOUT without ending")
    assert run.peak_rss_kib() / 1024 < 500
    bench.assert_no_node_left()


def test_a_non_json_line_stops_reading_that_node(bench):
    """Maelstrom's stdout thread logs the parse error ("...printed a line to STDOUT
    which was not well-formed JSON...") and stops reading that node for good (spec
    2.3, 9.1): its later replies are never read, so the ops time out (:info) and
    echo is invalid, exit 1. glome does the same, prints the error loudly when it
    happens and lists the node under glome.poisoned-nodes."""
    run = bench.run("--node-count", "1", "--time-limit", "1", "--rate", "10",
                    node_args=("--bad-line-after", "2"))  # fmt: skip
    assert_poisoned(run, "which was not well-formed JSON:\nthis line is not JSON")
    assert run.results["stats"]["ok-count"] == 2
    bench.assert_no_node_left()


def test_a_second_reply_to_one_request_is_discarded(bench):
    """Maelstrom's client takes the first message whose in_reply_to matches and
    drops every other message it reads (docs/maelstrom.md §6.1, §10.3); the twin reply is still
    sent (and counted) by the network. So every op is ok, the test valid (exit 0),
    and clients' msg-count is 3 per op (request and two replies) + init and
    init_ok. (The node prints both replies in one write: a twin printed later than
    the last op's answer could come after the teardown, here as in Maelstrom.)"""
    run = bench.run("--node-count", "1", "--time-limit", "2", "--rate", "10",
                    node_args=("--reply-twice",))  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.stdout.rstrip().endswith(VALID)
    results = run.results
    ops = results["stats"]["count"]
    assert ops == results["stats"]["ok-count"] >= 5
    assert results["net"]["clients"]["msg-count"] == 3 * ops + 2
    assert results["glome"]["poisoned-nodes"] == []
    bench.assert_no_node_left()


def test_a_reply_to_a_closed_client_stops_reading_that_node(bench):
    """The init client is closed (its id leaves the network) as soon as init_ok
    arrives; a second init_ok half a second later is sent to an id that no longer
    exists, and Maelstrom's net/send! assertion throws "Invalid source/dest for
    message ...", which stops the node's stdout thread like a bad line (docs/maelstrom.md §3.3,
    §10.2): later echoes time out, the test is invalid, exit 1."""
    run = bench.run("--node-count", "1", "--time-limit", "2", "--rate", "10",
                    node_args=("--late-init-reply", "0.5"))  # fmt: skip
    assert_poisoned(run, "Invalid source/dest for message", '"type":"init_ok"', "c0 is not a")
    bench.assert_no_node_left()


def test_a_late_reply_to_a_replaced_client_stops_reading_that_node(bench):
    """The classic case: n0 answers an echo 5.5 s late. At 5 s the client timed out
    (echo: :info); the worker's next op sees a new process and, echo clients not
    being reusable, closes the old client and opens another (docs/maelstrom.md §6.4). The late
    reply then goes to an id that left the network: poisoned, as above."""
    run = bench.run("--node-count", "1", "--time-limit", "6", "--rate", "10",
                    node_args=("--late-echo", "2"))  # fmt: skip
    assert_poisoned(run, "Invalid source/dest for message", '"in_reply_to":2', "c2 is not a")
    late = next(op for op in run.history() if op.get("error") == "net-timeout")
    assert late["type"] == "info" and late["process"] == 0
    bench.assert_no_node_left()


def test_a_message_to_an_unknown_node_stops_reading_that_node(bench):
    """A message to n99, which is not in the test, fails the same assertion as a
    message to a closed client, with the same consequences (docs/maelstrom.md §3.3)."""
    run = bench.run("--node-count", "1", "--time-limit", "1", "--rate", "10",
                    node_args=("--unknown-after", "2"))  # fmt: skip
    assert_poisoned(run, '"dest":"n99"', "n99 is not a registered node or client")
    bench.assert_no_node_left()


def test_megabyte_lines_arrive_whole_and_stall_nobody(bench):
    """Maelstrom reads lines of any length and forwards them (Java's readLine and
    Jackson have no line limit). n0 sends n1 a 1-4 MB message with every echo and
    answers the echo once n1 acknowledges; n1 checks each against its SHA-256, logs
    ``big ok`` and acknowledges. Every one arrives intact, every echo on both nodes
    is answered well within its timeout (no stall), and the test is valid."""
    run = bench.run("--node-count", "2", "--time-limit", "3", "--rate", "5",
                    node_args=("--big-to", "n1"))  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    stats = run.results["stats"]
    assert stats["count"] == stats["ok-count"] >= 5
    sent = run.results["net"]["servers"]["send-count"]
    log = (run.store / "node-logs" / "n1.log").read_text()
    assert sent >= 2  # each big line and its acknowledgement
    assert log.count("big ok") * 2 == sent and "CORRUPT" not in log
    bench.assert_no_node_left()
