"""Explained failures: the evidence behind an invalid verdict, not only its name.

The verdict always comes from glome's checkers; nothing here re-checks a
history. From a stored run this module selects what the verdict rests on: the
offending ops the workload checker's result names (one evidence function per
result shape, ``EVIDENCE``), the history around them (their invocations,
completions, nodes and the reads or ops that bear witness), and the network
journal's messages: the client requests and replies of those ops, and every
message whose JSON body carries a value in question. It writes
``explanation.txt`` (a screenful: the first few cases of each anomaly),
``explanation.json`` and ``evidence.svg`` (a Lamport diagram of those messages,
highlighted, and of the traffic in the second after the first of them).

Journal times are put on the history's clock: the history starts when the
last node has answered ``init``, which is the journal's last event before the
first message that is not part of the init handshake (exact under ``--sim``,
microseconds early in real time).
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from glome.bench import lamport
from glome.bench.checkers.set_full import element_key
from glome.bench.history import INFO, INVOKE, OK, Op, pairs
from glome.bench.net import JOURNAL_FILE
from glome.bench.options import TestOptions
from glome.bench.results import (
    EVIDENCE_SVG,
    EXPLANATION_JSON,
    EXPLANATION_TXT,
    load_history,
    load_results,
    load_test,
)
from glome.protocol import REPLY_BOOKKEEPING_KEYS

#: what an explanation writes into the store
OUTPUTS = (EXPLANATION_TXT, EXPLANATION_JSON, EVIDENCE_SVG)
#: cases explained per anomaly (explanation.json); the others are counted ("and N more")
SHOWN = 3
#: the text's length: a screenful. Past it, an anomaly is named and counted but its
#: cases are left to explanation.json (the first case is always shown)
LINES = 60
MIB = 1 << 20
#: the largest journal searched for an explanation's messages (a flooding node writes GBs)
JOURNAL_SEARCH_LIMIT = 64 * MIB
#: the client messages of a case's ops, and the messages carrying one value, listed
MESSAGES_SHOWN = 6
CARRIERS_SHOWN = 4
#: ops named in one line of a list (final reads, concurrent ops)
REFS_SHOWN = 6
VALUE_CHARS = 70
WIDTH = 100
#: evidence.svg also draws the traffic of this long after the first evidence message
CONTEXT_NS = 1_000_000_000
#: real time: how late a request may be journaled after its op's invocation
REAL_TIME_SLACK_NS = 5_000_000

Pair = tuple[Op, Op | None]


# ------------------------------------------------------------------ the model


@dataclass
class Finding:
    """One case of an anomaly and the evidence the results and history give for it."""

    title: str
    ops: list[Op]  # the offending ops: listed with their times, node and messages
    facts: list[str] = field(default_factory=list)  # lines: what the results and history say
    related: list[Op] = field(default_factory=list)  # ops that bear witness (drawn, not listed)
    values: list[Any] = field(default_factory=list)  # values to find in the messages' bodies


@dataclass
class Anomaly:
    """What one checker calls one kind of failure: how many, and the first cases."""

    name: str
    count: int
    summary: str
    findings: list[Finding]
    checker: str = "workload"


@dataclass
class Message:
    """One journaled message, its times on the history's clock (ns)."""

    id: int
    sent: int
    src: str
    dest: str
    body: dict[str, Any]
    received: int | None = None

    def line(self) -> str:
        """The message in one line: when it was sent, and delivered if that was later."""
        delivered = ""
        if self.received is None:
            delivered = "  (never delivered)"
        elif _seconds(self.received) != _seconds(self.sent):
            delivered = f"  (delivered {_seconds(self.received)})"
        body = _brief({k: v for k, v in self.body.items() if k != "type"})
        return (
            f"#{self.id} {_seconds(self.sent)} {self.src} → {self.dest} "
            f"{self.body.get('type')} {body}{delivered}"
        )


@dataclass
class Explanation:
    """What ``glome test`` prints (``text``) and explanation.json holds (``data``)."""

    text: str
    data: dict[str, Any]


# ------------------------------------------------------------- a stored run


class Run:
    """A stored run as the evidence functions read it: results, options, history."""

    def __init__(self, store: Path) -> None:
        self.results = load_results(store)
        self.options = TestOptions.from_dict(load_test(store)["options"])
        self.history = load_history(store)
        #: the client ops' names: a request of one of these types begins an op
        self.op_names = {op.get("f") for op in self.history if isinstance(op.get("process"), int)}
        self._pairs: dict[int, Pair] = {}
        for invocation, completion in pairs(self.history):
            for op in (invocation, completion):
                if op is not None:
                    self._pairs[op["index"]] = (invocation, completion)

    def pair(self, op: Op) -> Pair:
        """The invocation and completion of ``op`` (either, or an op a checker rendered)."""
        return self._pairs.get(op.get("index", -1), (op, None))

    def node(self, op: Op) -> str | None:
        """The node a client op went to: each worker thread keeps one node (generator.py)."""
        process = op.get("process")
        if not isinstance(process, int):
            return None
        nodes = self.options.nodes
        return nodes[(process % self.options.concurrency) % len(nodes)]

    def completions(self, f: str, kind: str = OK) -> list[Op]:
        return [op for op in self.history if op.get("f") == f and op["type"] == kind]

    def describe(self, op: Op) -> str:
        """An op's pair in one line: what, who, where and when."""
        invocation, completion = self.pair(op)
        value = invocation.get("value")
        if completion is not None and completion.get("value") != value:
            value = completion.get("value")
        ended = (
            f", {completion['type']} {_seconds(completion['time'])}"
            if completion is not None
            else ", never completed"
        )
        indices = "/".join(str(o["index"]) for o in (invocation, completion) if o is not None)
        return (
            f"{invocation.get('f')} {_brief(value)} by process {invocation.get('process')} "
            f"on {self.node(invocation)}: invoked {_seconds(invocation['time'])}{ended} "
            f"(history {indices})"
        )

    def ref(self, op: Op) -> str:
        """An op in a few words, for lists."""
        invocation, completion = self.pair(op)
        at = (completion or invocation)["time"]
        return f"process {invocation.get('process')} on {self.node(invocation)} {_seconds(at)}"

    def refs(self, head: str, ops: list[Op]) -> list[str]:
        """``head:`` then the ops in a few words each, packed into lines."""
        items = [self.ref(op) for op in ops[:REFS_SHOWN]]
        if len(ops) > REFS_SHOWN:
            items.append(f"and {len(ops) - REFS_SHOWN} more")
        lines = [f"{head}:"]
        for item in items:
            if len(lines) > 1 and len(lines[-1]) + len(item) + 2 <= WIDTH:
                lines[-1] += f"; {item}"
            else:
                lines.append(f"  {item}")
        return lines


def _seconds(ns: int) -> str:
    return f"{ns / 1e9:.3f} s"


def _brief(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _listing(values: list[Any], count: int, show: Callable[[Any], str] = _brief) -> str:
    shown = ", ".join(map(show, values[:REFS_SHOWN]))
    return shown + (f", … ({count} in all)" if count > REFS_SHOWN else "")


def ops_in(value: Any) -> list[Op]:
    """Every op inside a checker's case (its fields, lists, cycles), each once, in order."""
    found: dict[int, Op] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if {"process", "type", "index"} <= node.keys():
                found.setdefault(node["index"], node)
                return
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return list(found.values())


# ------------------------------------------------- evidence, by result shape


def set_full_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """broadcast, g-set: each lost (or never-read) value's add, the reads that
    returned it and the final reads that miss it; the journal is searched for it."""
    add_f = "broadcast" if run.options.workload == "broadcast" else "add"
    adds = {element_key(op.get("value")): op for op in run.history if op.get("f") == add_f}
    reads = run.completions("read")
    final = [op for op in reads if op.get("final?")] or list(
        {run.node(op): op for op in reads}.values()  # unflagged: each node's last read
    )
    anomalies = []
    for name, summary in (
        ("lost", "acknowledged, then missing from later reads"),
        ("never-read", "added, but no read after the add returned it"),
    ):
        values = result.get(name) or []
        if not values:
            continue
        findings = []
        for value in values[:SHOWN]:
            add = adds.get(element_key(value))
            returned = [op for op in reads if _holds(op.get("value"), value)]
            missing = [op for op in final if not _holds(op.get("value"), value)]
            last = f", the last: {run.ref(returned[-1])}" if returned else ""
            facts = [f"returned by {len(returned)} of {len(reads)} ok reads{last}"]
            if missing:
                every = "all" if len(missing) == len(final) else f"{len(missing)} of"
                facts += run.refs(f"missing from {every} {len(final)} final reads", missing)
            title = f"{_brief(value)}: {summary}"
            findings.append(Finding(title, [add] if add else [], facts, missing, [value]))
        listing = _listing(values, len(values))
        summary = f"{_count(len(values), 'value')}: {listing}"
        anomalies.append(Anomaly(name, len(values), summary, findings))
    return anomalies


def _holds(read: Any, value: Any) -> bool:
    if not isinstance(read, list) or value not in read:  # the fast test, in C
        return False
    key = element_key(value)
    return any(element_key(item) == key for item in read)


def lin_kv_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """lin-kv: per key the checker could not linearize, the op where the search
    stopped, why (its final paths), and the ops on that key concurrent with it."""
    findings = []
    failures = result.get("failures") or []
    for key in failures[:SHOWN]:
        analysis = result["results"][str(key)]["linearizable"]
        op = analysis["op"]
        invocation, completion = run.pair(op)
        end = completion["time"] if completion is not None else float("inf")
        concurrent = [
            other
            for other, done in pairs(run.history)
            if other["index"] != invocation["index"]
            and isinstance(other.get("value"), list)
            and other["value"][:1] == [key]
            and other["time"] <= end
            and (done is None or done["type"] == INFO or done["time"] >= invocation["time"])
        ]
        facts = []
        if analysis.get("previous-ok"):
            facts.append(f"the last ok op before it: {run.describe(analysis['previous-ok'])}")
        for path in analysis.get("final-paths", [])[:SHOWN]:
            steps = [
                f"{step['op'].get('f')} {_brief(step['op'].get('value'))} → "
                + (step["model"].get("inconsistent") or _brief(step["model"].get("value")))
                for step in path
            ]
            facts.append("a final path: " + "; ".join(steps))
        if concurrent:
            facts += run.refs(f"concurrent with it on key {key}", concurrent)
        title = f"key {key}: no linearization accepts this {op.get('f')}"
        findings.append(Finding(title, [op], facts, concurrent))
    summary = f"{_count(len(failures), 'key')}: {_listing(failures, len(failures))}"
    return [Anomaly("nonlinearizable", len(failures), summary, findings)]


def txn_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """txn-rw-register, txn-list-append: Elle's explanation of each example (a
    cycle's transactions and the dependency that orders each after the last)."""
    anomalies = []
    for kind, examples in result.get("anomalies", {}).items():
        findings = []
        for example in examples[:SHOWN]:
            lines = str(example.get("explanation") or kind).splitlines()
            findings.append(Finding(lines[0], ops_in(example), lines[1:]))
        summary = _count(len(examples), "example")
        anomalies.append(Anomaly(kind, len(examples), summary, findings))
    return anomalies


def kafka_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """kafka: for each error type that fails the test, its cases and the ops they name."""
    anomalies = []
    for kind in result.get("bad-error-types", []):
        found = result.get(kind)
        if isinstance(found, dict) and "errs" in found:
            cases = found["errs"] if isinstance(found["errs"], list) else [found["errs"]]
            count = found.get("count", len(cases))
        else:  # unseen: one map of counts and messages per key
            cases, count = [found], 1
        findings = []
        for case in cases[:SHOWN]:
            details = (
                {k: v for k, v in case.items() if not ops_in(v)} if isinstance(case, dict) else {}
            )
            title = f"{kind}: {_brief(details or case)}"
            findings.append(Finding(title, ops_in(case)))
        anomalies.append(Anomaly(kind, count, _count(count, "case"), findings))
    return anomalies


def counter_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """g-counter, pn-counter: the final reads outside the acceptable range, and what
    the range is made of (the ok adds, and the indeterminate ones that may count)."""
    errors = result.get("errors") or []
    acceptable = " or ".join(f"{low}..{high}" for low, high in result.get("acceptable", []))
    ok_adds, info_adds = run.completions("add"), run.completions("add", INFO)
    made_of = (
        f"acceptable: {acceptable} (the sum of {len(ok_adds)} ok adds, "
        f"{sum(op['value'] for op in ok_adds)}, plus any of {len(info_adds)} indeterminate adds)"
    )
    findings = [
        Finding(f"final read {_brief(op.get('value'))} is not in {acceptable}", [op], [made_of])
        for op in errors[:SHOWN]
    ]
    summary = f"final reads {_brief(result.get('final-reads'))}; acceptable: {acceptable}"
    return [Anomaly("wrong-final-read", len(errors), summary, findings)]


def unique_ids_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """unique-ids: each duplicated id and the generate ops that all got it."""
    duplicated = result.get("duplicated") or {}
    generated = run.completions("generate")
    findings = []
    for shown, count in list(duplicated.items())[:SHOWN]:
        ops = [op for op in generated if _id_text(op.get("value")) == str(shown)]
        findings.append(Finding(f"id {shown} was returned {count} times", ops))
    total = result.get("duplicated-count", len(duplicated))
    summary = f"{_count(total, 'id')}: {_listing(list(duplicated), total, str)}"
    return [Anomaly("duplicated", total, summary, findings)]


def _id_text(value: Any) -> str:
    """An id as results.json names it (a map key: a number's or a string's text, else JSON)."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def echo_evidence(result: dict[str, Any], run: Run) -> list[Anomaly]:
    """echo: each reply that did not echo its request, with the op that got it."""
    errors = result.get("errors") or []
    findings = []
    for _, sent, _, reply in errors[:SHOWN]:
        found = [
            (invocation, completion)
            for invocation, completion in pairs(run.history)
            if invocation.get("value") == sent
            and completion is not None
            and completion.get("value") == reply
        ]
        title = f"sent {_brief(sent)}, got back {_brief(reply)}"
        if found and found[0][1] is not None and found[0][1]["type"] != OK:
            # a failed or timed-out echo keeps what it sent as its value (echo.py)
            completion = found[0][1]
            title = (
                f"sent {_brief(sent)}, got no echo: {completion['type']} {completion.get('error')}"
            )
        findings.append(Finding(title, [invocation for invocation, _ in found[:1]]))
    return [Anomaly("mismatch", len(errors), _count(len(errors), "reply"), findings)]


Evidence = Callable[[dict[str, Any], Run], list[Anomaly]]

#: a workload result's shape -> its evidence: the first of these keys it has decides
EVIDENCE: dict[str, Evidence] = {
    "lost": set_full_evidence,  # broadcast, g-set
    "failures": lin_kv_evidence,  # lin-kv
    "anomalies": txn_evidence,  # txn-rw-register, txn-list-append
    "bad-error-types": kafka_evidence,  # kafka
    "acceptable": counter_evidence,  # g-counter, pn-counter (which also have "errors")
    "duplicated": unique_ids_evidence,  # unique-ids (set-full's also has "duplicated")
    "errors": echo_evidence,  # echo
}


def anomalies_of(run: Run) -> list[Anomaly]:
    """The workload checker's anomalies with their evidence, then every other checker
    that failed, by its name and figures."""
    found: list[Anomaly] = []
    for name, result in run.results.items():
        if not isinstance(result, dict) or result.get("valid?") is not False:
            continue
        if name == "workload":
            shape = next((key for key in EVIDENCE if key in result), None)
            if shape is not None:
                found[:0] = EVIDENCE[shape](result, run)
                continue
        figures = {
            k: v for k, v in result.items() if k != "valid?" and not isinstance(v, (dict, list))
        }
        found.append(Anomaly("invalid", 1, _brief(figures), [], checker=name))
    return found


# ------------------------------------------------------------------ journal


class Spans:
    """Time spans to test times against in increasing order, as the journal's come."""

    def __init__(self, spans: Iterable[tuple[float, float]]) -> None:
        self._spans: list[tuple[float, float]] = []
        for start, end in sorted(spans):
            if self._spans and start <= self._spans[-1][1]:
                self._spans[-1] = (self._spans[-1][0], max(end, self._spans[-1][1]))
            else:
                self._spans.append((start, end))
        self._next = 0

    def cover(self, time: int) -> bool:
        while self._next < len(self._spans) and self._spans[self._next][1] < time:
            self._next += 1
        return self._next < len(self._spans) and self._spans[self._next][0] <= time


class JournalSearch:
    """One pass over the journal: the client messages of chosen ops, matched by node
    and time, and the messages whose bodies carry chosen values. Only the lines in
    an op's time span or holding a value's JSON text are decoded."""

    def __init__(self, run: Run, ops: Iterable[Op], values: Iterable[Any]) -> None:
        self.run = run
        slack = 0 if run.options.sim else REAL_TIME_SLACK_NS
        self.windows: dict[int, tuple[str, int, float]] = {}  # invocation index -> node, span
        for op in ops:
            invocation, completion = run.pair(op)
            node = run.node(invocation)
            if node is not None and invocation["type"] == INVOKE:
                end = float("inf") if completion is None else completion["time"] + slack
                self.windows[invocation["index"]] = (node, invocation["time"], end)
        self._spans = Spans((start, end) for _, start, end in self.windows.values())
        self.values = {element_key(value): value for value in values}
        self._needles = [orjson.dumps(value) for value in self.values.values()]
        #: the journal's time when the history's clock started (see the module docstring)
        self.origin: int | None = None
        self._last_recv = 0
        self.candidates: dict[int, list[Message]] = {index: [] for index in self.windows}
        self.replies: dict[tuple[str, Any], Message] = {}  # (client, in_reply_to) -> reply
        self.carriers: dict[Any, list[Message]] = {key: [] for key in self.values}
        self._kept: dict[int, Message] = {}  # by id, to note when each was delivered
        self.searched = False  # whether scan() read a journal

    def scan(self, path: Path) -> None:
        with open(path, "rb") as journal:
            for line in journal:
                if line.strip():
                    self._line(line)
        self.searched = True

    def _line(self, line: bytes) -> None:
        comma = line.index(b",")
        if line[comma + 2 : comma + 6] == b"recv":
            time, _, message_id = orjson.loads(line)
            if self.origin is None:
                self._last_recv = time
            elif message_id in self._kept:
                self._kept[message_id].received = time - self.origin
            return
        time = int(line[1:comma])
        if self.origin is not None:
            time -= self.origin
            if not self._spans.cover(time) and not any(n in line for n in self._needles):
                return
        _, _, message_id, message = orjson.loads(line)
        body = message.get("body") or {}
        if self.origin is None:
            if body.get("type") in lamport.HIDDEN_TYPES:  # the init handshake
                return
            self.origin = self._last_recv
            time -= self.origin
        self._match(Message(message_id, time, message["src"], message["dest"], body))

    def _match(self, message: Message) -> None:
        kept = False
        if _is_client(message.src):
            for index, (node, start, end) in self.windows.items():
                if message.dest == node and start <= message.sent <= end:
                    self.candidates[index].append(message)
                    kept = True
        elif _is_client(message.dest) and "in_reply_to" in message.body:
            self.replies[(message.dest, message.body["in_reply_to"])] = message
            kept = True
        for key, value in self.values.items():
            if _carries(message.body, value, key, top=True):
                self.carriers[key].append(message)
                kept = True
        if kept:
            self._kept[message.id] = message

    def messages_of(self, op: Op) -> list[Message]:
        """The op's requests and the replies to them, in journal order. Its first request
        is the one to its node in its time span that is of its type, carries its value's
        data and was sent nearest its invocation, in that order of preference; the
        same client's next requests are the op's too (a kafka poll commits offsets)
        until one begins another op (it has an op's name)."""
        invocation, _ = self.run.pair(op)
        candidates = self.candidates.get(invocation["index"], [])
        if not candidates:
            return []
        data = _leaves(invocation.get("value"))
        first = min(
            candidates,
            key=lambda m: (
                m.body.get("type") != invocation.get("f"),
                not data <= _leaves(m.body),
                abs(m.sent - invocation["time"]),
            ),
        )
        requests = [first]
        for message in candidates:
            if message.id <= first.id or message.src != first.src:
                continue
            if message.body.get("type") in self.run.op_names:
                break
            requests.append(message)
        replies = [
            self.replies[(m.src, m.body.get("msg_id"))]
            for m in requests
            if (m.src, m.body.get("msg_id")) in self.replies
        ]
        return sorted(requests + replies, key=lambda m: m.id)

    def carriers_of(self, value: Any) -> list[Message]:
        return self.carriers.get(element_key(value), [])


def _leaves(value: Any) -> set[Any]:
    """The scalars in a value (by element key), nulls aside: what a request must carry."""
    if isinstance(value, dict):
        return set().union(*map(_leaves, value.values()))
    if isinstance(value, list):
        return set().union(*map(_leaves, value))
    return set() if value is None else {element_key(value)}


def _is_client(participant: str) -> bool:
    return participant[:1] == "c" and participant[1:].isdigit()


def _carries(node: Any, value: Any, key: Any, top: bool = False) -> bool:
    """Whether ``value`` (``key`` its element key) is somewhere in a body's data. A list
    whose first item is no container is searched in C: gossip sets are long."""
    if isinstance(node, dict):
        data = (item for k, item in node.items() if not (top and k in REPLY_BOOKKEEPING_KEYS))
        return any(_carries(item, value, key) for item in data)
    if isinstance(node, list):
        if node and not isinstance(node[0], (dict, list)):
            return _holds(node, value)
        return any(_carries(item, value, key) for item in node)
    return element_key(node) == key


# ------------------------------------------------------------ explanation


def explain(store: Path) -> Explanation:
    """Explain the invalid run in ``store`` and write the explanation files into it;
    never raises: an error becomes "could not explain: ..." (the verdict stands)."""
    try:
        return _explain(store)
    except Exception as error:  # the verdict and the exit code must not depend on this
        note = f"could not explain: {error!r}"
        explanation = Explanation(note, {"error": note})
        with contextlib.suppress(OSError):  # a store we cannot write: the console still says
            _write(store, explanation)
        return explanation


def _explain(store: Path) -> Explanation:
    run = Run(store)
    anomalies = anomalies_of(run)
    findings = [finding for anomaly in anomalies for finding in anomaly.findings]
    search = JournalSearch(
        run,
        [op for finding in findings for op in (*finding.ops, *finding.related)],
        [value for finding in findings for value in finding.values],
    )
    journal = store / JOURNAL_FILE
    size = journal.stat().st_size if journal.is_file() else 0
    if 0 < size <= JOURNAL_SEARCH_LIMIT:  # a flooded journal would take minutes to read
        search.scan(journal)
    drawn = search.searched and _draw(store, journal, search, findings)
    if not search.searched:
        (store / EVIDENCE_SVG).unlink(missing_ok=True)
    blocks = [[list(_finding_lines(f, run, search)) for f in a.findings] for a in anomalies]
    shown = _fit(blocks, LINES - 2 - 2 * len(anomalies))
    lines = [f"Why the run is invalid (evidence from {store}):"]
    for anomaly, anomaly_blocks, count in zip(anomalies, blocks, shown, strict=True):
        lines.append(f"{anomaly.checker} {anomaly.name}: {anomaly.summary}")
        lines += ["  " + line for block in anomaly_blocks[:count] for line in block]
        if anomaly.count > count and anomaly.findings:
            rest = anomaly.count - count
            lines.append(f"  … and {rest} more" if count else f"  … {rest} not shown here")
    if drawn:
        lines.append(f"Diagram of these messages (highlighted): {store / EVIDENCE_SVG}")
    elif size > JOURNAL_SEARCH_LIMIT:
        lines.append(
            f"(no messages shown: {JOURNAL_FILE} holds {size / MIB:.0f} MiB, more than the "
            f"{JOURNAL_SEARCH_LIMIT / MIB:.0f} MiB searched for evidence)"
        )
    data = [
        {
            "checker": anomaly.checker,
            "anomaly": anomaly.name,
            "count": anomaly.count,
            "summary": anomaly.summary,
            "findings": [_finding_data(finding, run, search) for finding in anomaly.findings],
        }
        for anomaly in anomalies
    ]
    explanation = Explanation(
        "\n".join(lines) + "\n",
        {"anomalies": data, "evidence": EVIDENCE_SVG if drawn else None, "error": None},
    )
    _write(store, explanation)
    return explanation


def _fit(blocks: list[list[list[str]]], budget: int) -> list[int]:
    """How many cases of each anomaly the text shows: the first of each, then the second
    of each, and so on, while their lines fit the budget (the very first always does)."""
    shown = [0] * len(blocks)
    for rank in range(SHOWN):
        for index, cases in enumerate(blocks):
            fits = rank < len(cases) and (len(cases[rank]) <= budget or not any(shown))
            if fits and shown[index] == rank:
                shown[index] += 1
                budget -= len(cases[rank])
    return shown


def _finding_lines(finding: Finding, run: Run, search: JournalSearch) -> Iterator[str]:
    yield from _wrapped(finding.title, "")
    for line in (*map(run.describe, finding.ops), *finding.facts):
        yield from _wrapped(line, "  ")
    if not search.searched:
        return
    messages = _messages_of(finding.ops, search)
    if finding.ops:
        yield "  client messages:" if messages else "  client messages: none in the journal"
        yield from _listed(messages, MESSAGES_SHOWN)
        answered = {(m.dest, m.body.get("in_reply_to")) for m in messages}
        for request in messages:
            if (
                _is_client(request.src)
                and (request.src, request.body.get("msg_id")) not in answered
            ):
                yield f"    no reply to #{request.id} in the journal"
    listed = {message.id for message in messages}
    for value in finding.values:
        carriers = [m for m in search.carriers_of(value) if m.id not in listed]
        between = [m for m in carriers if _between_nodes(m, run)]
        others = [m for m in carriers if not _between_nodes(m, run)]
        shown = _brief(value)
        if others:
            yield f"  {_count(len(others), 'other message')} to or from clients carried {shown}:"
            yield from _listed(others, CARRIERS_SHOWN)
        if between:
            yield f"  {_count(len(between), 'message')} between nodes carried {shown}:"
            yield from _listed(between, CARRIERS_SHOWN)
        else:
            yield f"  no message between nodes carried {shown} (bodies searched as JSON)"


def _wrapped(line: str, indent: str) -> list[str]:
    return textwrap.wrap(line, WIDTH, initial_indent=indent, subsequent_indent=indent + "    ")


def _listed(messages: list[Message], shown: int) -> Iterator[str]:
    yield from (f"    {message.line()}" for message in messages[:shown])
    if len(messages) > shown:
        yield f"    … and {len(messages) - shown} more"


def _messages_of(ops: list[Op], search: JournalSearch) -> list[Message]:
    """The client messages of these ops, each once, in journal order."""
    found = {m.id: m for op in ops for m in search.messages_of(op)}
    return [found[key] for key in sorted(found)]


def _between_nodes(message: Message, run: Run) -> bool:
    return message.src in run.options.nodes and message.dest in run.options.nodes


def _finding_data(finding: Finding, run: Run, search: JournalSearch) -> dict[str, Any]:
    return {
        "title": finding.title,
        "facts": finding.facts,
        "ops": [
            {
                "invocation": run.pair(op)[0],
                "completion": run.pair(op)[1],
                "node": run.node(run.pair(op)[0]),
                "messages": [asdict(message) for message in search.messages_of(op)],
            }
            for op in finding.ops
        ],
        "related": [run.pair(op)[0]["index"] for op in finding.related],
        "values": [
            {
                "value": value,
                "carriers": [asdict(m) for m in search.carriers_of(value)],
            }
            for value in finding.values
        ],
    }


def _draw(store: Path, journal: Path, search: JournalSearch, findings: list[Finding]) -> bool:
    """evidence.svg: the findings' messages, the offending ones highlighted, with the
    traffic of the second after the first of them; False when there is nothing to draw."""
    evidence = [
        message
        for finding in findings
        for message in (
            *(m for op in finding.ops for m in search.messages_of(op)),
            *(m for value in finding.values for m in search.carriers_of(value)),
        )
    ]
    if not evidence or search.origin is None:
        (store / EVIDENCE_SVG).unlink(missing_ok=True)
        return False
    highlighted = frozenset(message.id for message in evidence)
    witnesses = {m.id for f in findings for op in f.related for m in search.messages_of(op)}
    start = min(message.sent for message in evidence) + search.origin
    view = lamport.View(highlighted | witnesses, highlighted, (start, start + CONTEXT_NS))
    lamport.write_svg(journal, store / EVIDENCE_SVG, view=view)
    return True


def _write(store: Path, explanation: Explanation) -> None:
    (store / EXPLANATION_TXT).write_text(explanation.text, encoding="utf-8")
    data = orjson.dumps(explanation.data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    (store / EXPLANATION_JSON).write_bytes(data + b"\n")


def explain_verdict(store: Path, results: dict[str, Any]) -> str | None:
    """The explanation of an invalid run (its files written into the store), else None;
    an earlier explanation is removed then (``glome analyze`` may find a run valid now)."""
    if results.get("valid?") is False:
        return explain(store).text
    for name in OUTPUTS:
        (store / name).unlink(missing_ok=True)
    return None
